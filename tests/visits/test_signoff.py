"""Summary and sign-off: judgements proposed from ratings, the PDF report, publication."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from qa_portal.db import db, utcnow
from qa_portal.frameworks.models import Rating
from qa_portal.outbox import OutboxMessage
from qa_portal.visits.models import Judgement, VisitStatus
from qa_portal.visits.signoff import propose
from tests import factories


@pytest.mark.parametrize(
    ("ratings", "judgement"),
    [
        ([Rating.GREEN, Rating.AMBER, Rating.RED], Judgement.RED),
        ([Rating.GREEN, Rating.MET, Rating.NOT_MET], Judgement.RED),
        ([Rating.GREEN, Rating.AMBER, Rating.NOT_SEEN], Judgement.AMBER),
        ([Rating.GREEN, Rating.MET, Rating.NOT_APPLICABLE], Judgement.GREEN),
        ([Rating.NOT_SEEN, None], None),
    ],
)
def test_the_proposal_rule(ratings, judgement):
    assert propose(ratings) is judgement


@pytest.fixture
def scene(login):
    lead = factories.user("staff")
    provider = factories.provider("Report Provider Ltd")
    head = factories.user("head")
    visit = factories.visit(lead, at=provider, invited=(lead, head))
    db.session.commit()
    client = login(lead)
    for area in visit.framework.areas:
        for criterion in area.criteria:
            rating = criterion.scale[0].value  # green, or met
            if area.position == 2 and criterion.position == 2:
                rating = "amber"
            client.post(
                f"/visits/{visit.id}/answers",
                json={
                    "client_id": str(uuid.uuid4()),
                    "criterion_id": criterion.id,
                    "rating": rating,
                    "note": f"Note {area.code} {criterion.position}",
                    "answered_at": utcnow().isoformat(),
                },
            )
    return visit, client, head


def sign_off_form(visit, **extra):
    return {
        "overall": "amber",
        "strengths": "Warm relationships",
        "development": "Record fire drills",
        **extra,
    }


def test_lead_signs_off_and_the_pdf_holds_the_whole_visit(app, scene, login):
    visit, client, _ = scene
    due = date.today() + timedelta(days=30)
    client.post(
        f"/visits/{visit.id}/actions",
        data={
            "description": "Record every fire drill",
            "owner": "Centre manager",
            "due_on": [str(due.day), str(due.month), str(due.year)],
        },
    )
    response = client.post(f"/visits/{visit.id}/summary", data=sign_off_form(visit))
    assert response.status_code == 302
    db.session.refresh(visit)
    assert visit.status is VisitStatus.SIGNED_OFF and visit.overall is Judgement.AMBER
    judged = {j.area_id: j.judgement for j in visit.judgements}
    assert judged[visit.framework.areas[1].id] is Judgement.AMBER
    assert judged[visit.framework.areas[0].id] is Judgement.GREEN

    pdf = client.get(f"/visits/{visit.id}/report.pdf")
    assert pdf.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    text = " ".join(text.split())
    assert "Report Provider Ltd" in text
    for area in visit.framework.areas:
        assert area.name in text
    for label in ("Green: strong", "Amber: secure, with development points", "Met"):
        assert label in text
    assert "Record every fire drill" in text


def test_after_sign_off_the_visit_is_read_only(scene):
    visit, client, _ = scene
    client.post(f"/visits/{visit.id}/summary", data=sign_off_form(visit))
    criterion = visit.framework.areas[0].criteria[0]
    response = client.post(
        f"/visits/{visit.id}/answers",
        json={
            "client_id": str(uuid.uuid4()),
            "criterion_id": criterion.id,
            "rating": "red",
            "answered_at": utcnow().isoformat(),
        },
    )
    assert response.status_code == 409


def test_a_head_cannot_sign_off(scene, login):
    visit, _, head = scene
    response = login(head).post(f"/visits/{visit.id}/summary", data=sign_off_form(visit))
    assert response.status_code == 403
    db.session.refresh(visit)
    assert visit.status is VisitStatus.IN_PROGRESS


def test_overriding_a_proposal_needs_a_reason(scene):
    visit, client, _ = scene
    area = visit.framework.areas[1]
    response = client.post(
        f"/visits/{visit.id}/summary", data=sign_off_form(visit, **{f"area-{area.id}": "green"})
    )
    assert response.status_code == 400
    assert "Give the reason for changing the judgement" in response.data.decode()
    db.session.refresh(visit)
    assert visit.status is VisitStatus.IN_PROGRESS
    client.post(
        f"/visits/{visit.id}/summary",
        data=sign_off_form(
            visit, **{f"area-{area.id}": "green", f"reason-{area.id}": "Fixed during the visit"}
        ),
    )
    db.session.refresh(visit)
    assert {j.area_id: j.override_reason for j in visit.judgements}[area.id]


def test_published_visit_reaches_the_provider_who_answers_its_actions(scene, login):
    visit, client, _ = scene
    due = date.today() + timedelta(days=14)
    client.post(
        f"/visits/{visit.id}/actions",
        data={
            "description": "Renew the first-aid certificate",
            "owner": "Provider",
            "due_on": [str(due.day), str(due.month), str(due.year)],
        },
    )
    provider_user = factories.user(
        "provider", provider=visit.provider, email="office@report.example.org"
    )
    db.session.commit()
    provider = login(provider_user)
    assert provider.get(f"/visits/{visit.id}").status_code == 404
    client.post(f"/visits/{visit.id}/summary", data=sign_off_form(visit))
    assert provider.get(f"/visits/{visit.id}").status_code == 404, "signed off, not published"
    client.post(f"/visits/{visit.id}/publish")
    assert db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == "office@report.example.org")
    ).one()
    page = provider.get(f"/visits/{visit.id}").data.decode()
    assert "Renew the first-aid certificate" in page
    action = visit.actions[0]
    provider.post(
        f"/visits/{visit.id}/actions/{action.id}",
        data={"status": "done", "response": "Certificate renewed on Monday"},
    )
    db.session.refresh(action)
    assert action.status.value == "done" and action.provider_response
    assert provider.get(f"/visits/{visit.id}/report.pdf").status_code == 200


def test_the_provider_page_shows_current_ratings_once_the_visit_is_judged(scene, login):
    visit, client, _ = scene
    page = client.get(f"/providers/{visit.provider_id}").data.decode()
    assert "Current ratings" not in page  # nothing judged yet
    client.post(f"/visits/{visit.id}/summary", data=sign_off_form(visit))
    page = client.get(f"/providers/{visit.provider_id}").data.decode()
    ratings = page[page.index("data-current-ratings") :]
    assert "Health and safety" in ratings.split("</dl>")[0]
    assert "Amber: secure, with development points" in ratings.split("</dl>")[0]
    provider = login(factories.user("provider", provider=visit.provider))
    assert "Current ratings" not in provider.get(f"/providers/{visit.provider_id}").data.decode()
    client.post(f"/visits/{visit.id}/publish")
    assert "Current ratings" in provider.get(f"/providers/{visit.provider_id}").data.decode()
