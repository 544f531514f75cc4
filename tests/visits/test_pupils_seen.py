"""Pupils seen on a visit, ticked from the provider's placements on the visit's date among
the pupils the recorder may see; someone not listed as free text; the visits on the pupil's
timeline; the visit page's queries the same at any number of placements."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from qa_portal.accounts.models import User
from qa_portal.audit import AuditEvent
from qa_portal.db import db
from qa_portal.placements.models import Destination
from qa_portal.providers.models import Provider
from qa_portal.pupils.models import Pupil
from qa_portal.visits import fieldwork, reports
from qa_portal.visits.models import PupilSeen, Visit, VisitInvitee, VisitStatus
from tests import factories
from tests.conftest import count_queries

TODAY = date.today()
TICK = re.compile(r'name="pupil_ids" type="checkbox" value="(\d+)"')


@dataclass
class Scene:
    visit: Visit
    at: Provider
    lead: User
    head: User
    pupils: dict[str, Pupil]


@pytest.fixture
def scene():
    lead = factories.user("staff", name="Lena Lead")
    head = factories.user("head", name="Hattie Head", school=factories.school("HBEP", 0))
    at = factories.compliant_provider("Riverside Skills")
    elsewhere = factories.compliant_provider("Elsewhere Training")
    visit = factories.visit(lead, at, invited=(lead, head))
    pupils = {
        "own": factories.pupil(factories.school("HBEP", 0), first_names="Ava", last_name="Own"),
        "other_school": factories.pupil(
            factories.school("HBEP", 1), first_names="Ben", last_name="Nextdoor", year_group=10
        ),
        "ended": factories.pupil(first_names="Cal", last_name="Ended"),
        "future": factories.pupil(first_names="Dee", last_name="Future"),
        "elsewhere": factories.pupil(first_names="Eve", last_name="Elsewhere"),
        "lip": factories.pupil(factories.school("LIP", 0), first_names="Fin", last_name="Lip"),
    }
    for key in ("own", "other_school", "lip"):
        factories.placement(pupils[key], at)
    factories.placement(
        pupils["ended"],
        at,
        start=TODAY - timedelta(days=100),
        finish_date=TODAY - timedelta(days=10),
        destination=Destination.RETURNED,
    )
    factories.placement(pupils["future"], at, start=TODAY + timedelta(days=10))
    factories.placement(pupils["elsewhere"], elsewhere)
    db.session.commit()
    return Scene(visit, at, lead, head, pupils)


def ticks(page: str) -> set[int]:
    return {int(n) for n in TICK.findall(page)}


def ids(scene: Scene, *keys: str) -> set[int]:
    return {scene.pupils[k].id for k in keys}


def linked(visit: Visit) -> set[int]:
    rows = db.session.scalars(select(PupilSeen.pupil_id).where(PupilSeen.visit_id == visit.id))
    return {n for n in rows if n is not None}


def save(client, visit: Visit, pupil_ids):
    return client.post(
        f"/visits/{visit.id}/pupils/placed", data={"pupil_ids": [str(n) for n in pupil_ids]}
    )


def test_the_tick_list_is_the_pupils_placed_there_on_the_visit_date(scene, login):
    page = login(scene.lead).get(f"/visits/{scene.visit.id}").data.decode()
    # Not the ended placement, nor the one to come, nor another provider's, nor another
    # partnership's pupil (the lead sees only their partnership's).
    assert ticks(page) == ids(scene, "own", "other_school")
    assert "Ben Nextdoor, year 10, " + factories.school("HBEP", 1).name in page
    assert "Someone not listed" in page

    # An admin sees every pupil placed there; staff of another partnership invited to the
    # visit only their own partnership's.
    admin_page = login(factories.user("admin")).get(f"/visits/{scene.visit.id}").data.decode()
    assert ticks(admin_page) == ids(scene, "own", "other_school", "lip")
    guest = factories.user("staff", partnership=factories.partnership("LIP"))
    scene.visit.invitees.append(VisitInvitee(user_id=guest.id))
    db.session.commit()
    assert ticks(login(guest).get(f"/visits/{scene.visit.id}").data.decode()) == ids(scene, "lip")


def test_a_placement_is_current_on_the_visit_date_not_today(scene, login):
    """A visit recorded a month ago lists the pupil whose placement ended since, not the one
    who started after it."""
    scene.visit.visit_date = TODAY - timedelta(days=20)
    db.session.commit()
    page = login(scene.lead).get(f"/visits/{scene.visit.id}").data.decode()
    assert ticks(page) == ids(scene, "own", "other_school", "ended")


def test_a_head_records_nothing_and_sees_only_their_schools_pupils_seen(scene, login):
    save(login(scene.lead), scene.visit, ids(scene, "own", "other_school"))
    page = login(scene.head).get(f"/visits/{scene.visit.id}").data.decode()
    assert ticks(page) == set() and "Someone not listed" not in page
    assert "Ava Own" in page and "Ben Nextdoor" not in page
    assert save(login(scene.head), scene.visit, ids(scene, "own")).status_code == 403


def test_ticking_records_linked_rows_and_unticking_removes_them(scene, login):
    client = login(scene.lead)
    response = save(client, scene.visit, ids(scene, "own", "other_school"))
    assert response.status_code == 302 and response.location.endswith("#pupils")
    assert linked(scene.visit) == ids(scene, "own", "other_school")
    row = db.session.scalars(
        select(PupilSeen).where(PupilSeen.pupil_id == scene.pupils["other_school"].id)
    ).one()
    # The name and school are copied, as a free-text entry holds them.
    assert (row.name, row.school_id, row.recorded_by_id) == (
        "Ben Nextdoor",
        factories.school("HBEP", 1).id,
        scene.lead.id,
    )
    page = client.get(f"/visits/{scene.visit.id}").data.decode()
    assert page.count("checked") >= 2 and "Ben Nextdoor" in page

    assert save(client, scene.visit, ids(scene, "own")).status_code == 302
    assert linked(scene.visit) == ids(scene, "own")
    assert save(client, scene.visit, []).status_code == 302
    assert linked(scene.visit) == set()
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.pupil_id == scene.pupils["own"].id)
    ).all()
    assert actions == ["pupil_seen_added", "pupil_seen_removed"]


def test_unticking_leaves_the_rows_the_recorder_was_not_shown(scene, login):
    """An admin ticked a pupil of another partnership; the lead, who does not see that pupil,
    saves the list: the admin's row and the free-text entry stay."""
    everyone = ids(scene, "own", "other_school", "lip")
    assert save(login(factories.user("admin")), scene.visit, everyone).status_code == 302
    client = login(scene.lead)
    client.post(f"/visits/{scene.visit.id}/pupils", data={"name": "J. S.", "school_id": 0})
    assert save(client, scene.visit, ids(scene, "own")).status_code == 302
    assert linked(scene.visit) == ids(scene, "own", "lip")
    names = db.session.scalars(select(PupilSeen.name).where(PupilSeen.pupil_id.is_(None))).all()
    assert names == ["J. S."]


