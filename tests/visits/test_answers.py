"""Checklist answers: saved as given, stored once per client id, never silently overwritten."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from qa_portal.db import db, utcnow
from qa_portal.frameworks import services as frameworks
from qa_portal.inputs import LONG_TEXT
from qa_portal.partnerships.models import Partnership
from qa_portal.visits import checklist
from qa_portal.visits.models import (
    Answer,
    AnswerRevision,
    Observation,
    Photo,
    Visit,
    VisitInvitee,
    VisitStatus,
    VisitType,
)
from tests import factories


@pytest.fixture
def scene(login):
    lead = factories.user("staff")
    visit = factories.visit(lead, at=factories.provider("Checklist Provider"))
    db.session.commit()
    db.session.refresh(visit, ["provider", "lead"])  # the commit forgot them; tests use them
    criterion = visit.framework.areas[1].criteria[1]  # a green/amber/red criterion
    return visit, criterion, login(lead)


def answer(criterion, rating="green", note="", client_id=None, at=None):
    return {
        "client_id": client_id or str(uuid.uuid4()),
        "criterion_id": criterion.id,
        "rating": rating,
        "note": note,
        "answered_at": (at or utcnow()).isoformat(),
    }


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_an_answer_is_saved_as_given(scene):
    visit, criterion, client = scene
    response = client.post(
        f"/visits/{visit.id}/answers", json=answer(criterion, "amber", "Fire door wedged open")
    )
    assert response.json["status"] == "stored"
    stored = db.session.scalars(select(Answer)).one()
    assert (stored.rating.value, stored.note) == ("amber", "Fire door wedged open")
    db.session.refresh(visit)
    assert visit.status is VisitStatus.IN_PROGRESS


def test_the_same_answer_posted_sixty_times_is_stored_once(scene):
    visit, criterion, client = scene
    same = answer(criterion, "red", "No first-aider on site")
    outcomes = {
        client.post(f"/visits/{visit.id}/answers", json=same).json["status"] for _ in range(60)
    }
    assert outcomes == {"stored", "repeat"}
    assert (count(Answer), count(AnswerRevision)) == (1, 1)


def test_a_reused_client_id_with_a_different_answer_is_a_conflict(scene):
    visit, criterion, client = scene
    first = answer(criterion, "green")
    client.post(f"/visits/{visit.id}/answers", json=first)
    response = client.post(f"/visits/{visit.id}/answers", json={**first, "rating": "red"})
    assert response.status_code == 409
    assert db.session.scalars(select(Answer)).one().rating.value == "green"


def test_the_latest_answer_stands_and_both_stay_in_the_history(scene, login):
    visit, criterion, client = scene
    colleague = factories.user(
        "staff", partnership=db.session.get(Partnership, visit.partnership_id)
    )
    db.session.commit()
    now = utcnow()
    client.post(f"/visits/{visit.id}/answers", json=answer(criterion, "green", at=now))
    # An answer given earlier but arriving later (from a phone that was offline) does not win.
    login(colleague).post(
        f"/visits/{visit.id}/answers", json=answer(criterion, "red", at=now - timedelta(minutes=5))
    )
    assert db.session.scalars(select(Answer)).one().rating.value == "green"
    assert count(AnswerRevision) == 2


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"rating": "purple"}, 422, "not on this criterion's scale"),
        ({"rating": "met"}, 422, "not on this criterion's scale"),
        ({"criterion_id": 999999}, 422, "not part of this visit's framework"),
        ({"client_id": "not-a-uuid"}, 400, "client id"),
        ({"note": "x" * (LONG_TEXT + 1)}, 422, "5,000 characters or fewer"),
    ],
)
def test_bad_answers_are_refused_and_change_nothing(scene, change, status, message):
    visit, criterion, client = scene
    response = client.post(f"/visits/{visit.id}/answers", json={**answer(criterion), **change})
    assert response.status_code == status
    assert message in response.json["error"]
    assert count(AnswerRevision) == 0


def test_an_answer_for_another_framework_versions_criterion_is_refused(scene):
    visit, _, client = scene
    draft = frameworks.new_draft(factories.user("admin"), visit.framework)
    db.session.commit()
    other = draft.areas[1].criteria[1]
    response = client.post(f"/visits/{visit.id}/answers", json=answer(other))
    assert response.status_code == 422


def test_a_signed_off_visit_refuses_answers(scene):
    visit, criterion, client = scene
    visit.status = VisitStatus.SIGNED_OFF
    db.session.commit()
    response = client.post(f"/visits/{visit.id}/answers", json=answer(criterion))
    assert response.status_code == 409
    assert count(AnswerRevision) == 0


def test_a_head_cannot_rate(scene, login):
    visit, criterion, _ = scene
    head = factories.user("head")
    visit.invitees.append(VisitInvitee(user_id=head.id))
    db.session.commit()
    response = login(head).post(f"/visits/{visit.id}/answers", json=answer(criterion))
    assert response.status_code == 200  # kept as the head's observation
    assert count(Answer) == 0
    assert db.session.scalars(select(AnswerRevision.observation)).all() == [True]
    uninvited = factories.user("head")
    db.session.commit()
    response = login(uninvited).post(f"/visits/{visit.id}/answers", json=answer(criterion))
    assert response.status_code == 404
    assert count(AnswerRevision) == 1


def test_without_javascript_the_area_form_saves_once(scene):
    visit, _, client = scene
    area = visit.framework.areas[0]
    page = client.get(f"/visits/{visit.id}/checklist/1").data.decode()
    import re

    form = {"csrf_token": ""}
    for criterion in area.criteria:
        form[f"client-{criterion.id}"] = re.search(
            rf'name="client-{criterion.id}" value="([0-9a-f-]+)"', page
        ).group(1)
        form[f"rating-{criterion.id}"] = criterion.scale[0].value
        form[f"note-{criterion.id}"] = "Seen"
    first = client.post(f"/visits/{visit.id}/checklist/1", data=form)
    assert first.headers["Location"].endswith(f"/visits/{visit.id}/checklist/2")
    client.post(f"/visits/{visit.id}/checklist/1", data=form)  # sent again: a double tap
    assert count(AnswerRevision) == len(area.criteria)
    assert count(Answer) == len(area.criteria)


def test_the_checklist_page_shows_answers_and_the_previous_visit(scene):
    visit, criterion, client = scene
    earlier = Visit(
        provider=visit.provider,
        framework=visit.framework,
        visit_type=VisitType.ANNUAL,
        visit_date=date.today() - timedelta(days=300),
        lead=visit.lead,
        status=VisitStatus.PUBLISHED,
        partnership_id=visit.partnership_id,
    )
    db.session.add(earlier)
    db.session.flush()
    db.session.add(
        Answer(
            visit_id=earlier.id,
            criterion_id=criterion.id,
            rating="red",
            note="Cluttered fire exit",
            answered_at=utcnow(),
        )
    )
    db.session.commit()
    client.post(f"/visits/{visit.id}/answers", json=answer(criterion, "green", "Clear now"))
    page = client.get(f"/visits/{visit.id}/checklist/2").data.decode()
    assert (
        "Last visit: <strong>Red: inadequate, action required</strong>. Cluttered fire exit" in page
    )
    assert "Clear now" in page and "1/5" in page


def test_the_checklist_page_costs_three_queries_whatever_the_framework_size(app, scene, login):
    """The session, the visit, and everything recorded against it: never a query per
    criterion, answer, photo or person - here with answers by two people, a head's
    observation, photos and a previous visit's answers on the page."""
    visit, criterion, client = scene
    head = factories.user("head")
    visit.invitees.append(VisitInvitee(user_id=head.id))
    earlier = Visit(
        provider=visit.provider,
        framework=visit.framework,
        visit_type=VisitType.ANNUAL,
        visit_date=visit.visit_date - timedelta(days=365),
        lead=visit.lead,
        partnership_id=visit.partnership_id,
        status=VisitStatus.PUBLISHED,  # so the head, too, reads it beside this visit
    )
    db.session.add(earlier)
    db.session.flush()
    other = factories.user("staff")
    now = utcnow()
    for area in visit.framework.areas:
        for c in area.criteria:
            for record, author in ((earlier, visit.lead), (visit, other)):
                db.session.add(
                    Answer(
                        visit_id=record.id,
                        criterion_id=c.id,
                        rating=c.scale[0],
                        note=f"Note {c.code}",
                        answered_at=now,
                        answered_by_id=author.id,
                    )
                )
            db.session.add(
                Observation(
                    visit_id=visit.id,
                    criterion_id=c.id,
                    author_id=head.id,
                    text="Seen",
                    observed_at=now,
                )
            )
            db.session.add(
                Photo(
                    client_id=str(uuid.uuid4()),
                    content_hash="0" * 64,
                    visit_id=visit.id,
                    criterion_id=c.id,
                    image_key=f"i{c.id}",
                    thumbnail_key=f"t{c.id}",
                    width=1,
                    height=1,
                    size=1,
                    author_id=head.id,
                )
            )
    db.session.commit()
    client.get(f"/visits/{visit.id}/checklist/1")  # warm the session touch and the framework
    statements = []

    def record(conn, cursor, statement, *args):
        # Savepoints are this suite's per-test transactions, not the page's queries.
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    engine = db.engines[None].engine if hasattr(db.engines[None], "engine") else db.engine
    counts = {}
    for viewer, number in ((client, 1), (client, 6), (login(head), 2)):
        viewer.get(f"/visits/{visit.id}/checklist/{number}")
        event.listen(engine, "before_cursor_execute", record)
        try:
            page = viewer.get(f"/visits/{visit.id}/checklist/{number}")
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert page.status_code == 200
        assert "Seen" in page.data.decode() and "Last visit:" in page.data.decode()
        counts[number] = len(statements)
        assert len(statements) <= 3, statements
        statements.clear()
    assert len(set(counts.values())) == 1, counts


