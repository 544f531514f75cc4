"""The national-scale data set (bench/scale_data.py), made tiny: each kind of record in the
numbers asked for, and the admin's pages still shown on top of it. No timings: those are
`make bench-scale`'s."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bench.scale_data import ANSWERS_PER_VISIT, HELD, counts, generate
from qa_portal import demo
from qa_portal.accounts.models import User
from qa_portal.audit import AuditEvent
from qa_portal.concerns.models import Concern
from qa_portal.contracts.models import Contract
from qa_portal.db import db
from qa_portal.outbox import OutboxMessage
from qa_portal.placements.models import Placement
from qa_portal.providers.models import ComplianceItem, ItemStatus, Provider
from qa_portal.pupils.models import Pupil
from qa_portal.returns.models import ReturnProgress, ReturnStatus, TermlyReturn
from qa_portal.visits.models import Answer, Visit, VisitStatus
from tests.conftest import sign_in

# 10 providers, 100 visits, 250 compliance items, 50 contracts, 1,000 audit events, 250 pupils,
# 750 placements and their returns for this term and last (fewer than the 2,000 asked for:
# one per placement and term at most)
SCALE = 0.005
COUNTED = {
    "providers": Provider,
    "users": User,
    "visits": Visit,
    "compliance_items": ComplianceItem,
    "contracts": Contract,
    "concerns": Concern,
    "audit_events": AuditEvent,
    "outbox_messages": OutboxMessage,
    "pupils": Pupil,
    "placements": Placement,
    "termly_returns": TermlyReturn,
}
CAPPED = {"termly_returns"}  # as many as there are placements in the terms, up to the count


def _rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _newest_id(model) -> int:
    return db.session.scalar(select(func.max(model.id))) or 0


@pytest.fixture
def national():
    """The demo, then the national data set at SCALE; what it added."""
    demo.seed()
    before = {name: _rows(model) for name, model in COUNTED.items()}
    last_visit = _newest_id(Visit)
    added = generate(db.session, SCALE)
    db.session.flush()
    return before, last_visit, added


def test_each_kind_of_record_is_added_in_the_number_asked_for(national):
    before, last_visit, added = national
    wanted = counts(SCALE)
    assert wanted["providers"] == 10 and wanted["visits"] == 100
    for name, model in COUNTED.items():
        if name in CAPPED:
            assert 0 < _rows(model) - before[name] == added[name] <= wanted[name], name
        else:
            assert _rows(model) - before[name] == wanted[name] == added[name], name
    new_visits = select(Visit).where(Visit.id > last_visit)
    held = db.session.scalar(
        select(func.count()).select_from(new_visits.where(Visit.status.in_(HELD)).subquery())
    )
    answers = db.session.scalar(select(func.count(Answer.id)).where(Answer.visit_id > last_visit))
    assert held and answers == held * ANSWERS_PER_VISIT == added["answers"]
    statuses = set(db.session.scalars(new_visits.with_only_columns(Visit.status)))
    assert {VisitStatus.SCHEDULED, VisitStatus.PUBLISHED} <= statuses
    items = set(db.session.scalars(select(ComplianceItem.status).distinct()))
    assert {ItemStatus.VERIFIED, ItemStatus.AWAITING_VERIFICATION} <= items


def test_every_admin_page_still_shows_on_the_national_data_set(app, national):
    _, last_visit, _ = national
    answered = (
        select(Answer.visit_id)
        .where(Answer.visit_id > last_visit)
        .group_by(Answer.visit_id)
        .having(func.count() == ANSWERS_PER_VISIT)
    )
    visit = db.session.scalars(select(Visit).where(Visit.id.in_(answered))).first()
    open_visit = db.session.scalars(
        select(Visit).where(Visit.id > last_visit, Visit.status == VisitStatus.IN_PROGRESS)
    ).first()
    provider_id = _newest_id(Provider)
    pupil_id = _newest_id(Pupil)
    db.session.commit()  # the requests run in sessions of their own
    client = app.test_client()
    admin = db.session.scalars(select(User).where(User.email == "admin@example.org")).one()
    assert sign_in(client, admin, demo.DEMO_PASSWORD).status_code == 302
    for url in (
        "/",
        "/providers",
        "/visits",
        "/concerns",
        "/compliance/expiring",
        "/contracts",
        "/contracts?status=ending",
        "/admin/audit",
        "/admin/users",
        "/admin/outbox",
        "/partnerships",
        f"/visits/{visit.id}",
        f"/providers/{provider_id}",
        f"/visits/{open_visit.id}/checklist/1",
        "/pupils",
        f"/pupils/{pupil_id}",
        "/pupils?q=a",
        "/returns",
    ):
        assert client.get(url).status_code == 200, url


def test_returns_are_one_per_placement_and_term_in_a_mix_of_states(national):
    _, _, added = national
    pairs = db.session.execute(
        select(TermlyReturn.placement_id, TermlyReturn.term_year, TermlyReturn.term_season)
    ).all()
    assert len(pairs) == len(set(pairs))
    statuses = set(db.session.scalars(select(TermlyReturn.status).distinct()))
    assert statuses == set(ReturnStatus)
    first_new = _newest_id(TermlyReturn) - added["termly_returns"]
    progress = db.session.scalar(
        select(func.count(ReturnProgress.id)).where(ReturnProgress.return_id > first_new)
    )
    assert progress == added["termly_return_progress"] > 0
