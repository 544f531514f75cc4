"""What else a visit records: heads' observations, pupils seen, the last visit's actions
checked, amendments after sign-off; and how long an invited head keeps the visit."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from qa_portal import storage
from qa_portal.db import db, utcnow
from qa_portal.frameworks.models import Rating
from qa_portal.visits import amendments, reports, signoff
from qa_portal.visits.models import (
    ActionCheck,
    ActionStatus,
    Amendment,
    Answer,
    FollowUpAction,
    Observation,
    Photo,
    PupilSeen,
    Visit,
    VisitStatus,
    VisitType,
)
from tests import factories


@pytest.fixture
def scene(login):
    lead = factories.user("staff", name="Lena Lead")
    head = factories.user("head", name="Hattie Head", school=factories.school("HBEP", 0))
    visit = factories.visit(
        lead, at=factories.provider("Fieldwork Provider Ltd"), invited=(lead, head)
    )
    db.session.commit()
    return visit, lead, head


def post_answer(client, visit, criterion, rating="green", note=""):
    return client.post(
        f"/visits/{visit.id}/answers",
        json={
            "client_id": str(uuid.uuid4()),
            "criterion_id": criterion.id,
            "rating": rating,
            "note": note,
            "answered_at": utcnow().isoformat(),
        },
    )


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 140, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def sign_off_all(visit, client):
    for area in visit.framework.areas:
        for criterion in area.criteria:
            post_answer(client, visit, criterion, criterion.scale[0].value)
    response = client.post(
        f"/visits/{visit.id}/summary",
        data={"overall": "green", "strengths": "Calm", "development": "None"},
    )
    assert response.status_code == 302, response.data
    db.session.refresh(visit)
    db.session.refresh(visit, ["provider"])  # what the report and amendments name


def test_an_invited_head_adds_observations_marked_as_theirs_and_cannot_sign_off(scene, login):
    visit, lead, head = scene
    criterion = visit.framework.areas[1].criteria[1]  # rated green, amber or red
    lead_client, head_client = login(lead), login(head)
    post_answer(lead_client, visit, criterion, "amber", "Two registers unsigned")
    response = post_answer(head_client, visit, criterion, "red", "Pupils knew who to speak to")
    assert response.status_code == 200
    photo = head_client.post(
        f"/visits/{visit.id}/photos",
        data={
            "client_id": str(uuid.uuid4()),
            "criterion_id": str(criterion.id),
            "caption": "Noticeboard",
            "photo": (io.BytesIO(jpeg()), "board.jpg"),
        },
    )
    assert photo.status_code == 200, photo.json

    # The head's note is theirs; the team's rating and note are untouched.
    answer = db.session.scalars(select(Answer)).one()
    assert (answer.rating, answer.note) == (Rating.AMBER, "Two registers unsigned")
    observation = db.session.scalars(select(Observation)).one()
    assert (observation.author_id, observation.text) == (head.id, "Pupils knew who to speak to")
    assert db.session.scalars(select(Photo.author_id)).one() == head.id

    page = lead_client.get(f"/visits/{visit.id}/checklist/2").data.decode()
    assert "Hattie Head" in page and "Pupils knew who to speak to" in page
    assert "Your observation" in head_client.get(f"/visits/{visit.id}/checklist/2").data.decode()

    # Signing off is the lead's alone.
    refused = head_client.post(
        f"/visits/{visit.id}/summary", data={"overall": "green", "strengths": "", "development": ""}
    )
    assert refused.status_code == 403
    db.session.refresh(visit)
    assert visit.status is VisitStatus.IN_PROGRESS
    with pytest.raises(signoff.SignOffError, match="Only the visit's lead"):
        signoff.sign_off(head, visit, {}, "green", "", "")


def test_the_report_carries_the_heads_observation(scene, login):
    visit, lead, head = scene
    criterion = visit.framework.areas[2].criteria[0]
    post_answer(login(head), visit, criterion, None, "Insurance certificate on the wall")
    sign_off_all(visit, login(lead))
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(reports.render_report(visit))).pages
    )
    assert "Hattie Head" in " ".join(text.split())
    assert "Insurance certificate on the wall" in " ".join(text.split())


def test_a_head_keeps_the_visit_until_a_set_time_after_publication(app, scene, login):
    visit, lead, head = scene
    sign_off_all(visit, login(lead))
    visit.status, visit.published_at = VisitStatus.PUBLISHED, utcnow() - timedelta(days=29)
    db.session.commit()
    client = login(head)
    assert client.get(f"/visits/{visit.id}").status_code == 200
    visit.published_at = utcnow() - timedelta(days=app.config["HEAD_VISIT_ACCESS_DAYS"] + 1)
    db.session.commit()
    assert client.get(f"/visits/{visit.id}").status_code == 404
    assert client.get(f"/visits/{visit.id}/report.pdf").status_code == 404
    assert "Fieldwork Provider Ltd" not in client.get("/visits").data.decode()

    # A pupil seen from another school does not reopen it; one on the head's roll does.
    db.session.add(
        PupilSeen(visit_id=visit.id, name="A B", school_id=factories.school("HBEP", 1).id)
    )
    db.session.commit()
    assert client.get(f"/visits/{visit.id}").status_code == 404
    db.session.add(PupilSeen(visit_id=visit.id, name="C D", school_id=head.school_id))
    db.session.commit()
    assert client.get(f"/visits/{visit.id}").status_code == 200


def test_pupils_seen_are_shown_only_to_those_who_may_see_them(scene, login):
    visit, lead, head = scene
    own_school, other_school = factories.school("HBEP", 0), factories.school("HBEP", 1)
    lead_client = login(lead)
    for name, school in (("Pupil Own", own_school), ("Pupil Other", other_school)):
        response = lead_client.post(
            f"/visits/{visit.id}/pupils", data={"name": name, "school_id": school.id, "note": ""}
        )
        assert response.status_code == 302
    lead_page = lead_client.get(f"/visits/{visit.id}").data.decode()
    assert "Pupil Own" in lead_page and "Pupil Other" in lead_page

    head_page = login(head).get(f"/visits/{visit.id}").data.decode()
    assert "Pupil Own" in head_page and "Pupil Other" not in head_page
    assert "1 other pupil(s)" in head_page

    officer_page = login(factories.user("officer")).get(f"/visits/{visit.id}").data.decode()
    assert "Pupil Own" not in officer_page and "Pupil Other" not in officer_page

    # The report names no pupil, whoever downloads it.
    sign_off_all(visit, lead_client)
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(reports.render_report(visit))).pages
    )
    assert "Pupil Own" not in text and "Pupils seen" in text


def test_a_pupil_without_a_name_is_refused_and_nothing_is_stored(scene, login):
    visit, lead, _ = scene
    client = login(lead)
    response = client.post(f"/visits/{visit.id}/pupils", data={"name": "  ", "school_id": 0})
    assert response.status_code == 400
    assert "Enter the pupil&#39;s name or initials" in response.data.decode()
    assert db.session.scalar(select(func.count()).select_from(PupilSeen)) == 0
    head_client = login(scene[2])
    assert head_client.post(f"/visits/{visit.id}/pupils", data={"name": "X"}).status_code == 403


def test_the_next_visit_shows_the_last_visits_actions_to_check(scene, login):
    visit, lead, _ = scene
    client = login(lead)
    action = FollowUpAction(
        visit_id=visit.id,
        description="Fit a closer to the fire door",
        owner="Manager",
        due_on=date.today() + timedelta(days=30),
    )
    db.session.add(action)
    db.session.commit()
    sign_off_all(visit, client)
    following = Visit(
        provider_id=visit.provider_id,
        framework=visit.framework,
        visit_type=VisitType.FOLLOW_UP,
        visit_date=date.today() + timedelta(days=1),
        lead=lead,
        partnership_id=lead.partnership_id,
    )
    db.session.add(following)
    db.session.commit()
    page = client.get(f"/visits/{following.id}").data.decode()
    assert "Actions from the last visit to check" in page
    assert "Fit a closer to the fire door" in page

    response = client.post(
        f"/visits/{following.id}/previous-actions/{action.id}",
        data={"status": "done", "note": "Closer fitted and working"},
    )
    assert response.status_code == 302
    check = db.session.scalars(select(ActionCheck)).one()
    assert (check.visit_id, check.status, check.note) == (
        following.id,
        ActionStatus.DONE,
        "Closer fitted and working",
    )
    db.session.refresh(action)
    assert action.status is ActionStatus.OPEN  # the earlier visit's record is left as it was
    assert (
        "Found on this visit: <strong>Done</strong>"
        in client.get(f"/visits/{following.id}").data.decode()
    )

    refused = client.post(
        f"/visits/{following.id}/previous-actions/{action.id}", data={"status": "lost"}
    )
    assert refused.status_code == 400
    no_note = client.post(
        f"/visits/{following.id}/previous-actions/{action.id}", data={"status": "in_progress"}
    )
    assert no_note.status_code == 302
    db.session.refresh(check)
    assert (check.status, check.note) == (ActionStatus.IN_PROGRESS, "")


def test_an_unpublished_earlier_visit_stays_with_its_partnership(scene, login):
    """Another partnership's next visit shows neither the earlier visit's ratings nor its
    actions until that visit is published."""
    visit, lead, _ = scene
    client = login(lead)
    db.session.add(
        FollowUpAction(
            visit_id=visit.id,
            description="Repair the gate",
            owner="Manager",
            due_on=date.today() + timedelta(days=30),
        )
    )
    db.session.commit()
    criterion = visit.framework.areas[1].criteria[1]
    post_answer(client, visit, criterion, "amber", "Gate latch broken")
    sign_off_all(visit, client)
    lip_lead = factories.user("staff", partnership=factories.partnership("LIP"))
    theirs = Visit(
        provider_id=visit.provider_id,
        framework=visit.framework,
        visit_type=VisitType.MONITORING,
        visit_date=date.today() + timedelta(days=1),
        lead=lip_lead,
        partnership_id=lip_lead.partnership_id,
    )
    db.session.add(theirs)
    db.session.commit()
    other = login(lip_lead)
    assert "Repair the gate" not in other.get(f"/visits/{theirs.id}").data.decode()
    assert "Last visit:" not in other.get(f"/visits/{theirs.id}/checklist/2").data.decode()
    assert (
        other.post(
            f"/visits/{theirs.id}/previous-actions/{visit.actions[0].id}", data={"status": "open"}
        ).status_code
        == 404
    )
    client.post(f"/visits/{visit.id}/publish")
    assert "Repair the gate" in other.get(f"/visits/{theirs.id}").data.decode()
    assert "Last visit:" in other.get(f"/visits/{theirs.id}/checklist/2").data.decode()


def test_a_signed_off_visit_changes_only_by_a_recorded_amendment(scene, login):
    visit, lead, head = scene
    client = login(lead)
    sign_off_all(visit, client)
    criterion = visit.framework.areas[1].criteria[1]
    old_report = visit.report_key

    # Answering is closed; the amendment form is the way.
    assert post_answer(client, visit, criterion, "red").status_code == 409
    no_reason = client.post(
        f"/visits/{visit.id}/amend",
        data={"criterion_id": criterion.id, "rating": "amber", "note": "", "reason": ""},
    )
    assert no_reason.status_code == 400
    assert "Say why the answer is being amended" in no_reason.data.decode()
    off_scale = client.post(
        f"/visits/{visit.id}/amend",
        data={"criterion_id": criterion.id, "rating": "purple", "reason": "Typo"},
    )
    assert off_scale.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Amendment)) == 0

    response = client.post(
        f"/visits/{visit.id}/amend",
        data={
            "criterion_id": criterion.id,
            "rating": "amber",
            "note": "Fire drill log incomplete",
            "reason": "Log checked again after the visit",
        },
    )
    assert response.status_code == 302, response.data
    db.session.refresh(visit)
    db.session.refresh(visit, ["provider"])  # what the report and amendments name
    amendment = db.session.scalars(select(Amendment)).one()
    assert (amendment.old_rating, amendment.new_rating) == (criterion.scale[0], Rating.AMBER)
    answer = db.session.scalars(
        select(Answer).where(Answer.visit_id == visit.id, Answer.criterion_id == criterion.id)
    ).one()
    assert answer.rating is Rating.AMBER
    assert visit.report_key != old_report
    page = client.get(f"/visits/{visit.id}").data.decode()
    assert "Log checked again after the visit" in page
    text = " ".join(
        "".join(
            p.extract_text()
            for p in PdfReader(io.BytesIO(client.get(f"/visits/{visit.id}/report.pdf").data)).pages
        ).split()
    )
    assert "Amendments after sign-off" in text and "Log checked again after the visit" in text

    # A head can neither amend nor see the form.
    assert login(head).get(f"/visits/{visit.id}/amend").status_code == 403


def test_a_remade_report_replaces_the_old_file_only_when_the_change_is_kept(scene, login):
    visit, lead, _ = scene
    sign_off_all(visit, login(lead))
    backend = storage.get_storage()
    first = visit.report_key
    criterion = visit.framework.areas[1].criteria[1]

    amendments.amend(lead, visit, criterion.id, "amber", "", "Checked again")
    second = visit.report_key
    db.session.commit()
    assert backend.exists(second) and not backend.exists(first)
    db.session.refresh(visit, ["provider"])  # the commit forgot it

    amendments.amend(lead, visit, criterion.id, "red", "", "Checked a third time")
    third = visit.report_key
    db.session.rollback()  # the amendment is not kept: nor is its report
    assert backend.exists(second) and not backend.exists(third)