def test_the_chosen_rating_is_checked_when_the_page_is_reopened(scene):
    visit, criterion, client = scene
    client.post(f"/visits/{visit.id}/answers", json=answer(criterion, "amber"))
    page = client.get(f"/visits/{visit.id}/checklist/2").data.decode()
    radio = f'name="rating-{criterion.id}" type="radio" value="amber" checked '
    assert radio in page


def test_the_rating_buttons_follow_a_changed_answer_and_the_reader(scene, login):
    """The buttons' markup is rendered once and reused: reused, it must still show the rating
    given last, and the team's buttons enabled, a head's disabled."""
    visit, criterion, client = scene
    head = factories.user("head")
    visit.invitees.append(VisitInvitee(user_id=head.id))
    db.session.commit()
    page_url = f"/visits/{visit.id}/checklist/2"
    radio = f'name="rating-{criterion.id}" type="radio" value="{{}}"'
    for rating in ("amber", "green", "amber"):
        client.post(f"/visits/{visit.id}/answers", json=answer(criterion, rating))
        page = client.get(page_url).data.decode()
        assert radio.format(rating) + " checked " in page
        others = {"green", "amber", "red"} - {rating}
        assert not any(radio.format(other) + " checked" in page for other in others)
        assert radio.format(rating) + " checked disabled" not in page
    head_page = login(head).get(page_url).data.decode()
    assert radio.format("amber") + " checked disabled " in head_page
    assert radio.format("green") + " disabled " in head_page


