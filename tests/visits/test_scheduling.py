"""Scheduling visits, inviting heads and staff, and knowing which providers are overdue."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from qa_portal.db import db
from qa_portal.frameworks.services import current_framework
from qa_portal.outbox import OutboxMessage
from qa_portal.providers.models import Provider, ProviderStatus
from qa_portal.visits import services
from qa_portal.visits.models import Visit, VisitStatus, VisitType
from tests import factories

TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("qa_portal.clock.today", lambda: TODAY)


def visit(provider, when, status=VisitStatus.SCHEDULED, lead=None, **fields):
    lead = lead or factories.user("staff")
    record = Visit(
        provider=provider,
        framework=current_framework(),
        visit_type=VisitType.ANNUAL,
        visit_date=when,
        lead=lead,
        status=status,
        partnership_id=lead.partnership_id,
        **fields,
    )
    db.session.add(record)
    db.session.flush()
    return record


def schedule_form(provider, lead, **over):
    when = TODAY + timedelta(days=7)
    data = {
        "provider_id": str(provider.id),
        "visit_type": "annual",
        "visit_date": [str(when.day), str(when.month), str(when.year)],
        "lead_id": str(lead.id),
        "purpose": "Annual review",
    }
    data.update(over)
    return data


def test_staff_schedule_a_visit_and_invitees_are_emailed(login):
    staff = factories.user("staff")
    head = factories.user("head", email="head.joins@example.org")
    provider = factories.provider("Visited Provider Ltd")
    db.session.commit()
    client = login(staff)
    response = client.post("/visits/new", data=schedule_form(provider, staff))
    assert response.status_code == 302
    scheduled = db.session.scalars(select(Visit)).one()
    assert response.headers["Location"].endswith(f"/visits/{scheduled.id}#invite")
    assert scheduled.framework_id == current_framework().id
    assert scheduled.partnership_id == staff.partnership_id
    # The visit's page finds the head by name; ticking them sends the invitation.
    found = client.get(f"/visits/{scheduled.id}", query_string={"people": head.name})
    assert f'value="{head.id}"' in found.data.decode()
    invited = client.post(f"/visits/{scheduled.id}", data={"invitee_ids": [str(head.id)]})
    assert invited.status_code == 302
    subjects = {m.to_address: m.subject for m in db.session.scalars(select(OutboxMessage))}
    assert set(subjects) == {staff.email, head.email}
    assert "Visited Provider Ltd" in subjects[head.email]
    head_client = login(head)
    assert "Visited Provider Ltd" in head_client.get("/").data.decode()
    assert head_client.get(f"/visits/{scheduled.id}").status_code == 200


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"visit_date": ["22", "11", "2026"]}, "The visit date must be today or in the future"),
        ({"visit_date": ["31", "11", "2026"]}, "must be a real date"),
        ({"visit_type": "party"}, "Not a valid choice"),
    ],
)
def test_bad_visit_details_are_refused(login, over, message):
    staff = factories.user("staff")
    provider = factories.provider()
    db.session.commit()
    response = login(staff).post("/visits/new", data=schedule_form(provider, staff, **over))
    assert message in response.data.decode()
    assert db.session.scalars(select(Visit)).first() is None


def test_a_closed_provider_cannot_be_visited():
    staff = factories.user("staff")
    provider = factories.provider()
    provider.status = ProviderStatus.CLOSED
    with pytest.raises(services.VisitError, match="closed"):
        services.schedule_visit(
            staff,
            provider,
            visit_type=VisitType.ANNUAL,
            visit_date=TODAY,
            lead=staff,
            invitees=[],
            purpose="",
            today=TODAY,
            link=lambda v: "x",
        )


def test_overdue_means_no_visit_in_the_last_twelve_months():
    never = factories.provider("Never Visited")
    lapsed = factories.provider("Visited Thirteen Months Ago")
    recent = factories.provider("Visited Eleven Months Ago")
    booked = factories.provider("Never Visited But Booked")
    visit(lapsed, TODAY - timedelta(days=400), VisitStatus.PUBLISHED)
    visit(recent, TODAY - timedelta(days=330), VisitStatus.PUBLISHED)
    visit(booked, TODAY + timedelta(days=3))
    watched = select(Provider).where(
        Provider.id.in_([p.id for p in (never, lapsed, recent, booked)])
    )
    rows = db.session.execute(services.overdue_providers(watched, TODAY)).all()
    assert [(p.name, last) for p, last in rows] == [
        ("Never Visited", None),
        ("Visited Thirteen Months Ago", TODAY - timedelta(days=400)),
    ]


def test_who_sees_which_visit(login):
    hbep, lip = factories.partnership("HBEP"), factories.partnership("LIP")
    provider = factories.provider("Shared Provider")
    own_provider_user = factories.user("provider", provider=provider)
    lead = factories.user("staff", partnership=hbep)
    draft = visit(provider, TODAY + timedelta(days=2), lead=lead)
    done = visit(provider, TODAY - timedelta(days=30), VisitStatus.PUBLISHED, lead=lead)
    invited_head = factories.user("head")
    services.invite(lead, draft, [invited_head], link=lambda v: "x")
    other_head = factories.user("head")
    other_staff = factories.user("staff", partnership=lip)
    db.session.commit()
    expectations = {
        lead: {draft.id: 200, done.id: 200},
        other_staff: {draft.id: 404, done.id: 200},
        invited_head: {draft.id: 200, done.id: 404},
        other_head: {draft.id: 404, done.id: 404},
        own_provider_user: {draft.id: 404, done.id: 200},
        factories.user("officer"): {draft.id: 200, done.id: 200},
    }
    db.session.commit()
    for user, codes in expectations.items():
        client = login(user)
        for visit_id, code in codes.items():
            assert client.get(f"/visits/{visit_id}").status_code == code, (user.role, visit_id)
