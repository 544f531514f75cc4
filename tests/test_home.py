"""What each person's home page says needs them today: a co-ordinator's visits, the providers
overdue a visit and the follow-up actions due in their partnership, with the compliance counts;
a head's invitations; every count linked to its list and counted in SQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from qa_portal import clock, policy
from qa_portal.db import db
from qa_portal.main.services import compliance_counts
from qa_portal.providers.compliance import State, compliance_for
from qa_portal.providers.models import ItemStatus, ProviderStatus
from qa_portal.visits import services as visits
from qa_portal.visits.models import ActionStatus, FollowUpAction, VisitStatus, VisitType
from tests import factories


@pytest.fixture
def today(monkeypatch):
    fixed = clock.today()
    monkeypatch.setattr("qa_portal.clock.today", lambda: fixed)
    return fixed


@pytest.fixture
def hbep():
    return factories.partnership("HBEP")


@pytest.fixture
def coordinator(hbep):
    return factories.user("staff", partnership=hbep)


def used_by(partnership, name: str, **fields):
    provider = factories.compliant_provider(name, **fields)
    provider.partnerships.append(partnership)
    return provider


def need(page: str, words: str) -> int | None:
    """The count shown before `words` in the home page's list of needs, or None."""
    found = re.search(r'portal-needs__count">(\d+)</span>' + re.escape(words), page)
    return int(found.group(1)) if found else None


def needs_link(page: str, words: str) -> str:
    found = re.search(
        r'<a class="govuk-link" href="([^"]+)"><span class="portal-needs__count">'
        r"\d+</span>" + re.escape(words),
        page,
    )
    assert found, words
    return found.group(1).replace("&amp;", "&")


def test_the_coordinator_sees_today_and_the_next_visits_they_lead_or_join(
    today, hbep, coordinator, login
):
    colleague = factories.user("staff", partnership=hbep)
    lip_staff = factories.user("staff", partnership=factories.partnership("LIP"))
    place = used_by(hbep, "Todays Place Ltd")
    todays = factories.visit(coordinator, at=place, visit_date=today)
    joined = factories.visit(
        colleague,
        at=used_by(hbep, "Joined Place Ltd"),
        invited=[coordinator],
        visit_date=today + timedelta(days=1),
    )
    later = [
        factories.visit(
            coordinator,
            at=used_by(hbep, f"Later Place {n} Ltd"),
            visit_date=today + timedelta(days=2 + n),
        )
        for n in range(4)
    ]
    not_ours = [
        factories.visit(  # yesterday's, still open
            coordinator, at=used_by(hbep, "Yesterdays Ltd"), visit_date=today - timedelta(days=1)
        ),
        factories.visit(colleague, at=used_by(hbep, "Colleagues Own Ltd"), visit_date=today),
        factories.visit(lip_staff, at=used_by(hbep, "Other Partnership Ltd"), visit_date=today),
        factories.visit(
            coordinator,
            at=used_by(hbep, "Called Off Ltd"),
            visit_date=today,
            status=VisitStatus.CANCELLED,
        ),
    ]
    name = {v.id: v.provider.name for v in [todays, joined, *later, *not_ours]}
    db.session.commit()
    page = login(coordinator).get("/").data.decode()
    agenda = page[
        page.index("data-next-visits") : page.index("</ul>", page.index("data-next-visits"))
    ]
    shown = re.findall(r'href="/visits/(\d+)">([^<]+)</a>', agenda)
    assert shown == [(str(v.id), name[v.id]) for v in [todays, joined, *later[:3]]]
    assert "Today</strong>" in agenda and "you lead it" in agenda
    assert f"led by {colleague.name}" in agenda
    assert name[later[3].id] not in agenda  # five at most
    for visit in not_ours:
        assert name[visit.id] not in agenda