def raw_answer(criterion, **fields) -> str:
    """An answer's JSON as a script could send it; `fields` are JSON texts put in as they are."""
    parts = {
        "client_id": json.dumps(str(uuid.uuid4())),
        "criterion_id": str(criterion.id),
        "rating": '"green"',
        "note": '""',
        "answered_at": json.dumps(utcnow().isoformat()),
    }
    parts.update(fields)
    return "{" + ",".join(f'"{name}":{value}' for name, value in parts.items()) + "}"


DEEP = 100_000


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(lambda c: raw_answer(c, criterion_id=str(10**30)), id="huge-criterion-id"),
        pytest.param(lambda c: raw_answer(c, criterion_id="Infinity"), id="infinity"),
        pytest.param(lambda c: raw_answer(c, criterion_id="-Infinity"), id="minus-infinity"),
        pytest.param(lambda c: raw_answer(c, criterion_id="NaN"), id="nan"),
        pytest.param(lambda c: raw_answer(c, criterion_id="1e400"), id="1e400"),
        pytest.param(lambda c: raw_answer(c, criterion_id="12.5"), id="fractional-id"),
        pytest.param(lambda c: raw_answer(c, rating='["green"]'), id="rating-list"),
        pytest.param(lambda c: raw_answer(c, rating='{"green": 1}'), id="rating-object"),
        pytest.param(lambda c: raw_answer(c, rating="1"), id="rating-number"),
        pytest.param(lambda c: raw_answer(c, rating="[]"), id="rating-empty-list"),
        pytest.param(lambda c: raw_answer(c, rating="false"), id="rating-false"),
        pytest.param(lambda c: raw_answer(c, note=r'"Fire door \ud800"'), id="lone-surrogate"),
        pytest.param(lambda c: raw_answer(c, note=r'"Fire door\u0000"'), id="nul"),
        pytest.param(lambda c: raw_answer(c, note='["a note"]'), id="note-list"),
        pytest.param(
            lambda c: raw_answer(c, answered_at='"0001-01-01T00:00:00+23:59"'), id="before-year-1"
        ),
        pytest.param(
            lambda c: raw_answer(c, answered_at='"9999-12-31T23:59:59-23:59"'), id="after-9999"
        ),
        pytest.param(lambda c: raw_answer(c, note="[" * DEEP + "]" * DEEP), id="deep-note"),
        pytest.param(lambda c: "[" * DEEP + "]" * DEEP, id="deep-array"),
        pytest.param(lambda c: '{"a":' * DEEP + "1" + "}" * DEEP, id="deep-object"),
        pytest.param(lambda c: "rating=green&note=seen", id="not-json"),
        pytest.param(lambda c: "", id="empty"),
        pytest.param(lambda c: "[" + raw_answer(c) + "]", id="top-level-array"),
        pytest.param(lambda c: raw_answer(c)[:-1], id="cut-short"),
        pytest.param(lambda c: b'{"note": "\xff"}', id="not-utf-8"),
    ],
)
def test_an_answer_no_database_can_hold_is_refused_with_a_reason(scene, body):
    visit, criterion, client = scene
    response = client.post(
        f"/visits/{visit.id}/answers", data=body(criterion), content_type="application/json"
    )
    assert response.status_code in (400, 422), response.data[:300]
    error = response.json["error"]
    assert isinstance(error, str) and len(error) > 10
    assert (count(Answer), count(AnswerRevision)) == (0, 0)


