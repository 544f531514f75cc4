"""A framework version as plain, immutable values. Published versions never change, so their
outline is read from the database once per application and kept (in `app.extensions`): the
checklist, opened for every area of every visit, then needs no query for the framework."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from flask import current_app
from sqlalchemy import select

from qa_portal.db import db
from qa_portal.frameworks.models import (
    SCALES,
    Criterion,
    CriterionKind,
    Framework,
    FrameworkArea,
    FrameworkStatus,
    Rating,
)

CACHED_VERSIONS = 16


@dataclass(frozen=True)
class CriterionOutline:
    id: int
    code: str
    position: int
    kind: CriterionKind
    prompt: str
    guidance: str
    descriptor_green: str
    descriptor_amber: str
    descriptor_red: str
    evidence_required: bool
    source: str

    @property
    def scale(self) -> tuple[Rating, ...]:
        return SCALES[self.kind]

    def descriptor(self, rating: Rating) -> str:
        return Criterion.descriptor(self, rating)  # the same rule as the model's

    @cached_property
    def levels(self) -> tuple[Level, ...]:
        """Each level of the scale as plain strings, worked out once per process: reading an
        enum member's value is slow enough to show on a page that lists every level."""
        return tuple(
            Level(rating.value, rating.label, self.descriptor(rating)) for rating in self.scale
        )


class Level(NamedTuple):
    value: str
    label: str
    descriptor: str


@dataclass(frozen=True)
class AreaOutline:
    id: int
    code: str
    position: int
    name: str
    criteria: tuple[CriterionOutline, ...]


@dataclass(frozen=True)
class FrameworkOutline:
    id: int
    version: int
    name: str
    areas: tuple[AreaOutline, ...]


@dataclass
class _Kept:
    """The published outlines one application has read, by (id, version, publication) and by id."""

    by_key: dict[tuple, FrameworkOutline] = field(default_factory=dict)
    by_id: dict[int, FrameworkOutline] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


EXTENSION = "framework_outlines"


def _kept() -> _Kept:
    kept = current_app.extensions.get(EXTENSION)
    if kept is None:
        kept = current_app.extensions.setdefault(EXTENSION, _Kept())
    return kept


def outline(framework: Framework) -> FrameworkOutline:
    """The framework's areas and criteria in order: one query the first time, none after for
    a published version. A draft is read afresh each time (it may be edited)."""
    key = (framework.id, framework.version, framework.published_at)
    published = framework.status is FrameworkStatus.PUBLISHED
    kept = _kept()
    if published and (cached := kept.by_key.get(key)) is not None:
        return cached
    rows = db.session.execute(
        select(FrameworkArea, Criterion)
        .outerjoin(Criterion, Criterion.area_id == FrameworkArea.id)
        .where(FrameworkArea.framework_id == framework.id)
        .order_by(FrameworkArea.position, Criterion.position)
    ).all()
    areas: dict[int, tuple[FrameworkArea, list[CriterionOutline]]] = {}
    for area, criterion in rows:
        _, criteria = areas.setdefault(area.id, (area, []))
        if criterion is not None:
            criteria.append(
                CriterionOutline(
                    id=criterion.id,
                    code=criterion.code,
                    position=criterion.position,
                    kind=criterion.kind,
                    prompt=criterion.prompt,
                    guidance=criterion.guidance,
                    descriptor_green=criterion.descriptor_green,
                    descriptor_amber=criterion.descriptor_amber,
                    descriptor_red=criterion.descriptor_red,
                    evidence_required=criterion.evidence_required,
                    source=criterion.source,
                )
            )
    result = FrameworkOutline(
        id=framework.id,
        version=framework.version,
        name=framework.name,
        areas=tuple(
            AreaOutline(area.id, area.code, area.position, area.name, tuple(criteria))
            for area, criteria in areas.values()
        ),
    )
    if published:
        with kept.lock:
            if len(kept.by_key) >= CACHED_VERSIONS:
                kept.by_id.pop(kept.by_key.pop(next(iter(kept.by_key))).id, None)
            kept.by_key[key] = result
            kept.by_id[framework.id] = result
    return result


def published(framework_id: int) -> FrameworkOutline | None:
    """The outline of a published version already in memory, found by id alone (a published
    version never changes, and its id is never used again), else None."""
    return _kept().by_id.get(framework_id)


def forget() -> None:
    """Drop every outline the current application keeps (the suite's tests roll back the
    frameworks they made, and SQLite gives the next one the same id)."""
    current_app.extensions.pop(EXTENSION, None)
