"""Bad input anywhere gets a clear 4xx or the error next to its field, never a 500, and
nothing that cannot be stored is stored (on SQLite as on PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from qa_portal.db import db
from qa_portal.partnerships.models import School
from qa_portal.providers.models import Provider
from qa_portal.visits import signoff
from qa_portal.visits.models import ActionStatus, FollowUpAction, PupilSeen, VisitStatus
from tests import factories


@pytest.fixture
def staff(login):
    user = factories.user("staff")
    db.session.commit()
    return user, login(user)


@pytest.fixture
def admin(login):
    user = factories.user("admin")
    db.session.commit()
    return login(user)


# --- the register's filters ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("compliance=x", "Not a valid choice"),
        ("area=%20", None),
        ("status=%20", None),
        ("area=99999999999999999999", "Not a valid choice"),
        ("q=a%00", "control characters"),
    ],
)
def test_a_bad_register_filter_shows_the_list_with_the_error(staff, query, shown):
    factories.provider("Filter Test Provider")
    db.session.commit()
    _, client = staff
    response = client.get(f"/providers?{query}")
    assert response.status_code in (200, 400)
    page = response.get_data(as_text=True)
    assert "Filter Test Provider" in page
    if shown:
        assert response.status_code == 400
        assert shown in page
        assert "govuk-error-message" in page  # next to the filter


def test_an_upload_page_ignores_a_kind_that_is_not_an_id(staff):
    _, client = staff
    provider = factories.provider()
    db.session.commit()
    for kind in ("²", "99999999999999999999", "-1"):
        assert client.get(f"/providers/{provider.id}/compliance/new?kind={kind}").status_code == 200


# --- sign-off ----------------------------------------------------------------------------------


def _judged(visit, **extra):
    data = {"overall": "green", "strengths": "", "development": ""}
    for area in visit.framework.areas:
        data[f"area-{area.id}"], data[f"reason-{area.id}"] = "green", "Seen on the day"
    return {**data, **extra}


@pytest.fixture
def lead_visit(login):
    lead = factories.user("staff")
    visit = factories.visit(lead)
    db.session.commit()
    return lead, visit, login(lead)


@pytest.mark.parametrize("bad", ["overall", "area"])
def test_sign_off_with_a_judgement_that_is_not_one_says_so(lead_visit, bad):
    _, visit, client = lead_visit
    field = "overall" if bad == "overall" else f"area-{visit.framework.areas[0].id}"
    response = client.post(f"/visits/{visit.id}/summary", data=_judged(visit, **{field: "purple"}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose green, amber or red" in page
    assert f'id="{field}-error"' in page  # next to the field
    assert db.session.get(type(visit), visit.id).status is VisitStatus.SCHEDULED


@pytest.mark.parametrize("field", ["strengths", "development", "reason"])
def test_sign_off_text_is_bounded_and_storable(lead_visit, field):
    _, visit, client = lead_visit
    name = f"reason-{visit.framework.areas[0].id}" if field == "reason" else field
    for bad, message in (("x" * 100_000, "5,000 characters or fewer"), ("a\x00b", "control")):
        response = client.post(f"/visits/{visit.id}/summary", data=_judged(visit, **{name: bad}))
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert message in page
        assert f'id="{name}-error"' in page
    db.session.expire_all()
    assert db.session.get(type(visit), visit.id).status is VisitStatus.SCHEDULED


def test_the_second_of_two_sign_offs_at_once_is_told_it_is_already_signed_off(lead_visit):
    lead, visit, client = lead_visit
    # This request loaded the visit while it was open, as a second sign-off at the same
    # moment would have; then the first one commits.
    assert visit.is_open and visit.judgements == []
    assert client.post(f"/visits/{visit.id}/summary", data=_judged(visit)).status_code == 302
    decisions = {
        area.id: signoff.AreaDecision("amber", "Another view") for area in visit.framework.areas
    }
    with pytest.raises(signoff.SignOffError, match="already signed off"):
        signoff.sign_off(lead, visit, decisions, "amber", "", "")
    db.session.expire_all()
    assert {j.judgement.value for j in db.session.get(type(visit), visit.id).judgements} == {
        "green"
    }


def test_a_response_of_only_spaces_is_refused(login):
    provider = factories.provider()
    user = factories.user("provider", provider=provider)
    visit = factories.visit(factories.user("staff"), at=provider, status=VisitStatus.PUBLISHED)
    action = FollowUpAction(
        visit_id=visit.id, description="Fix it", owner="Manager", due_on=date.today()
    )
    db.session.add(action)
    db.session.commit()
    client = login(user)
    for bad in ("   ", "a\x00b"):
        response = client.post(
            f"/visits/{visit.id}/actions/{action.id}",
            data={"response": bad, "status": "done"},
            follow_redirects=True,
        )
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "Enter your response" in page or "control characters" in page
    db.session.expire_all()
    stored = db.session.get(FollowUpAction, action.id)
    assert (stored.provider_response, stored.status) == ("", ActionStatus.OPEN)


# --- admin lists --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/admin/users", "/admin/audit", "/admin/outbox", "/admin/compliance-kinds"]
)
def test_a_page_number_no_list_has_is_not_found(admin, path):
    for page in ("99999999999999999999", "100001", "-1", "x", "²"):
        assert admin.get(f"{path}?page={page}").status_code == 404, page
    assert admin.get(f"{path}?page=5000").status_code == 200  # past the end: an empty page


@pytest.mark.parametrize(
    "query", ["date_to=9999-12-31", "date_from=9999-12-31", "date_from=0001-01-01", "actor=a%00"]
)
def test_the_audit_log_takes_any_date_filter(admin, query):
    assert admin.get(f"/admin/audit?{query}").status_code == 200


@pytest.mark.parametrize("query", ["role=%20", "status=%20", "role=purple", "q=a%00"])
def test_the_user_list_takes_any_filter(admin, query):
    assert admin.get(f"/admin/users?{query}").status_code == 200


# --- text that cannot be stored -----------------------------------------------------------------


def test_a_provider_cannot_store_a_nul_in_its_contact_name(login):
    provider = factories.provider()
    provider.contact_name = "Before"
    user = factories.user("provider", provider=provider)
    db.session.commit()
    client = login(user)
    response = client.post(f"/providers/{provider.id}/edit", data={"contact_name": "Ann\x00 Lee"})
    assert response.status_code == 200
    assert "control characters" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Provider, provider.id).contact_name == "Before"


@pytest.mark.parametrize("field", ["name", "note"])
def test_a_pupil_with_a_nul_is_refused_and_not_stored(lead_visit, field):
    _, visit, client = lead_visit
    data = {"name": "A. B.", "school_id": 0, "note": "", field: "a\x00b"}
    response = client.post(f"/visits/{visit.id}/pupils", data=data)
    assert response.status_code == 400
    assert "control characters" in response.get_data(as_text=True)
    count = select(func.count()).select_from(PupilSeen).where(PupilSeen.visit_id == visit.id)
    assert db.session.scalar(count) == 0


# --- names that differ only in case ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"), [("Élan Training", "élan training"), ("Ölçü", "ölçü"), ("Ölçü", "Ölçü")]
)
def test_a_provider_name_differing_only_in_case_is_refused(staff, first, second):
    """SQLite's lower() folds only ASCII: before the name key, the second "Élan" was stored
    beside the first, and the very same non-ASCII name twice met the unique constraint (a 500)."""
    _, client = staff
    factories.provider(first)
    db.session.commit()
    data = {"name": second, "ofsted_registered": "no", "vocational_areas": []}
    response = client.post("/providers/new", data=data)
    assert response.status_code == 200
    assert "already on the register" in response.get_data(as_text=True)
    named = select(func.count()).select_from(Provider).where(Provider.name.in_([first, second]))
    assert db.session.scalar(named) == 1


@pytest.mark.parametrize(
    ("first", "second"), [("École Saint-Jean", "école saint-jean"), ("École", "École")]
)
def test_a_school_name_differing_only_in_case_is_refused(admin, first, second):
    partnership = factories.partnership("HBEP")
    db.session.add(School(name=first, partnership=partnership))
    db.session.commit()
    response = admin.post("/schools/new", data={"name": second, "partnership_id": partnership.id})
    assert response.status_code == 200
    assert "A school with this name already exists" in response.get_data(as_text=True)
    names = select(func.count()).select_from(School).where(School.name.in_([first, second]))
    assert db.session.scalar(names) == 1