def test_the_coordinator_counts_their_partnerships_providers_overdue_a_visit(
    today, hbep, coordinator, login
):
    never = used_by(hbep, "Never Visited Ltd")
    lapsed = used_by(hbep, "Lapsed Ltd")
    factories.visit(coordinator, at=lapsed, visit_date=today - timedelta(days=400))
    recent = used_by(hbep, "Recently Visited Ltd")
    factories.visit(coordinator, at=recent, visit_date=today - timedelta(days=100))
    booked = used_by(hbep, "Booked Ltd")
    factories.visit(coordinator, at=booked, visit_date=today + timedelta(days=10))
    used_by(hbep, "Closed Down Ltd").status = ProviderStatus.CLOSED
    used_by(factories.partnership("LIP"), "Someone Elses Ltd")  # LIP's, never visited
    db.session.commit()
    page = login(coordinator).get("/").data.decode()
    assert need(page, "providers overdue a visit") == 2
    assert needs_link(page, "providers overdue a visit") == "/visits?show=overdue"
    # The same providers the visits page lists as overdue.
    listed = db.session.execute(
        visits.overdue_providers(policy.watched_providers_for(coordinator), today)
    ).all()
    assert {row[0].name for row in listed} == {never.name, lapsed.name}


def signed_off_visit(lead, at, today, *actions, status=VisitStatus.PUBLISHED):
    visit = factories.visit(
        lead, at=at, visit_date=today - timedelta(days=60), visit_type=VisitType.ANNUAL
    )
    visit.status = status
    for description, due, action_status in actions:
        visit.actions.append(
            FollowUpAction(
                description=description, owner="Manager", due_on=due, status=action_status
            )
        )
    db.session.flush()
    return visit


def test_the_coordinator_counts_follow_up_actions_due_in_their_partnership(
    today, hbep, coordinator, login
):
    place = used_by(hbep, "Acting Place Ltd")
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)
    signed_off_visit(
        coordinator,
        place,
        today,
        ("Fix the fire door", yesterday, ActionStatus.OPEN),
        ("Log fire drills", today, ActionStatus.IN_PROGRESS),
        ("Plan maths", tomorrow, ActionStatus.OPEN),
        ("Already done", yesterday, ActionStatus.DONE),
    )
    signed_off_visit(
        coordinator,
        place,
        today,
        ("Not yet signed off", yesterday, ActionStatus.OPEN),
        status=VisitStatus.IN_PROGRESS,
    )
    lip_staff = factories.user("staff", partnership=factories.partnership("LIP"))
    signed_off_visit(
        lip_staff, place, today, ("Another partnerships action", yesterday, ActionStatus.OPEN)
    )
    db.session.commit()
    client = login(coordinator)
    page = client.get("/").data.decode()
    assert need(page, "actions from visits due") == 2
    listed = client.get(needs_link(page, "actions from visits due")).data.decode()
    assert "Fix the fire door" in listed and "Log fire drills" in listed
    for other in ("Plan maths", "Already done", "Not yet signed off", "Another partnerships"):
        assert other not in listed
    assert "Plan maths" in client.get("/visits/actions").data.decode()  # every open one
    assert client.get("/visits/actions?due=soon").status_code == 400


def test_the_coordinator_keeps_the_compliance_counts_linked_to_the_expiring_list(
    today, hbep, coordinator, login
):
    expired = used_by(hbep, "Expired Cover Ltd")
    factories.item(expired, "public_liability", expiry=today - timedelta(days=2))
    soon = used_by(hbep, "Soon Due Ltd")
    factories.item(soon, "public_liability", expiry=today + timedelta(days=30))
    factories.item(soon, "staff_checks", status=ItemStatus.AWAITING_VERIFICATION)
    other = used_by(factories.partnership("LIP"), "Not Ours Ltd")
    factories.item(other, "public_liability", expiry=today - timedelta(days=2))
    db.session.commit()
    page = login(coordinator).get("/").data.decode()
    assert need(page, "provider non-compliant") == 1
    assert need(page, "provider with evidence expiring within 30 days") == 1
    assert need(page, "upload awaiting your verification") == 1
    assert needs_link(page, "provider non-compliant") == "/compliance/expiring"