@pytest.mark.parametrize(
    "swapped",
    ["ended", "future", "elsewhere", "lip", "not a number", "999999"],
)
def test_a_swapped_pupil_id_is_refused_and_nothing_changes(scene, login, swapped):
    client = login(scene.lead)
    save(client, scene.visit, ids(scene, "own"))
    value = scene.pupils[swapped].id if swapped in scene.pupils else swapped
    response = save(client, scene.visit, [value])
    assert response.status_code == 400
    page = response.data.decode()
    assert "govuk-error-message" in page
    if swapped != "not a number":
        assert "Tick only pupils placed with this provider" in page
    assert linked(scene.visit) == ids(scene, "own")


def test_a_signed_off_visit_refuses_changes(scene, login):
    client = login(scene.lead)
    save(client, scene.visit, ids(scene, "own"))
    scene.visit.status = VisitStatus.SIGNED_OFF
    db.session.commit()
    assert save(client, scene.visit, ids(scene, "own", "other_school")).status_code == 403
    assert save(client, scene.visit, []).status_code == 403
    assert linked(scene.visit) == ids(scene, "own")
    listed = fieldwork.placed_pupils(scene.visit, select(Pupil))
    with pytest.raises(fieldwork.FieldworkError, match="signed off"):
        fieldwork.record_placed_pupils(scene.lead, scene.visit, listed, set())


