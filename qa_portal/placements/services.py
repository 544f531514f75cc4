"""Placement rules: dates and overlaps, the provider's standing, full-time hours, the contract
behind it, half-termly reviews, the learning plan's targets, the ending; the list's query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import joinedload, selectinload

from qa_portal import audit
from qa_portal.accounts.models import User
from qa_portal.contracts.models import Contract
from qa_portal.db import db, utcnow
from qa_portal.inputs import name_key
from qa_portal.partnerships.models import Partnership, School
from qa_portal.placements.models import (
    Destination,
    Placement,
    PlacementState,
    Progress,
    Review,
    ReviewDate,
    Target,
    TargetArea,
    TargetProgress,
    Transport,
)
from qa_portal.providers.compliance import State, assess
from qa_portal.providers.models import Provider, ProviderStatus
from qa_portal.pupils.models import Pupil
from qa_portal.rules import RuleBroken

# Reviews at least half-termly: a half term is six to seven weeks, so no gap between the
# start and the first review, between two reviews, or from the last review to the planned
# end may be longer than seven weeks. A longer gap is refused, not just warned of: the
# agreement is the record that reviews were planned as the guidance asks.
MAX_REVIEW_GAP_DAYS = 49
# A review "due" is one planned within this many days; one planned earlier and not held is
# overdue.
DUE_WITHIN_DAYS = 7
# A review held up to this many days before a planned date counts for it.
EARLY_REVIEW_DAYS = 7
MAX_TARGETS = 6
FAR_FUTURE = date(9999, 12, 31)

AGREEMENT_FIELDS = (
    "start_date",
    "planned_end_date",
    "days_per_week",
    "sessions_per_week",
    "hours_per_week",
    "cost",
    "transport",
    "intervention",
    "objectives",
    "reintegration_plan",
    "off_site_direction",
    "off_site_max_weeks",
    "shared_needs",
    "shared_needs_note",
    "shared_ehcp",
    "shared_ehcp_note",
    "shared_health",
    "shared_health_note",
    "reporting",
)


class PlacementError(RuleBroken):
    """A rule of placements was broken."""


class ReasonNeeded(PlacementError):
    """The provider is suspended, closed or non-compliant: going ahead needs a reason."""

    def __init__(self, warnings: list[str]):
        super().__init__(
            " ".join(warnings) + " Give the reason for placing the pupil with it to go ahead.",
            "provider_reason",
        )
        self.warnings = warnings


@dataclass
class TargetIn:
    area: TargetArea
    description: str
    baseline: str = ""


@dataclass
class Plan:
    """What a person enters for a placement besides its parties: the agreement's fields (by
    name, as `AGREEMENT_FIELDS`), the targets, the planned review dates and, when the
    provider is warned of, the reason to go ahead."""

    fields: dict
    targets: list[TargetIn]
    review_dates: list[date]
    provider_reason: str = ""
    extra: dict = field(default_factory=dict)


# --- the provider's standing ----------------------------------------------------------------


def provider_warnings(provider: Provider, today: date) -> list[str]:
    """Why placing a pupil with this provider needs a recorded reason (none: no reason)."""
    warnings = []
    if provider.status in (ProviderStatus.SUSPENDED, ProviderStatus.CLOSED):
        warnings.append(f"{provider.name} is {provider.status.label.lower()}.")
    if assess(provider, today).state is State.NON_COMPLIANT:
        warnings.append(f"{provider.name} is non-compliant: evidence is missing or expired.")
    return warnings


# --- the checks -----------------------------------------------------------------------------


def _dates(fields: dict) -> None:
    start, planned_end = fields.get("start_date"), fields.get("planned_end_date")
    if start is None:
        raise PlacementError("Enter the start date", "start_date")
    if planned_end is not None and planned_end < start:
        raise PlacementError(
            "The planned end date must be on or after the start date", "planned_end_date"
        )


def _off_site(fields: dict) -> None:
    if fields.get("off_site_direction"):
        if not fields.get("off_site_max_weeks"):
            raise PlacementError(
                "Enter the longest the off-site direction may last, in weeks",
                "off_site_max_weeks",
            )
    else:
        fields["off_site_max_weeks"] = None


def _full_time(provider: Provider, hours: Decimal | None, full_time_hours: int) -> None:
    if hours is None or hours <= 0:
        raise PlacementError("Enter the hours per week", "hours_per_week")
    if hours > full_time_hours and not provider.ofsted_registered:
        raise PlacementError(
            f"More than {full_time_hours} hours a week is full-time education, which only a "
            f"provider registered with Ofsted may give; {provider.name} is not registered",
            "hours_per_week",
        )


def _contract(contract: Contract | None, pupil: Pupil, provider: Provider, fields: dict) -> None:
    """The contract, when one is named, is the pupil's partnership's (or their school's), is
    with this provider and covers the dates."""
    if contract is None:
        return
    school = pupil.school
    if contract.partnership_id != school.partnership_id or contract.school_id not in (
        None,
        school.id,
    ):
        raise PlacementError(
            f"Contract {contract.reference} was not made by {school.name} or its partnership",
            "contract_id",
        )
    if contract.provider_id != provider.id:
        raise PlacementError(
            f"Contract {contract.reference} is with {contract.provider.name}, not {provider.name}",
            "contract_id",
        )
    start, end = fields["start_date"], fields.get("planned_end_date")
    if not (contract.start_date <= start <= contract.end_date) or (
        end is not None and end > contract.end_date
    ):
        raise PlacementError(
            f"Contract {contract.reference} runs from {contract.start_date:%-d %B %Y} to "
            f"{contract.end_date:%-d %B %Y}: the placement's dates must fall within it",
            "contract_id",
        )


def overlapping(pupil: Pupil, provider: Provider, start: date, end: date | None, exclude=None):
    """The pupil's placements at this provider whose dates meet start..end (None: open)."""
    last_day = func.coalesce(Placement.finish_date, Placement.planned_end_date, FAR_FUTURE)
    stmt = select(Placement).where(
        Placement.pupil_id == pupil.id,
        Placement.provider_id == provider.id,
        last_day >= start,
    )
    if end is not None:
        stmt = stmt.where(Placement.start_date <= end)
    if exclude is not None:
        stmt = stmt.where(Placement.id != exclude.id)
    return db.session.scalars(stmt.order_by(Placement.start_date).limit(1)).first()


def _no_overlap(pupil, provider, fields, placement=None) -> None:
    end = placement.finish_date if placement and placement.finish_date else None
    end = end or fields.get("planned_end_date")
    clash = overlapping(pupil, provider, fields["start_date"], end, placement)
    if clash is not None:
        until = f"to {clash.last_day:%-d %B %Y}" if clash.last_day else "with no end date"
        raise PlacementError(
            f"{pupil.name} already has a placement with {provider.name} from "
            f"{clash.start_date:%-d %B %Y} {until}: the dates must not overlap",
            "start_date",
        )


def review_date_field(entered: list[date | None], day: date | None) -> str:
    """The form field of the review date `day` (the first box when none holds it)."""
    position = entered.index(day) + 1 if day in entered else 1
    return f"review_date_{position}"


def check_review_dates(
    start: date, planned_end: date | None, entered: list[date | None]
) -> list[date]:
    """The planned review dates (as entered, blanks left out), sorted and unique, at least
    half-termly."""
    dates = sorted({day for day in entered if day is not None})
    for day in dates:
        if day < start or (planned_end is not None and day > planned_end):
            raise PlacementError(
                "Each review date must fall within the placement's dates",
                review_date_field(entered, day),
            )
    points = [start, *dates] + ([planned_end] if planned_end is not None else [])
    if planned_end is None and not dates:
        points.append(start + timedelta(days=MAX_REVIEW_GAP_DAYS + 1))
    for before, after in zip(points, points[1:], strict=False):
        if (after - before).days > MAX_REVIEW_GAP_DAYS:
            field = (
                "planned_end_date"
                if after == planned_end and before in dates
                else review_date_field(entered, after if after in dates else None)
            )
            raise PlacementError(
                f"Plan reviews at least half-termly: {(after - before).days} days from "
                f"{before:%-d %B %Y} to {after:%-d %B %Y} is more than "
                f"{MAX_REVIEW_GAP_DAYS // 7} weeks without a review",
                field,
            )
    return dates


def _targets(targets: list[TargetIn]) -> list[TargetIn]:
    targets = [t for t in targets if t.description.strip()]
    if not targets:
        raise PlacementError(
            "Add at least one target of the individual learning plan", "target_1_description"
        )
    if len(targets) > MAX_TARGETS:
        raise PlacementError(f"A plan has at most {MAX_TARGETS} targets", "")
    return targets


def _texts(fields: dict) -> None:
    for name, label in (
        ("intervention", "the intervention"),
        ("objectives", "the objectives"),
        ("reintegration_plan", "the reintegration plan and timeline"),
        ("reporting", "how and how often the provider reports"),
    ):
        fields[name] = (fields.get(name) or "").strip()
        if not fields[name]:
            raise PlacementError(f"Enter {label}", name)
    for name in ("shared_needs_note", "shared_ehcp_note", "shared_health_note"):
        fields[name] = (fields.get(name) or "").strip()


def _check(pupil, provider, contract, plan: Plan, today, full_time_hours, placement=None):
    fields = {name: plan.fields.get(name) for name in AGREEMENT_FIELDS}
    if not fields.get("transport"):
        raise PlacementError("Choose how the pupil gets there", "transport")
    fields["transport"] = Transport(fields["transport"])
    for name in ("off_site_direction", "shared_needs", "shared_ehcp", "shared_health"):
        fields[name] = bool(fields.get(name))
    _dates(fields)
    _texts(fields)
    _off_site(fields)
    _full_time(provider, fields.get("hours_per_week"), full_time_hours)
    _contract(contract, pupil, provider, fields)
    _no_overlap(pupil, provider, fields, placement)
    dates = check_review_dates(
        fields["start_date"], fields.get("planned_end_date"), plan.review_dates
    )
    targets = _targets(plan.targets)
    return fields, dates, targets


def _reason(provider: Provider, plan: Plan, today: date) -> tuple[list[str], str]:
    warnings = provider_warnings(provider, today)
    reason = (plan.provider_reason or "").strip()
    if warnings and not reason:
        raise ReasonNeeded(warnings)
    return warnings, reason if warnings else ""


# --- create, change, end ----------------------------------------------------------------------


def create_placement(
    actor: User,
    pupil: Pupil,
    provider: Provider,
    contract: Contract | None,
    plan: Plan,
    today: date,
    *,
    full_time_hours: int,
) -> Placement:
    fields, dates, targets = _check(pupil, provider, contract, plan, today, full_time_hours)
    warnings, reason = _reason(provider, plan, today)
    placement = Placement(
        pupil=pupil,
        provider=provider,
        contract=contract,
        provider_reason=reason,
        created_by_id=actor.id,
        **fields,
    )
    placement.targets = [
        Target(position=n, area=t.area, description=t.description.strip(), baseline=t.baseline)
        for n, t in enumerate(targets)
    ]
    placement.review_dates = [ReviewDate(due_on=d) for d in dates]
    db.session.add(placement)
    _keep_next_review(placement)
    db.session.flush()
    audit.record(
        "placement_created",
        actor=actor,
        target=placement,
        pupil=pupil,
        summary=f"Placement with {provider.name} from {placement.start_date:%-d %b %Y} added",
        details={"warnings": warnings, "reason": reason} if warnings else {},
    )
    return placement


def update_placement(
    actor: User,
    placement: Placement,
    provider: Provider,
    contract: Contract | None,
    plan: Plan,
    today: date,
    *,
    full_time_hours: int,
) -> dict:
    """Change the agreement, targets and planned reviews; returns what changed. A new
    provider is warned of as a new placement's is."""
    pupil = placement.pupil
    fields, dates, targets = _check(
        pupil, provider, contract, plan, today, full_time_hours, placement
    )
    details: dict = {}
    if provider.id != placement.provider_id:
        warnings, reason = _reason(provider, plan, today)
        fields["provider_reason"] = reason
        if warnings:
            details["warnings"] = warnings
    fields["provider_id"] = provider.id
    fields["contract_id"] = contract.id if contract else None
    diff = audit.changes(placement, fields)
    if _replace_targets(placement, targets):
        diff["targets"] = ["changed", "changed"]
    if [d.due_on for d in placement.review_dates] != dates:
        placement.review_dates = [ReviewDate(due_on=d) for d in dates]
        diff["review_dates"] = ["changed", "changed"]
    _keep_next_review(placement)
    if diff:
        db.session.flush()
        audit.record(
            "placement_changed",
            actor=actor,
            target=placement,
            pupil=pupil,
            summary="Changed " + ", ".join(name.replace("_", " ") for name in diff),
            details={**dict.fromkeys(sorted(diff), "changed"), **details},
        )
    return diff


def _replace_targets(placement: Placement, targets: list[TargetIn]) -> bool:
    """Keep targets in place where they stand (their progress refers to them), change their
    words, add new ones and remove those left out."""
    changed = False
    kept = list(placement.targets)
    for n, wanted in enumerate(targets):
        values = {
            "position": n,
            "area": wanted.area,
            "description": wanted.description.strip(),
            "baseline": wanted.baseline.strip(),
        }
        if n < len(kept):
            changed |= bool(audit.changes(kept[n], values))
        else:
            placement.targets.append(Target(**values))
            changed = True
    for extra in kept[len(targets) :]:
        placement.targets.remove(extra)
        changed = True
    return changed


def end_placement(
    actor: User,
    placement: Placement,
    finish_date: date | None,
    destination: Destination | None,
    destination_note: str,
    reason: str,
    outcomes: dict[int, str],
) -> None:
    """Record the finish date (on or after the start), the destination and reason, and each
    target's outcome."""
    if finish_date is None:
        raise PlacementError("Enter the finish date", "finish_date")
    if finish_date < placement.start_date:
        raise PlacementError(
            f"The finish date must be on or after the start date, {placement.start_date:%-d %B %Y}",
            "finish_date",
        )
    if destination is None:
        raise PlacementError("Choose where the pupil went next", "destination")
    if destination is Destination.OTHER and not destination_note.strip():
        raise PlacementError("Say where the pupil went next", "destination_note")
    if not reason.strip():
        raise PlacementError("Enter why the placement ended", "end_reason")
    for n, target in enumerate(placement.targets):
        outcome = (outcomes.get(target.id) or "").strip()
        if not outcome:
            raise PlacementError(
                f"Enter the outcome of target {n + 1}: {target.description[:60]}",
                f"outcome_{n + 1}",
            )
        target.outcome = outcome
    placement.finish_date = finish_date
    placement.destination = destination
    placement.destination_note = destination_note.strip()
    placement.end_reason = reason.strip()
    placement.ended_at = utcnow()
    placement.ended_by_id = actor.id
    placement.next_review_on = None
    db.session.flush()
    audit.record(
        "placement_ended",
        actor=actor,
        target=placement,
        pupil=placement.pupil,
        summary=f"Placement with {placement.provider.name} ended on {finish_date:%-d %b %Y}: "
        f"{destination.label.lower()}",
    )


# --- reviews ----------------------------------------------------------------------------------


@dataclass
class ProgressIn:
    target_id: int
    progress: Progress | None
    comment: str = ""


def _keep_next_review(placement: Placement) -> None:
    """Keep `next_review_on`: the earliest planned review not yet held. A review held up to
    EARLY_REVIEW_DAYS before a planned date counts for it, and for every date before it."""
    held = max((r.held_on for r in placement.reviews), default=None)
    placement.next_review_on = None
    if placement.finish_date is not None:
        return
    for planned in placement.review_dates:
        if held is None or planned.due_on > held + timedelta(days=EARLY_REVIEW_DAYS):
            placement.next_review_on = planned.due_on
            return


def record_review(
    actor: User,
    placement: Placement,
    held_on: date | None,
    attended: str,
    decisions: str,
    next_review_on: date | None,
    progress: list[ProgressIn],
    today: date,
) -> Review:
    if held_on is None:
        raise PlacementError("Enter the date of the review", "held_on")
    if held_on < placement.start_date or held_on > today:
        raise PlacementError(
            "The review's date must be between the placement's start and today", "held_on"
        )
    if not attended.strip():
        raise PlacementError("Enter who attended the review", "attended")
    by_target = {p.target_id: p for p in progress}
    rows = []
    for n, target in enumerate(placement.targets):
        given = by_target.get(target.id)
        if given is None or given.progress is None:
            raise PlacementError(f"Choose the progress against target {n + 1}", f"progress_{n + 1}")
        rows.append(TargetProgress(target=target, progress=given.progress, comment=given.comment))
    if next_review_on is not None:
        if next_review_on <= held_on:
            raise PlacementError("The next review must be after this one", "next_review_on")
        if (next_review_on - held_on).days > MAX_REVIEW_GAP_DAYS:
            raise PlacementError(
                f"Plan the next review at least half-termly: within "
                f"{MAX_REVIEW_GAP_DAYS // 7} weeks of this one",
                "next_review_on",
            )
    review = Review(
        placement=placement,
        held_on=held_on,
        attended=attended.strip(),
        decisions=decisions.strip(),
        next_review_on=next_review_on,
        recorded_by_id=actor.id,
        progress=rows,
    )
    db.session.add(review)
    if next_review_on is not None and next_review_on not in {
        d.due_on for d in placement.review_dates
    }:
        placement.review_dates.append(ReviewDate(due_on=next_review_on))
        placement.review_dates.sort(key=lambda d: d.due_on)
    db.session.flush()
    _keep_next_review(placement)
    audit.record(
        "placement_reviewed",
        actor=actor,
        target=placement,
        pupil=placement.pupil,
        summary=f"Review of the placement with {placement.provider.name} held on "
        f"{held_on:%-d %b %Y}",
    )
    return review


# --- views and downloads, audited -------------------------------------------------------------


def record_view(actor: User, placement: Placement) -> None:
    audit.record(
        "placement_viewed",
        actor=actor,
        target=placement,
        pupil=placement.pupil,
        summary=f"Viewed the placement with {placement.provider.name}",
    )


def record_agreement_download(actor: User, placement: Placement) -> None:
    audit.record(
        "placement_agreement_downloaded",
        actor=actor,
        target=placement,
        pupil=placement.pupil,
        summary=f"Downloaded the agreement of the placement with {placement.provider.name}",
    )


# --- the list ---------------------------------------------------------------------------------


def state_condition(state: PlacementState, today: date):
    return {
        PlacementState.STARTING: and_(
            Placement.finish_date.is_(None), Placement.start_date > today
        ),
        PlacementState.CURRENT: and_(
            Placement.finish_date.is_(None), Placement.start_date <= today
        ),
        PlacementState.ENDED: Placement.finish_date.is_not(None),
    }[state]


def reviews_condition(which: str, today: date):
    """Placements running with a review overdue (planned before today, not held), or due (the
    next planned from today to DUE_WITHIN_DAYS ahead)."""
    running = Placement.finish_date.is_(None)
    if which == "overdue":
        return and_(running, Placement.next_review_on < today)
    horizon = today + timedelta(days=DUE_WITHIN_DAYS)
    return and_(running, Placement.next_review_on >= today, Placement.next_review_on <= horizon)


def list_query(placements: Select, filters: dict, today: date) -> Select:
    """The placements in scope, filtered in SQL, each row's pupil (and school), provider in the
    same query. `filters` are the filter form's checked data."""
    stmt = placements.options(
        joinedload(Placement.pupil).joinedload(Pupil.school).joinedload(School.partnership),
        joinedload(Placement.provider),
    )
    if status := filters.get("status"):
        stmt = stmt.where(state_condition(PlacementState(status), today))
    if which := filters.get("reviews"):
        stmt = (
            stmt.where(reviews_condition(which, today))
            .order_by(None)
            .order_by(Placement.next_review_on, Placement.id)
        )
    if provider := filters.get("provider"):
        stmt = stmt.where(Placement.provider_id == int(provider))
    if code := filters.get("partnership"):
        schools = select(School.id).join(Partnership).where(Partnership.code == code)
        stmt = stmt.where(
            Placement.pupil_id.in_(select(Pupil.id).where(Pupil.school_id.in_(schools)))
        )
    if worker := filters.get("key_worker"):
        stmt = stmt.where(
            Placement.pupil_id.in_(select(Pupil.id).where(Pupil.key_worker_id == int(worker)))
        )
    if q := " ".join((filters.get("q") or "").split()):
        named = select(Pupil.id).where(Pupil.name_key.contains(name_key(q), autoescape=True))
        stmt = stmt.where(Placement.pupil_id.in_(named))
    return stmt


def current_count(provider: Provider, today: date) -> int:
    """How many pupils are placed with the provider today (a number, no names)."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Placement)
            .where(
                Placement.provider_id == provider.id, state_condition(PlacementState.CURRENT, today)
            )
        )
        or 0
    )


def review_counts(placements: Select, today: date) -> tuple[int, int]:
    """How many placements in scope have a review due within DUE_WITHIN_DAYS (not yet
    overdue), and how many are overdue, in one query."""
    ids = placements.with_only_columns(Placement.id).order_by(None)
    horizon = today + timedelta(days=DUE_WITHIN_DAYS)
    row = db.session.execute(
        select(
            func.coalesce(func.sum(case((Placement.next_review_on < today, 1), else_=0)), 0),
            func.coalesce(
                func.sum(
                    case(
                        (
                            and_(
                                Placement.next_review_on >= today,
                                Placement.next_review_on <= horizon,
                            ),
                            1,
                        ),
                        else_=0,
                    )
                ),
                0,
            ),
        ).where(Placement.id.in_(ids), Placement.finish_date.is_(None))
    ).one()
    return int(row[1]), int(row[0])


def timeline_rows(pupil: Pupil, placements: Select) -> list[Placement]:
    """The pupil's placements in scope, with their provider and reviews, for the timeline."""
    stmt = (
        placements.where(Placement.pupil_id == pupil.id)
        .options(joinedload(Placement.provider), selectinload(Placement.reviews))
        .limit(50)
    )
    return list(db.session.scalars(stmt))