def test_a_refused_answer_says_why(scene):
    visit, criterion, client = scene
    url = f"/visits/{visit.id}/answers"

    def error(body: str) -> str:
        response = client.post(url, data=body, content_type="application/json")
        return response.json["error"]

    assert "broken character" in error(raw_answer(criterion, note=r'"Fire door \ud800"'))
    assert "control characters" in error(raw_answer(criterion, note=r'"a\u0000"'))
    assert "Infinity" in error(raw_answer(criterion, criterion_id="Infinity"))
    assert "criterion id must be a whole number" in error(
        raw_answer(criterion, criterion_id="1e400")
    )
    assert "criterion id must be between" in error(raw_answer(criterion, criterion_id=str(10**30)))
    assert "rating" in error(raw_answer(criterion, rating='["green"]'))
    assert "time" in error(raw_answer(criterion, answered_at='"0001-01-01T00:00:00+23:59"'))
    assert "JSON" in error("[" * DEEP + "]" * DEEP)
    assert "JSON" in error("")


def test_an_identical_retry_from_a_phone_whose_clock_is_fast_is_a_repeat(scene, monkeypatch):
    """The server keeps no answer later than its own time, but a retry is compared with what
    the phone sent, not with what was kept."""
    visit, criterion, client = scene
    server_times = iter(utcnow() + timedelta(seconds=3 * n) for n in range(10))
    monkeypatch.setattr(checklist, "now_ms", lambda: next(server_times))  # a retry comes later
    ahead = answer(
        criterion, "amber", "Fire drill log up to date", at=utcnow() + timedelta(minutes=4)
    )
    first = client.post(f"/visits/{visit.id}/answers", json=ahead)
    again = client.post(f"/visits/{visit.id}/answers", json=ahead)
    assert (first.status_code, first.json["status"]) == (200, "stored")
    assert (again.status_code, again.json["status"]) == (200, "repeat")
    stored = db.session.scalars(select(Answer)).one()
    assert stored.answered_at <= utcnow()  # capped where it is kept
    assert count(AnswerRevision) == 1


@pytest.mark.parametrize("when", [None, "yesterday", "2026-12-01T10:00:00"])
def test_a_retry_of_an_answer_without_a_usable_time_is_a_repeat(scene, monkeypatch, when):
    """Kept at the server's time when it arrived; its retry, later, is still the same answer."""
    visit, criterion, client = scene
    server_times = iter(utcnow() + timedelta(seconds=3 * n) for n in range(10))
    monkeypatch.setattr(checklist, "now_ms", lambda: next(server_times))
    sent = {**answer(criterion, "green"), "answered_at": when}
    statuses = [client.post(f"/visits/{visit.id}/answers", json=sent).json for _ in range(2)]
    assert [s["status"] for s in statuses] == ["stored", "repeat"]
    assert count(AnswerRevision) == 1


def test_a_client_id_with_a_trailing_newline_is_refused(scene):
    visit, criterion, client = scene
    response = client.post(
        f"/visits/{visit.id}/answers", json=answer(criterion, client_id=f"{uuid.uuid4()}\n")
    )
    assert response.status_code == 400
    assert "client id" in response.json["error"]
    assert count(AnswerRevision) == 0


def test_a_client_id_reused_on_another_visit_is_a_conflict_not_a_repeat(scene):
    visit, criterion, client = scene
    other = factories.visit(visit.lead, at=factories.provider("Second Provider"))
    db.session.commit()
    sent = answer(criterion, "red", "No signing-in book")
    assert client.post(f"/visits/{visit.id}/answers", json=sent).json["status"] == "stored"
    response = client.post(f"/visits/{other.id}/answers", json=sent)
    assert response.status_code == 409
    assert "another visit" in response.json["error"]
    assert db.session.scalars(select(Answer.visit_id)).all() == [visit.id]
    # On its own visit it is still the same answer sent again.
    assert client.post(f"/visits/{visit.id}/answers", json=sent).json["status"] == "repeat"


def test_a_heads_observation_no_database_can_hold_is_refused(scene, login):
    visit, criterion, _ = scene
    head = factories.user("head")
    visit.invitees.append(VisitInvitee(user_id=head.id))
    db.session.commit()
    response = login(head).post(
        f"/visits/{visit.id}/answers",
        data=raw_answer(criterion, note=r'"Seen \udfff"'),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert count(AnswerRevision) == 0