def test_compliance_counts_in_sql_agree_with_the_assessment_of_each_provider(today):
    """Every way a provider can be non-compliant or due soon, counted in SQL, matches the rule
    the provider pages apply one provider at a time."""
    cases = {
        "Compliant Ltd": {},
        "Missing Evidence Ltd": {"missing": "public_liability"},
        "Expired Yesterday Ltd": {"expiry": ("public_liability", -1)},
        "Expires Today Ltd": {"expiry": ("public_liability", 0)},
        "Expires In 30 Ltd": {"expiry": ("public_liability", 30)},
        "Expires In 31 Ltd": {"expiry": ("public_liability", 31)},
        "Short Cover Ltd": {"cover": ("employers_liability", 1)},
        "Transports Ltd": {"fields": {"transports_pupils": True}},
        "Ofsted Ltd": {"fields": {"ofsted_registered": True}},
        "Renewal Pending Ltd": {"pending": ("public_liability", -3)},
        "Superseded Newer Ltd": {"newer": ("public_liability", 5)},
    }
    providers = []
    for name, case in cases.items():
        provider = factories.compliant_provider(name)
        for field, value in case.get("fields", {}).items():
            setattr(provider, field, value)  # now missing the evidence that makes it need
        assessed = compliance_for([provider], today)[provider.id]
        by_code = {k.kind.code: k for k in assessed.kinds}
        if "missing" in case:
            by_code[case["missing"]].item.status = ItemStatus.SUPERSEDED
        if "expiry" in case:
            code, days = case["expiry"]
            by_code[code].item.expiry_date = today + timedelta(days=days)
        if "cover" in case:
            code, pounds = case["cover"]
            by_code[code].item.cover_amount = pounds
        if "pending" in case:
            code, days = case["pending"]
            by_code[code].item.expiry_date = today + timedelta(days=days)
            factories.item(provider, code, status=ItemStatus.AWAITING_VERIFICATION)
        if "newer" in case:
            code, days = case["newer"]
            factories.item(provider, code, expiry=today + timedelta(days=days))
        providers.append(provider)
    db.session.flush()
    states = [a.state for a in compliance_for(providers, today).values()]
    expected = (states.count(State.NON_COMPLIANT), states.count(State.DUE_SOON))
    assert expected[0] >= 5 and expected[1] >= 3, states  # the cases do cover both
    everyone = policy.watched_providers_for(factories.user("admin"))
    assert compliance_counts(everyone, today) == expected


def test_a_head_sees_the_visits_they_are_invited_to(today, hbep, coordinator, login):
    head = factories.user("head", school=factories.school("HBEP"))
    invited = factories.visit(
        coordinator, at=used_by(hbep, "Invited To Ltd"), invited=[head], visit_date=today
    )
    factories.visit(coordinator, at=used_by(hbep, "Not Invited Ltd"), visit_date=today)
    db.session.commit()
    page = login(head).get("/").data.decode()
    listed = page[page.index("data-invited-visits") :]
    assert f'href="/visits/{invited.id}">Invited To Ltd' in listed
    assert "Not Invited Ltd" not in listed


def test_admin_and_officer_counts_link_to_their_lists(today, hbep, coordinator, login):
    used_by(hbep, "Never Seen Ltd")
    signed_off_visit(
        coordinator,
        used_by(hbep, "Acted On Ltd"),
        today,
        ("Fix the gate", today, ActionStatus.OPEN),
    )
    db.session.commit()
    for role in ("admin", "officer"):
        client = login(factories.user(role))
        page = client.get("/").data.decode()
        assert need(page, "provider overdue a visit") == 1  # Acted On was visited 60 days ago
        link = needs_link(page, "action from visits due")
        assert "Fix the gate" in client.get(link).data.decode()
