"""Framework rules: the shipped version, drafting a new version, editing a draft, publishing."""

from __future__ import annotations

from sqlalchemy import func, select

from qa_portal import audit
from qa_portal.accounts.models import User
from qa_portal.db import db, utcnow
from qa_portal.frameworks import default
from qa_portal.frameworks.models import (
    Criterion,
    CriterionKind,
    Framework,
    FrameworkArea,
    FrameworkStatus,
)
from qa_portal.rules import RuleBroken


class FrameworkError(RuleBroken):
    """A rule of this area was broken."""


def load_default_framework() -> Framework | None:
    """Publish the shipped framework as version 1 of an empty database; None if one exists."""
    if db.session.scalar(select(Framework.id).limit(1)) is not None:
        return None
    framework = Framework(
        version=1,
        name="County QA framework for alternative provision",
        status=FrameworkStatus.PUBLISHED,
        published_at=utcnow(),
        notes="Shipped with the portal.",
    )
    for position, (code, name, description, criteria) in enumerate(default.AREAS, start=1):
        area = FrameworkArea(position=position, code=code, name=name, description=description)
        for index, (
            ccode,
            kind,
            prompt,
            guidance,
            green,
            amber,
            red,
            evidence,
            source,
        ) in enumerate(criteria, start=1):
            area.criteria.append(
                Criterion(
                    position=index,
                    code=ccode,
                    kind=CriterionKind(kind),
                    prompt=prompt,
                    guidance=guidance,
                    descriptor_green=green,
                    descriptor_amber=amber,
                    descriptor_red=red,
                    evidence_required=evidence,
                    source=source,
                )
            )
        framework.areas.append(area)
    db.session.add(framework)
    db.session.flush()
    return framework


def current_framework() -> Framework | None:
    """The newest published version: the one new visits start with."""
    return db.session.scalars(
        select(Framework)
        .where(Framework.status == FrameworkStatus.PUBLISHED)
        .order_by(Framework.version.desc())
        .limit(1)
    ).first()


def new_draft(actor: User, source: Framework) -> Framework:
    """A new draft version copied from `source`; there is only ever one draft."""
    existing = db.session.scalars(
        select(Framework).where(Framework.status == FrameworkStatus.DRAFT)
    ).first()
    if existing is not None:
        raise FrameworkError(
            f"Version {existing.version} is already being drafted: edit or publish it first"
        )
    version = (db.session.scalar(select(func.max(Framework.version))) or 0) + 1
    draft = Framework(
        version=version, name=source.name, notes=f"Drafted from version {source.version}."
    )
    for area in source.areas:
        copy = FrameworkArea(
            position=area.position, code=area.code, name=area.name, description=area.description
        )
        for c in area.criteria:
            copy.criteria.append(
                Criterion(
                    position=c.position,
                    code=c.code,
                    kind=c.kind,
                    prompt=c.prompt,
                    guidance=c.guidance,
                    descriptor_green=c.descriptor_green,
                    descriptor_amber=c.descriptor_amber,
                    descriptor_red=c.descriptor_red,
                    evidence_required=c.evidence_required,
                    source=c.source,
                )
            )
        draft.areas.append(copy)
    db.session.add(draft)
    db.session.flush()
    audit.record(
        "framework_drafted",
        actor=actor,
        target=draft,
        summary=f"Drafted framework version {version} from version {source.version}",
    )
    return draft


def _editable(framework: Framework) -> None:
    if not framework.is_editable:
        raise FrameworkError("A published version cannot be changed: draft a new version", "prompt")


CRITERION_FIELDS = (
    "kind",
    "prompt",
    "guidance",
    "descriptor_green",
    "descriptor_amber",
    "descriptor_red",
    "evidence_required",
    "source",
)


def check_criterion(fields: dict) -> dict:
    fields = {**fields, "kind": CriterionKind(fields["kind"])}
    if not fields["prompt"].strip():
        raise FrameworkError("Enter what the visitor checks", "prompt")
    if not fields["descriptor_green"].strip() or not fields["descriptor_red"].strip():
        raise FrameworkError(
            "Describe what the top and bottom levels look like", "descriptor_green"
        )
    if fields["kind"] is CriterionKind.RATING and not fields["descriptor_amber"].strip():
        raise FrameworkError("Describe what amber looks like", "descriptor_amber")
    if fields["kind"] is CriterionKind.COMPLIANCE:
        fields["descriptor_amber"] = ""
    if not fields["source"].strip():
        raise FrameworkError("Name the clause or guidance this criterion comes from", "source")
    return fields


def update_criterion(actor: User, criterion: Criterion, fields: dict) -> dict:
    _editable(criterion.area.framework)
    diff = audit.changes(criterion, check_criterion(fields))
    if diff:
        audit.record(
            "criterion_changed",
            actor=actor,
            target=criterion,
            summary=f"Changed a criterion of {criterion.area.name}",
            details=diff,
        )
    return diff


def add_criterion(actor: User, area: FrameworkArea, fields: dict) -> Criterion:
    _editable(area.framework)
    position = max((c.position for c in area.criteria), default=0) + 1
    criterion = Criterion(
        area=area, position=position, code=f"c{position}", **check_criterion(fields)
    )
    codes = {c.code for c in area.criteria}
    while criterion.code in codes:
        position += 1
        criterion.code = f"c{position}"
    db.session.add(criterion)
    db.session.flush()
    audit.record(
        "criterion_added",
        actor=actor,
        target=criterion,
        summary=f"Added a criterion to {area.name}",
    )
    return criterion


def remove_criterion(actor: User, criterion: Criterion) -> None:
    _editable(criterion.area.framework)
    if len(criterion.area.criteria) <= 1:
        raise FrameworkError("An area needs at least one criterion", "prompt")
    audit.record(
        "criterion_removed",
        actor=actor,
        target=criterion,
        summary=f"Removed a criterion from {criterion.area.name}",
        details={"prompt": criterion.prompt},
    )
    db.session.delete(criterion)
    db.session.flush()


def publish(actor: User, framework: Framework) -> None:
    _editable(framework)
    empty = [a.name for a in framework.areas if not a.criteria]
    if empty:
        raise FrameworkError(f"Add criteria to {', '.join(empty)} first", "prompt")
    framework.status = FrameworkStatus.PUBLISHED
    framework.published_at, framework.published_by_id = utcnow(), actor.id
    db.session.flush()
    audit.record(
        "framework_published",
        actor=actor,
        target=framework,
        summary=f"Published framework version {framework.version}",
    )
