"""A provider with pupils placed this autumn term, a partnership's staff, and a complete return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from qa_portal import clock
from qa_portal.db import db
from qa_portal.placements.models import Placement, Progress, Target, TargetArea
from qa_portal.providers.models import Provider
from qa_portal.returns import services
from qa_portal.returns.models import AccreditationStatus, Behaviour
from qa_portal.terms import Term
from tests import factories

TODAY = date(2026, 11, 16)  # in the autumn term of 2026/27
AUTUMN = "2026-autumn"
LAST_TERM = "2025-summer"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


def autumn() -> Term:
    return services.parse_term(AUTUMN)


def placed(provider: Provider, school=None, *, targets: int = 2, **fields) -> Placement:
    """A pupil of `school` (HBEP's first unless given) placed with `provider` since September."""
    fields.setdefault("start", date(2026, 9, 7))
    return factories.placement(
        factories.pupil(school or factories.school("HBEP", 0)),
        provider,
        targets=[
            Target(position=n, area=TargetArea.PERSONAL, description=f"Target number {n + 1}")
            for n in range(targets)
        ],
        **fields,
    )


def complete(placement: Placement, **changes) -> services.ReturnIn:
    """Every answer a submitted return needs, as a provider would give them."""
    data = services.ReturnIn(
        sessions_possible=120,
        sessions_attended=100,
        sessions_authorised=12,
        sessions_unauthorised=8,
        behaviour=Behaviour.GOOD,
        behaviour_comment="Settled well",
        qualification="BTEC Award in Vehicle Maintenance",
        level="Level 1",
        accreditation_status=AccreditationStatus.WORKING_TOWARDS,
        wellbeing="Happier, sleeping better",
        pupil_voice="I like the workshop",
        comments="",
        progress=[services.ProgressIn(t.id, Progress.ON_TRACK, "") for t in placement.targets],
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return data


@dataclass
class World:
    provider: Provider
    other_provider: Provider
    placements: list[Placement]
    other_placement: Placement
    lip_placement: Placement
    provider_user: object
    other_provider_user: object
    staff: object
    lip_staff: object
    head: object
    officer: object
    admin: object


@pytest.fixture
def world() -> World:
    provider, other = factories.compliant_provider(), factories.compliant_provider()
    placements = [placed(provider) for _ in range(3)]
    lip = placed(provider, factories.school("LIP", 0))
    other_placement = placed(other)
    result = World(
        provider=provider,
        other_provider=other,
        placements=placements,
        other_placement=other_placement,
        lip_placement=lip,
        provider_user=factories.user("provider", provider=provider),
        other_provider_user=factories.user("provider", provider=other),
        staff=factories.user("staff"),
        lip_staff=factories.user("staff", partnership=factories.partnership("LIP")),
        head=factories.user("head", school=factories.school("HBEP", 0)),
        officer=factories.user("officer"),
        admin=factories.user("admin"),
    )
    db.session.commit()
    return result
