"""Concerns about a provider: raised by a head or staff, read by their partnership and the
county, never by the provider; resolved once; a visit planned about one; the list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from qa_portal.audit import AuditEvent
from qa_portal.concerns import services
from qa_portal.concerns.models import Concern, ConcernCategory
from qa_portal.db import db
from qa_portal.providers.models import ProviderStatus
from qa_portal.visits.models import Visit, VisitStatus
from tests import factories
from tests.conftest import count_queries

TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("qa_portal.clock.today", lambda: TODAY)


def _day(d: date) -> list[str]:
    return [str(d.day), str(d.month), str(d.year)]


def raise_form(**over):
    data = {
        "category": "safeguarding",
        "happened_on": _day(TODAY - timedelta(days=2)),
        "description": "A pupil left the site unsupervised at lunchtime",
        "pupils_involved": "J.S., A.B.",
    }
    data.update(over)
    return data


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- raising ------------------------------------------------------------------------------------


def test_a_head_raises_a_concern_from_the_providers_page(login):
    head = factories.user("head", school=factories.school("HBEP", 1))
    provider = factories.provider("Concerning Provider Ltd")
    db.session.commit()
    client = login(head)
    page = client.get(f"/providers/{provider.id}").get_data(as_text=True)
    assert "Raise a concern" in page and 'data-open-concerns="0"' in page
    form = client.get(f"/providers/{provider.id}/concerns/new").get_data(as_text=True)
    assert "Initials only, like J.S., A.B. Do not write pupils&#39; names." in form
    response = client.post(f"/providers/{provider.id}/concerns/new", data=raise_form())
    assert response.status_code == 302
    concern = db.session.scalars(select(Concern)).one()
    assert response.headers["Location"].endswith(f"/concerns/{concern.id}")
    assert (concern.category, concern.happened_on) == (
        ConcernCategory.SAFEGUARDING,
        TODAY - timedelta(days=2),
    )
    assert concern.partnership == factories.partnership("HBEP")  # the school's partnership
    assert (concern.school_id, concern.raised_by, concern.pupils_involved) == (
        head.school_id,
        head,
        "J.S., A.B.",
    )
    assert concern.is_open and concern.visit_id is None
    [event] = _events("concern_raised")
    assert (event.actor_id, event.target_type, event.target_id) == (
        head.id,
        "Concern",
        str(concern.id),
    )
    shown = client.get(f"/concerns/{concern.id}").get_data(as_text=True)
    assert "A pupil left the site unsupervised" in shown and "Not resolved yet." in shown
    assert "Record the resolution" not in shown  # the partnership resolves it


def test_staff_raise_a_concern_for_their_partnership(login):
    staff = factories.user("staff", partnership=factories.partnership("LIP"))
    provider = factories.provider()
    db.session.commit()
    response = login(staff).post(
        f"/providers/{provider.id}/concerns/new", data=raise_form(category="attendance")
    )
    assert response.status_code == 302
    concern = db.session.scalars(select(Concern)).one()
    assert (concern.partnership.code, concern.school) == ("LIP", None)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"happened_on": _day(TODAY + timedelta(days=1))}, "happened_on", "today or in the past"),
        ({"pupils_involved": "John Smith"}, "pupils_involved", "initials only"),
        ({"pupils_involved": "J.Smith"}, "pupils_involved", "initials only"),
        ({"description": ""}, "description", "Say what happened"),
        ({"category": "gossip"}, "category", "Not a valid choice"),
        ({"happened_on": ["31", "2", "2026"]}, "happened_on", "must be a real date"),
        ({"description": "x" * 5001}, "description", "5,000 characters or fewer"),
    ],
)
def test_a_concern_with_bad_details_is_refused_next_to_the_field(login, change, field, message):
    head = factories.user("head")
    provider = factories.provider()
    db.session.commit()
    response = login(head).post(f"/providers/{provider.id}/concerns/new", data=raise_form(**change))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    assert db.session.scalars(select(Concern)).all() == []


@pytest.mark.parametrize(
    ("text", "initials"),
    [
        ("", True),
        ("J.S.", True),
        ("JS, AB and K-L.M", True),
        ("J. S.; A. B.", True),
        ("Ó.N.", True),
        ("John Smith", False),
        ("Smith", False),
        ("J.Smith", False),
        ("Year 9 boy", False),
    ],
)
def test_pupils_are_named_by_initials_only(text, initials):
    assert services.only_initials(text) is initials


def test_the_database_refuses_half_a_resolution():
    concern = factories.concern(factories.user("staff"))
    concern.resolution = "Sorted"
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# --- who sees a concern -------------------------------------------------------------------------


def test_each_role_sees_the_concerns_of_its_own_scope(login):
    hbep_head = factories.user("head", school=factories.school("HBEP", 0))
    other_head = factories.user("head", school=factories.school("HBEP", 0))  # same school
    hbep_staff = factories.user("staff")
    lip_staff = factories.user("staff", partnership=factories.partnership("LIP"))
    provider = factories.provider()
    provider_user = factories.user("provider", provider=provider)
    own = factories.concern(hbep_head, at=provider, description="Raised by the head")
    lip = factories.concern(lip_staff, at=provider, description="Raised in LIP")
    db.session.commit()

    def seen(user) -> dict[str, int]:
        client = login(user)
        return {
            "own": client.get(f"/concerns/{own.id}").status_code,
            "lip": client.get(f"/concerns/{lip.id}").status_code,
            "list": client.get("/concerns").status_code,
        }

    assert seen(hbep_head) == {"own": 200, "lip": 404, "list": 200}
    assert seen(other_head) == {"own": 404, "lip": 404, "list": 200}
    assert seen(hbep_staff) == {"own": 200, "lip": 404, "list": 200}
    assert seen(lip_staff) == {"own": 404, "lip": 200, "list": 200}
    assert seen(factories.user("officer")) == {"own": 200, "lip": 200, "list": 200}
    assert seen(factories.user("admin")) == {"own": 200, "lip": 200, "list": 200}
    assert seen(provider_user) == {"own": 403, "lip": 403, "list": 403}
    listed = login(other_head).get("/concerns").get_data(as_text=True)
    assert "No concerns match." in listed


def test_the_providers_page_counts_open_concerns_for_those_who_may_see_them(login):
    provider = factories.provider("Counted Provider Ltd")
    provider_user = factories.user("provider", provider=provider)
    staff = factories.user("staff")
    head = factories.user("head")
    factories.concern(head, at=provider, category=ConcernCategory.BEHAVIOUR)
    factories.concern(staff, at=provider)
    factories.resolve(factories.concern(staff, at=provider), staff)
    factories.concern(
        factories.user("staff", partnership=factories.partnership("LIP")), at=provider
    )
    db.session.commit()
    counts = {}
    for role, user in {"staff": staff, "head": head, "officer": factories.user("officer")}.items():
        page = login(user).get(f"/providers/{provider.id}").get_data(as_text=True)
        counts[role] = page.split('data-open-concerns="')[1].split('"')[0]
    assert counts == {"staff": "2", "head": "1", "officer": "3"}
    page = login(provider_user).get(f"/providers/{provider.id}").get_data(as_text=True)
    assert "data-open-concerns" not in page and "/concerns" not in page
    assert "Raise a concern" not in page


# --- resolving ----------------------------------------------------------------------------------


def test_staff_of_the_partnership_resolve_a_concern_once(login):
    head = factories.user("head")
    staff = factories.user("staff")
    concern = factories.concern(head)
    db.session.commit()
    client = login(staff)
    assert "Record the resolution" in client.get(f"/concerns/{concern.id}").get_data(as_text=True)
    data = {"resolution": "Provider changed its lunch supervision", "resolved_on": _day(TODAY)}
    response = client.post(f"/concerns/{concern.id}/resolve", data=data)
    assert response.status_code == 302
    db.session.refresh(concern)
    assert not concern.is_open
    assert (concern.resolution, concern.resolved_on, concern.resolved_by) == (
        "Provider changed its lunch supervision",
        TODAY,
        staff,
    )
    [event] = _events("concern_resolved")
    assert (event.actor_id, event.target_id) == (staff.id, str(concern.id))
    page = client.get(f"/concerns/{concern.id}").get_data(as_text=True)
    assert "Provider changed its lunch supervision" in page and "Record the resolution" not in page
    # A second resolution, sent from a page opened before the first, is refused.
    assert client.post(f"/concerns/{concern.id}/resolve", data=data).status_code == 403
    with pytest.raises(services.ConcernError, match="already been resolved"):
        services.resolve_concern(staff, concern, resolution="Again", resolved_on=TODAY, today=TODAY)
    assert len(_events("concern_resolved")) == 1


@pytest.mark.parametrize(
    ("resolved_on", "message"),
    [
        (TODAY + timedelta(days=1), "today or in the past"),
        (TODAY - timedelta(days=30), "on or after the day it happened"),
    ],
)
def test_a_resolution_dated_wrongly_is_refused(login, resolved_on, message):
    staff = factories.user("staff")
    concern = factories.concern(staff)
    db.session.commit()
    response = login(staff).post(
        f"/concerns/{concern.id}/resolve",
        data={"resolution": "Done", "resolved_on": _day(resolved_on)},
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.refresh(concern)
    assert concern.is_open


def test_officers_and_heads_read_but_do_not_resolve(login):
    head = factories.user("head")
    concern = factories.concern(head)
    db.session.commit()
    data = {"resolution": "Done", "resolved_on": _day(TODAY)}
    for user in (head, factories.user("officer")):
        client = login(user)
        assert "Record the resolution" not in client.get(f"/concerns/{concern.id}").get_data(
            as_text=True
        )
        assert client.post(f"/concerns/{concern.id}/resolve", data=data).status_code == 403
    db.session.refresh(concern)
    assert concern.is_open


# --- a visit about a concern --------------------------------------------------------------------


def _plan(client, concern, **over):
    when = TODAY + timedelta(days=3)
    page = client.get(f"/visits/new?concern={concern.id}")
    assert page.status_code == 200
    data = {
        "provider_id": str(concern.provider_id),
        "visit_type": services.visit_type_for(concern).value,
        "visit_date": _day(when),
        "lead_id": str(over.pop("lead_id")),
        "purpose": services.visit_purpose(concern),
        "concern_id": str(concern.id),
    }
    data.update(over)
    return page, client.post("/visits/new", data=data)


@pytest.mark.parametrize(
    ("category", "visit_type"),
    [("safeguarding", "unannounced"), ("premises", "unannounced"), ("attendance", "follow_up")],
)
def test_planning_a_visit_about_a_concern_links_it(login, category, visit_type):
    staff = factories.user("staff")
    provider = factories.provider("Followed Up Ltd")
    concern = factories.concern(
        factories.user("head"), at=provider, category=ConcernCategory(category)
    )
    db.session.commit()
    client = login(staff)
    detail = client.get(f"/concerns/{concern.id}").get_data(as_text=True)
    assert f'href="/visits/new?concern={concern.id}"' in detail
    assert "Plan a visit about this concern" in detail
    page, response = _plan(client, concern, lead_id=staff.id)
    form = page.get_data(as_text=True)
    assert f'<option selected value="{provider.id}">' in form or (
        f'value="{provider.id}" selected' in form
    )
    assert f'value="{visit_type}" checked' in form
    assert f'name="concern_id" type="hidden" value="{concern.id}"' in form
    assert "Pupils sent home early" not in form  # what the concern says stays off the visit
    assert response.status_code == 302, response.get_data(as_text=True)
    visit = db.session.scalars(select(Visit)).one()
    db.session.refresh(concern)
    assert concern.visit == visit and visit.visit_type.value == visit_type
    assert len(_events("concern_visit_planned")) == 1
    detail = client.get(f"/concerns/{concern.id}").get_data(as_text=True)
    assert "data-concern-visit" in detail and "Plan a visit about this concern" not in detail
    assert client.get(f"/visits/new?concern={concern.id}").status_code == 403


def test_a_visit_about_a_concern_is_to_its_provider(login):
    staff = factories.user("staff")
    concern = factories.concern(staff)
    elsewhere = factories.provider()
    db.session.commit()
    _, response = _plan(login(staff), concern, lead_id=staff.id, provider_id=str(elsewhere.id))
    assert response.status_code == 200
    assert "The visit must be to the provider the concern is about" in response.get_data(
        as_text=True
    )
    assert db.session.scalars(select(Visit)).all() == []


def test_a_concern_out_of_scope_cannot_be_slipped_into_the_form(login):
    staff = factories.user("staff")
    lip = factories.concern(factories.user("staff", partnership=factories.partnership("LIP")))
    own = factories.concern(staff, at=lip.provider)
    db.session.commit()
    client = login(staff)
    assert client.get(f"/visits/new?concern={lip.id}").status_code == 404
    when = TODAY + timedelta(days=3)
    data = {
        "provider_id": str(lip.provider_id),
        "visit_type": "follow_up",
        "visit_date": _day(when),
        "lead_id": str(staff.id),
        "concern_id": str(lip.id),
    }
    assert client.post("/visits/new", data=data).status_code == 404
    assert client.post("/visits/new", data={**data, "concern_id": "x"}).status_code == 404
    factories.resolve(own, staff)
    db.session.commit()
    assert client.post("/visits/new", data={**data, "concern_id": str(own.id)}).status_code == 403
    assert db.session.scalars(select(Visit)).all() == []


def test_no_visit_is_planned_about_a_concern_with_a_closed_provider_or_a_live_visit():
    staff = factories.user("staff")
    concern = factories.concern(staff)
    from qa_portal import policy

    assert policy.can(staff, "plan_visit", concern)
    concern.visit = factories.visit(staff, at=concern.provider)
    assert not policy.can(staff, "plan_visit", concern)
    concern.visit.status = VisitStatus.CANCELLED
    assert policy.can(staff, "plan_visit", concern)
    concern.provider.status = ProviderStatus.CLOSED
    assert not policy.can(staff, "plan_visit", concern)


# --- the list -----------------------------------------------------------------------------------


def test_the_list_shows_open_concerns_first_and_filters(login):
    staff = factories.user("staff")
    boxing = factories.provider("Boxing Academy")
    farm = factories.provider("Care Farm")
    old_open = factories.concern(staff, at=farm, happened_on=TODAY - timedelta(days=90))
    recent_resolved = factories.resolve(
        factories.concern(staff, at=boxing, category=ConcernCategory.SAFEGUARDING), staff
    )
    new_open = factories.concern(staff, at=boxing, happened_on=TODAY - timedelta(days=1))
    db.session.commit()
    client = login(staff)

    def listed(query: str = "") -> list[int]:
        page = client.get(f"/concerns{query}").get_data(as_text=True)
        return [int(part.split('"')[0]) for part in page.split('href="/concerns/')[1:]]

    assert listed() == [new_open.id, old_open.id, recent_resolved.id]
    assert listed("?status=open") == [new_open.id, old_open.id]
    assert listed("?status=resolved") == [recent_resolved.id]
    assert listed("?category=safeguarding") == [recent_resolved.id]
    assert listed("?q=farm") == [old_open.id]
    assert listed(f"?provider={boxing.id}") == [new_open.id, recent_resolved.id]
    bad = client.get("/concerns?status=purple")
    assert bad.status_code == 400 and "Not a valid choice" in bad.get_data(as_text=True)
    assert client.get("/concerns?page=2").status_code == 200
    assert client.get("/concerns?page=0").status_code == 404


def test_staff_are_told_of_open_concerns_on_their_home_page(login):
    staff = factories.user("staff")
    factories.concern(factories.user("head"))
    factories.concern(staff)
    factories.resolve(factories.concern(staff), staff)
    factories.concern(factories.user("staff", partnership=factories.partnership("LIP")))
    db.session.commit()
    page = login(staff).get("/").get_data(as_text=True)
    assert "concerns about providers raised in your partnership, still open" in page
    assert 'href="/concerns?status=open"><span class="portal-needs__count">2</span>' in page


def _grow(count: int) -> None:
    hbep = factories.partnership("HBEP")
    heads = [factories.user("head", school=school) for school in hbep.schools[:2]]
    staff = factories.user("staff")
    for n in range(count):
        provider = factories.provider()
        raiser = heads[n % 2] if n % 3 else staff
        concern = factories.concern(raiser, at=provider, category=list(ConcernCategory)[n % 6])
        if n % 4 == 0:
            factories.resolve(concern, staff)
    db.session.commit()


@pytest.mark.parametrize("role", ("admin", "officer", "staff", "head"))
@pytest.mark.parametrize("query", ("", "?status=open&category=attendance&q=Test"))
def test_the_list_asks_the_same_questions_at_any_size(login, role, query):
    user = factories.user(role)
    db.session.commit()
    client = login(user)

    def queries() -> int:
        client.get(f"/concerns{query}")
        with count_queries() as statements:
            response = client.get(f"/concerns{query}")
        assert response.status_code == 200
        return len(statements)

    _grow(3)
    if role == "head":
        factories.concern(user)
        db.session.commit()
    small = queries()
    _grow(60)
    if role == "head":
        for _ in range(55):
            factories.concern(user)
        db.session.commit()
    assert queries() == small