def test_free_text_still_works_beside_the_tick_list(scene, login):
    client = login(scene.lead)
    response = client.post(
        f"/visits/{scene.visit.id}/pupils",
        data={"name": "K. W.", "school_id": factories.school("HBEP", 0).id, "note": "At the lathe"},
    )
    assert response.status_code == 302
    row = db.session.scalars(select(PupilSeen)).one()
    assert (row.name, row.pupil_id) == ("K. W.", None)
    save(client, scene.visit, ids(scene, "own"))
    save(client, scene.visit, [])
    assert db.session.scalars(select(PupilSeen.name)).all() == ["K. W."]


def test_the_checklist_links_to_the_visit_page_and_names_no_pupil(scene, login):
    client = login(scene.lead)
    save(client, scene.visit, ids(scene, "own"))
    page = client.get(f"/visits/{scene.visit.id}/checklist/1").data.decode()
    assert f'href="/visits/{scene.visit.id}#pupils">Record the pupils seen (needs a signal)' in page
    assert "Ava" not in page and "pupil_ids" not in page


def test_the_timeline_shows_the_visits_the_viewer_may_see(scene, login):
    save(login(scene.lead), scene.visit, ids(scene, "own"))
    event = f"Seen on a visit to Riverside Skills on {TODAY:%-d %B %Y}"
    pupil_url = f"/pupils/{scene.pupils['own'].id}"
    assert event in login(scene.lead).get(pupil_url).data.decode()
    assert event in login(scene.head).get(pupil_url).data.decode()
    # A head of the same school not invited to the visit reads the pupil, not the visit.
    other_head = factories.user("head", school=factories.school("HBEP", 0))
    db.session.commit()
    page = login(other_head).get(pupil_url).data.decode()
    assert "Ava Own" in page and event not in page
    # Free text is on no pupil's timeline.
    assert (
        "Seen on a visit"
        not in login(scene.lead).get(f"/pupils/{scene.pupils['future'].id}").data.decode()
    )


def test_the_report_still_counts_the_pupils_seen_and_names_none(scene, login):
    client = login(scene.lead)
    save(client, scene.visit, ids(scene, "own", "other_school"))
    client.post(f"/visits/{scene.visit.id}/pupils", data={"name": "Zed Free", "school_id": 0})
    db.session.expire_all()
    visit = db.session.scalars(
        select(Visit)
        .where(Visit.id == scene.visit.id)
        .options(joinedload(Visit.provider), joinedload(Visit.lead))
    ).one()
    text = " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(reports.render_report(visit))).pages
    )
    text = " ".join(text.split())
    assert "Pupils seen 3" in text
    assert "Ava Own" not in text and "Zed Free" not in text


def test_the_visit_page_costs_the_same_queries_at_any_number_of_placements(scene, login):
    clients = {"staff": login(scene.lead), "head": login(scene.head)}
    url = f"/visits/{scene.visit.id}"

    def place(n: int) -> None:
        for _ in range(n):
            pupil = factories.pupil(factories.school("HBEP", 0))
            factories.placement(pupil, scene.at)
            scene.visit.pupils.append(
                PupilSeen(pupil_id=pupil.id, name=pupil.name, school_id=pupil.school_id)
            )
        db.session.commit()

    def measured(client) -> tuple[int, int]:
        client.get(url)
        with count_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200
        return len(statements), len(ticks(response.data.decode()))

    place(1)  # three placements of the lead's partnership with the fixture's two
    small = {who: measured(c) for who, c in clients.items()}
    place(27)
    large = {who: measured(c) for who, c in clients.items()}
    assert small["staff"][1] == 3 and large["staff"][1] == 30
    for who in clients:
        print(f"{who}: {small[who][0]} queries at 3 placements, {large[who][0]} at 30")
        assert small[who][0] == large[who][0] <= 17, who
