"""Adding, editing and reading pupils' records through the pages, as each role does."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import select

from qa_portal import clock
from qa_portal.audit import AuditEvent
from qa_portal.db import db
from qa_portal.pupils.models import Ethnicity, Pupil, academic_year
from tests import factories


def form_data(school, **change) -> dict:
    born = factories.born_in_year(9)
    data = {
        "first_names": "Ava Rose",
        "last_name": "Marlow",
        "upn": factories.upn(),
        "date_of_birth": [str(born.day), str(born.month), str(born.year)],
        "year_group": "None",
        "gender": "female",
        "ethnicity": "MWBC",
        "school_id": str(school.id),
        "key_worker_id": "None",
        "pupil_premium": "y",
    }
    data.update(change)
    return {k: v for k, v in data.items() if v is not None}


def error_next_to(html: str, field_id: str) -> str:
    """The error message shown with a field (GOV.UK's `<p id="<field>-error">`)."""
    pattern = rf'<p id="{field_id}-error" class="govuk-error-message">(.*?)</p>'
    match = re.search(pattern, html, re.S)
    assert match, f"no error next to {field_id}"
    text = re.sub(r"<[^>]+>", "", match.group(1)).replace("Error:", "")
    return html_lib.unescape(text).strip()


@pytest.fixture
def hbep_staff():
    return factories.user("staff", partnership=factories.partnership("HBEP"))


def test_staff_add_a_pupil_and_see_the_record(login, hbep_staff):
    school = factories.school("HBEP", 1)
    db.session.commit()
    client = login(hbep_staff)
    upn = factories.upn(4242)
    data = form_data(school, key_worker_id=str(hbep_staff.id), upn=f" {upn[:5].lower()} {upn[5:]} ")
    response = client.post("/pupils/new", data=data)
    assert response.status_code == 302, response.data
    pupil = db.session.scalars(select(Pupil).where(Pupil.last_name == "Marlow")).one()
    assert pupil.upn == factories.upn(4242)  # upper case, no spaces
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ava Rose Marlow" in page
    assert "Year 9 (by date of birth)" in page
    assert "White and Black Caribbean" in page and "MWBC" not in page
    assert school.name in page and "(HBEP)" in page
    assert hbep_staff.name in page
    assert "Pupil premium" in page
    assert "Record created" in page  # the timeline, from the audit log


def test_a_chosen_year_group_is_shown_beside_the_one_by_age(login, hbep_staff):
    school = factories.school("HBEP")
    db.session.commit()
    client = login(hbep_staff)
    response = client.post("/pupils/new", data=form_data(school, year_group="8"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Year 8 (year 9 by date of birth)" in page


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"upn": "A801200005001"}, "upn", "check letter does not match"),
        ({"upn": "B80120000500"}, "upn", "13 characters"),
        ({"date_of_birth": ["1", "1", "2005"]}, "date_of_birth", "secondary-age pupil"),
        ({"ehcp": "y", "sen_support": "y"}, "sen_support", "not also on SEN support"),
        ({"first_names": ""}, "first_names", "Enter the pupil's first name"),
        ({"ethnicity": "XXXX"}, "ethnicity", "Not a valid choice"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_stored(
    login, hbep_staff, change, field, message
):
    school = factories.school("HBEP")
    db.session.commit()
    response = login(hbep_staff).post("/pupils/new", data=form_data(school, **change))
    assert response.status_code == 200
    assert message in error_next_to(response.get_data(as_text=True), field)
    assert db.session.scalars(select(Pupil).where(Pupil.last_name == "Marlow")).first() is None


def test_a_key_worker_of_another_partnership_is_refused(login, hbep_staff):
    school = factories.school("HBEP")
    lip_staff = factories.user("staff", partnership=factories.partnership("LIP"))
    db.session.commit()
    response = login(factories.user("admin")).post(
        "/pupils/new", data=form_data(school, key_worker_id=str(lip_staff.id))
    )
    assert "must be a member of staff of HBEP" in error_next_to(
        response.get_data(as_text=True), "key_worker_id"
    )


def test_staff_cannot_add_a_pupil_to_another_partnerships_school(login, hbep_staff):
    lip_school = factories.school("LIP")
    db.session.commit()
    response = login(hbep_staff).post("/pupils/new", data=form_data(lip_school))
    assert response.status_code == 200
    assert "Not a valid choice" in error_next_to(response.get_data(as_text=True), "school_id")
    assert db.session.scalars(select(Pupil).where(Pupil.last_name == "Marlow")).first() is None


def test_a_duplicate_upn_links_to_the_pupil_for_someone_who_may_see_them(login, hbep_staff):
    existing = factories.pupil(factories.school("HBEP", 1), first_names="Noor", last_name="Hale")
    db.session.commit()
    response = login(hbep_staff).post(
        "/pupils/new", data=form_data(factories.school("HBEP"), upn=existing.upn.lower())
    )
    html = response.get_data(as_text=True)
    assert error_next_to(html, "upn") == "A pupil with this UPN is already recorded"
    assert f'href="/pupils/{existing.id}"' in html
    assert "Open the record of Noor Hale" in html


def test_a_duplicate_upn_names_no_one_the_person_may_not_see(login):
    existing = factories.pupil(factories.school("LIP"), first_names="Noor", last_name="Hale")
    lip_staff_school = factories.school("HBEP")
    db.session.commit()
    response = login(factories.user("staff")).post(
        "/pupils/new", data=form_data(lip_staff_school, upn=existing.upn)
    )
    html = response.get_data(as_text=True)
    assert error_next_to(html, "upn") == "A pupil with this UPN is already recorded"
    assert f"/pupils/{existing.id}" not in html
    assert "Noor" not in html and "Hale" not in html


def test_editing_keeps_a_pupils_own_upn_and_records_what_changed(login, hbep_staff):
    pupil = factories.pupil(factories.school("HBEP"), last_name="Stone")
    db.session.commit()
    client = login(hbep_staff)
    form = client.get(f"/pupils/{pupil.id}/edit").get_data(as_text=True)
    assert f'value="{pupil.upn}"' in form
    born = pupil.date_of_birth
    data = form_data(
        pupil.school,
        upn=pupil.upn,
        last_name="Stone-Ward",
        ethnicity="WBRI",
        date_of_birth=[str(born.day), str(born.month), str(born.year)],
    )
    data["first_names"] = pupil.first_names
    response = client.post(f"/pupils/{pupil.id}/edit", data=data)
    assert response.status_code == 302, response.data
    db.session.expire_all()
    assert pupil.last_name == "Stone-Ward" and pupil.ethnicity is Ethnicity.WBRI
    change = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "pupil_changed")
    ).one()
    assert change.pupil_id == pupil.id
    assert "last name" in change.summary and "Stone" not in str(change.details)
    page = client.get(f"/pupils/{pupil.id}").get_data(as_text=True)
    assert "Record changed" in page and "Changed last name" in page


