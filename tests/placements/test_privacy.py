"""Who sees which placements: staff their partnership's, heads their school's, admins all,
officers none by name, a provider its own placements of late and their pupils only, never
another provider's; a provider sees the agreement, not the pupil's record."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from qa_portal import policy
from qa_portal.db import db
from qa_portal.placements.models import Destination
from tests import factories


@pytest.fixture
def world():
    today = date.today()
    ours, theirs = factories.compliant_provider(), factories.compliant_provider()
    hbep = factories.pupil(factories.school("HBEP", 0), ehcp=True)
    hbep_other_school = factories.pupil(factories.school("HBEP", 1))
    lip = factories.pupil(factories.school("LIP", 0))
    placements = {
        "hbep": factories.placement(hbep, ours),
        "hbep_other_school": factories.placement(hbep_other_school, theirs),
        "lip": factories.placement(lip, ours),
        # Ended eight months ago: before the previous term, out of the provider's window.
        "long_ago": factories.placement(
            factories.pupil(factories.school("HBEP", 0)),
            ours,
            start=today - timedelta(days=400),
            finish_date=today - timedelta(days=240),
            destination=Destination.RETURNED,
            review_dates=[],
        ),
        # Ended two months ago: still in it (the term before).
        "last_term": factories.placement(
            factories.pupil(factories.school("LIP", 1)),
            ours,
            start=today - timedelta(days=200),
            finish_date=today - timedelta(days=60),
            destination=Destination.RETURNED,
            review_dates=[],
        ),
    }
    people = {
        "admin": factories.user("admin"),
        "officer": factories.user("officer"),
        "staff": factories.user("staff"),
        "head": factories.user("head", school=factories.school("HBEP", 0)),
        "provider": factories.user("provider", provider=ours),
        "other_provider": factories.user("provider", provider=theirs),
    }
    db.session.commit()
    return people, placements


def _seen(user, placements):
    ids = set(db.session.scalars(policy.placements_for(user).with_only_columns(
        policy.Placement.id)))  # fmt: skip
    return {name for name, p in placements.items() if p.id in ids}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", {"hbep", "hbep_other_school", "lip", "long_ago", "last_term"}),
        ("officer", set()),
        ("staff", {"hbep", "hbep_other_school", "long_ago"}),
        ("head", {"hbep", "long_ago"}),
        ("provider", {"hbep", "lip", "last_term"}),
        ("other_provider", {"hbep_other_school"}),
    ],
)
def test_each_role_sees_only_its_placements(world, role, expected):
    people, placements = world
    assert _seen(people[role], placements) == expected


def test_a_provider_sees_the_pupils_placed_with_it_lately(world):
    people, placements = world
    seen = set(db.session.scalars(policy.pupils_for(people["provider"])))
    assert seen == {placements[n].pupil for n in ("hbep", "lip", "last_term")}


def test_the_providers_window_opens_with_the_previous_term(world):
    assert policy.provider_window_start(date(2027, 3, 1)) == date(2026, 9, 2)  # spring: autumn's
    assert policy.provider_window_start(date(2026, 12, 25)) == date(2026, 4, 13)  # holiday


def test_a_provider_reads_the_placement_and_agreement_but_not_the_pupils_record(login, world):
    people, placements = world
    client = login(people["provider"])
    placement = placements["hbep"]
    page = client.get(f"/placements/{placement.id}").get_data(as_text=True)
    assert placement.pupil.name in page and "Attend 90% of sessions" in page
    assert f"/pupils/{placement.pupil_id}" not in page  # no link to the record
    assert "Education, health and care plan (EHCP)" not in page  # not the record's flags
    assert client.get(f"/pupils/{placement.pupil_id}").status_code == 403
    assert client.get(f"/placements/{placement.id}/agreement.pdf").status_code == 200
    for name in ("hbep_other_school", "long_ago"):
        assert client.get(f"/placements/{placements[name].id}").status_code == 404
        pdf = client.get(f"/placements/{placements[name].id}/agreement.pdf")
        assert pdf.status_code == 404
    assert client.get(f"/placements/{placement.id}/edit").status_code == 403


def test_the_provider_list_shows_only_its_own(login, world):
    people, placements = world
    page = login(people["provider"]).get("/placements").get_data(as_text=True)
    assert placements["hbep"].pupil.name in page
    assert placements["hbep_other_school"].pupil.name not in page
    assert placements["long_ago"].pupil.name not in page


def test_officers_see_no_placements_by_name(login, world):
    people, placements = world
    client = login(people["officer"])
    assert client.get("/placements").status_code == 403
    assert client.get(f"/placements/{placements['hbep'].id}").status_code == 403


def test_heads_read_but_do_not_change(login, world):
    people, placements = world
    client = login(people["head"])
    assert client.get(f"/placements/{placements['hbep'].id}").status_code == 200
    assert client.get(f"/placements/{placements['hbep_other_school'].id}").status_code == 404
    assert client.get(f"/placements/{placements['hbep'].id}/edit").status_code == 403


def test_staff_of_another_partnership_find_nothing(login, world):
    people, placements = world
    client = login(people["staff"])
    for path in ("", "/edit", "/end", "/reviews/new", "/agreement.pdf"):
        assert client.get(f"/placements/{placements['lip'].id}{path}").status_code == 404
