"""Partnerships and schools: loaded from the bundled reference list, edited by admins."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from qa_portal.audit import AuditEvent
from qa_portal.db import db
from qa_portal.partnerships.models import Partnership, School
from qa_portal.partnerships.services import REFERENCE_CSV, load_reference
from tests import factories


def test_reference_list_holds_the_five_partnerships_and_their_schools():
    codes = db.session.scalars(select(Partnership.code).order_by(Partnership.code)).all()
    assert codes == ["HBEP", "LIP", "MSCIP", "NWLLIP", "SLIP"]
    rows = REFERENCE_CSV.read_text().strip().splitlines()[1:]
    assert db.session.scalar(select(func.count()).select_from(School)) == len(rows)


def test_loading_the_reference_list_again_adds_nothing():
    assert load_reference() == (0, 0)


@pytest.fixture
def admin_client(login):
    user = factories.user("admin")
    db.session.commit()
    return login(user)


def test_admin_edits_a_partnership_and_the_change_is_audited(admin_client):
    response = admin_client.post(
        "/partnerships/LIP/edit",
        data={"name": "Loughborough Inclusion Partnership (renamed)", "area": "Loughborough"},
    )
    assert response.status_code == 302
    assert b"(renamed)" in admin_client.get("/partnerships/LIP").data
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "partnership_changed")
    ).one()
    assert event.details["name"][1].endswith("(renamed)")


def test_admin_adds_a_school(admin_client):
    slip = factories.partnership("SLIP")
    response = admin_client.post(
        "/schools/new", data={"name": "Invented Academy", "partnership_id": str(slip.id)}
    )
    assert response.status_code == 302
    assert b"Invented Academy" in admin_client.get("/partnerships/SLIP").data


def test_duplicate_school_name_is_refused(admin_client):
    existing = factories.school("HBEP")
    before = db.session.scalar(select(func.count()).select_from(School))
    response = admin_client.post(
        "/schools/new",
        data={"name": existing.name.upper(), "partnership_id": str(existing.partnership_id)},
    )
    assert b"A school with this name already exists" in response.data
    assert db.session.scalar(select(func.count()).select_from(School)) == before


def test_staff_see_their_own_partnership_only(login):
    client = login(factories.user("staff", partnership=factories.partnership("NWLLIP")))
    page = client.get("/partnerships").data.decode()
    assert "NWLLIP" in page
    for other in ("HBEP", "LIP", "MSCIP", "SLIP"):
        assert f"({other})" not in page


def test_head_sees_only_their_school_in_their_partnership(login):
    school = factories.school("MSCIP", 1)
    client = login(factories.user("head", school=school))
    page = client.get("/partnerships/MSCIP").data.decode()
    assert school.name in page
    assert factories.school("MSCIP", 0).name not in page


def test_a_partnership_pages_its_schools_and_counts_the_providers_it_uses(admin_client):
    hbep = factories.partnership("HBEP")
    for n in range(60):
        db.session.add(School(name=f"Paged School {n:02d}", partnership=hbep))
    used = [factories.provider(f"Used Provider {n}") for n in range(3)]
    for provider in used:
        provider.partnerships.append(hbep)
    db.session.commit()
    total = db.session.scalar(
        select(func.count()).select_from(School).where(School.partnership_id == hbep.id)
    )
    first = admin_client.get("/partnerships/HBEP").data.decode()
    assert f"{total} schools" in first
    assert first.count('href="/schools/') == 50
    assert 'href="/partnerships/HBEP?page=2" rel="next"' in first
    assert "3 providers used by the partnership" in first
    assert 'href="/providers?partnership=HBEP"' in first
    second = admin_client.get("/partnerships/HBEP?page=2").data.decode()
    assert second.count('href="/schools/') == total - 50
    listed = admin_client.get("/partnerships").data.decode()
    assert re.search(rf"HBEP\)</a></td>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>{total}</td>", listed)