def test_a_record_kept_after_the_pupil_left_stays_editable(login, hbep_staff, monkeypatch):
    pupil = factories.pupil(factories.school("HBEP"), year_group=11)
    db.session.commit()
    later = clock.today().replace(year=clock.today().year + 2)
    monkeypatch.setattr("qa_portal.clock.today", lambda: later)
    client = login(hbep_staff)
    born = pupil.date_of_birth
    data = form_data(
        pupil.school,
        upn=pupil.upn,
        first_names=pupil.first_names,
        last_name="Moved",
        date_of_birth=[str(born.day), str(born.month), str(born.year)],
    )
    assert client.post(f"/pupils/{pupil.id}/edit", data=data).status_code == 302
    assert "Year 13" in client.get(f"/pupils/{pupil.id}").get_data(as_text=True)


def test_every_view_of_a_record_is_audited_naming_the_pupil(login, hbep_staff):
    pupil = factories.pupil(factories.school("HBEP"))
    head = factories.user("head", school=pupil.school)
    db.session.commit()
    for user in (hbep_staff, head):
        assert login(user).get(f"/pupils/{pupil.id}").status_code == 200
    # The edit form shows the whole record too.
    assert login(hbep_staff).get(f"/pupils/{pupil.id}/edit").status_code == 200
    views = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "pupil_viewed").order_by(AuditEvent.id)
    ).all()
    assert [(v.actor_email, v.pupil_id, v.target_type, v.target_id) for v in views] == [
        (hbep_staff.email, pupil.id, "Pupil", str(pupil.id)),
        (head.email, pupil.id, "Pupil", str(pupil.id)),
        (hbep_staff.email, pupil.id, "Pupil", str(pupil.id)),
    ]


def test_a_refused_view_is_not_audited_as_a_view(login):
    pupil = factories.pupil(factories.school("LIP"))
    db.session.commit()
    assert login(factories.user("staff")).get(f"/pupils/{pupil.id}").status_code == 404
    assert not db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "pupil_viewed")
    ).first()


def test_the_admin_filters_the_audit_log_by_pupil(login):
    pupil, other = factories.pupil(), factories.pupil()
    admin = factories.user("admin")
    staff = factories.user("staff")
    db.session.commit()
    login(staff).get(f"/pupils/{pupil.id}")
    login(staff).get(f"/pupils/{other.id}")
    client = login(admin)
    page = client.get(f"/admin/audit?pupil={pupil.upn.lower()}").get_data(as_text=True)
    assert f"Pupil #{pupil.id}" in page and f"Pupil #{other.id}" not in page
    rows = page.split('<tbody class="govuk-table__body">')[1]
    assert "<strong>pupil viewed</strong>" in rows
    assert "<strong>sign in</strong>" not in rows  # events about no pupil are left out
    unknown = client.get("/admin/audit?pupil=B801200005001").get_data(as_text=True)
    assert "No pupil has this UPN" in unknown and "data-audit-empty" in unknown


def test_the_pupil_page_links_admins_to_its_audit_trail(login):
    pupil = factories.pupil()
    db.session.commit()
    admin_page = login(factories.user("admin")).get(f"/pupils/{pupil.id}").get_data(as_text=True)
    assert f"/admin/audit?pupil={pupil.upn}" in admin_page
    staff_page = login(factories.user("staff")).get(f"/pupils/{pupil.id}").get_data(as_text=True)
    assert "/admin/audit" not in staff_page


def test_the_year_group_shown_follows_the_academic_year(login, monkeypatch):
    pupil = factories.pupil(year_group=8)
    db.session.commit()
    client = login(factories.user("staff"))
    assert "Year 8 (by date of birth)" in client.get(f"/pupils/{pupil.id}").get_data(as_text=True)
    year = academic_year(clock.today())
    from datetime import date

    monkeypatch.setattr("qa_portal.clock.today", lambda: date(year + 1, 9, 1))
    assert "Year 9 (by date of birth)" in client.get(f"/pupils/{pupil.id}").get_data(as_text=True)
