"""Summary and sign-off: judgements proposed from ratings, the PDF report, publication."""

from __future__ import annotations

import io
import os
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import flask_migrate
import pytest
from pypdf import PdfReader
from sqlalchemy import create_engine, select, text

from qa_portal import create_app, storage
from qa_portal.accounts.models import User
from qa_portal.db import db, utcnow
from qa_portal.frameworks.models import Rating
from qa_portal.frameworks.services import load_default_framework
from qa_portal.outbox import OutboxMessage
from qa_portal.partnerships.services import load_reference
from qa_portal.providers.models import Provider
from qa_portal.providers.reference import load_register_reference
from qa_portal.storage import LocalStorage
from qa_portal.visits import amendments, checklist
from qa_portal.visits import reports as visit_reports
from qa_portal.visits.judgements import propose
from qa_portal.visits.models import Amendment, Answer, Judgement, Visit, VisitStatus
from tests import factories
from tests.conftest import ROOT, TEST_CONFIG
from tests.storage.conftest import (  # noqa: F401 (fixtures: each test on local and S3 storage)
    local_storage,
    moto_url,
    s3_client,
    s3_storage,
    shared_s3_storage,
)


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
        "provider",
        provider=db.session.get(Provider, visit.provider_id),
        email="office@report.example.org",
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
    at = db.session.get(Provider, visit.provider_id)
    provider = login(factories.user("provider", provider=at))
    assert "Current ratings" not in provider.get(f"/providers/{visit.provider_id}").data.decode()
    client.post(f"/visits/{visit.id}/publish")
    assert "Current ratings" in provider.get(f"/providers/{visit.provider_id}").data.decode()


# Amendments: the report follows, one at a time per visit


def rated_green(visit: Visit):
    """A criterion rated on the green/amber/red scale whose answer is green."""
    answers = checklist.answers_by_criterion(visit)
    return next(
        c
        for area in visit.framework.areas
        for c in area.criteria
        if Rating.AMBER in c.scale and answers[c.id].rating is Rating.GREEN
    )


def history(visit_id: int) -> list[tuple[str, str]]:
    return [
        (a.old_rating.value, a.new_rating.value)
        for a in db.session.scalars(
            select(Amendment).where(Amendment.visit_id == visit_id).order_by(Amendment.id)
        )
    ]


@pytest.fixture(params=["local", "s3"])
def reports(app, monkeypatch, request):
    """The portal on local or S3 storage; returns a function listing a visit's stored reports."""
    backend = request.getfixturevalue(f"{request.param}_storage")
    monkeypatch.setitem(app.extensions, "storage", backend)

    def stored(visit_id: int) -> set[str]:
        return {o.key for o in backend.objects(f"visits/{visit_id}/reports")}

    return stored


def test_an_amended_report_replaces_the_old_one_in_storage(scene, reports):
    visit, client, _ = scene
    client.post(f"/visits/{visit.id}/summary", data=sign_off_form(visit))
    db.session.refresh(visit)
    signed = visit.report_key
    assert reports(visit.id) == {signed}
    criterion = rated_green(visit)
    response = client.post(
        f"/visits/{visit.id}/amend",
        data={"criterion_id": criterion.id, "rating": "amber", "note": "", "reason": "Misread"},
    )
    assert response.status_code == 302
    db.session.refresh(visit)
    assert visit.report_key != signed and reports(visit.id) == {visit.report_key}


def test_an_amendment_replaces_the_answer_and_report_of_the_one_committed_before_it(
    app, scene, reports
):
    """This session read the visit before another amendment was committed: what it records
    as the old answer, and the report it replaces, are those of that other amendment."""
    visit, client, _ = scene
    client.post(f"/visits/{visit.id}/summary", data=sign_off_form(visit))
    db.session.refresh(visit)
    criterion = rated_green(visit)
    # Read now and held, as the amendment page holds them while the form is handled.
    seen = checklist.answers_by_criterion(visit)
    assert seen[criterion.id].rating is Rating.GREEN and visit.report_key
    with app.app_context():  # another request, committed in the meantime
        other = db.session.get(Visit, visit.id)
        lead = db.session.get(User, visit.lead_id)
        amendments.amend(lead, other, criterion.id, "amber", "", "Seen again")
        db.session.commit()
    lead = db.session.get(User, visit.lead_id)
    amendments.amend(lead, visit, criterion.id, "red", "", "Worse than we thought")
    db.session.commit()
    assert seen[criterion.id].rating is Rating.RED
    assert history(visit.id) == [("green", "amber"), ("amber", "red")]
    assert reports(visit.id) == {visit.report_key}


@pytest.fixture(scope="module")
def committed_portal(tmp_path_factory):
    """On PostgreSQL: the portal on a schema of its own with committed data, so that two
    threads, each on its own connection, can amend one visit at the same moment."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's: SQLite has one writer at a time")
    schema = f"amendments_{uuid.uuid4().hex[:12]}"
    _admin(url, f'CREATE SCHEMA "{schema}"')
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}},
            "STORAGE_LOCAL_ROOT": str(tmp_path_factory.mktemp("amendments") / "uploads"),
        }
    )
    try:
        with app.app_context():
            flask_migrate.upgrade(directory=str(ROOT / "migrations"))
            load_reference()
            load_register_reference()
            load_default_framework()
            db.session.commit()
        yield app, url, schema
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        _admin(url, f'DROP SCHEMA "{schema}" CASCADE')


def _admin(url: str, statement: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def _signed_off_visit(app) -> tuple[int, int, int]:
    with app.app_context():
        lead = factories.user("staff")
        visit = factories.visit(lead)
        criterion = visit.framework.areas[1].criteria[1]
        db.session.add(
            Answer(
                visit_id=visit.id,
                criterion_id=criterion.id,
                rating=Rating.GREEN,
                note="",
                answered_at=utcnow(),
                answered_by_id=lead.id,
            )
        )
        visit.status = VisitStatus.SIGNED_OFF
        db.session.flush()
        visit_reports.store_report(visit)
        db.session.commit()
        return visit.id, criterion.id, lead.id


def _waiting_on_a_lock(url: str, schema: str, seconds: float = 10) -> None:
    """Return once another connection waits for a lock (or after `seconds`, so that a test
    of code that takes no lock ends too)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                waiting = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND datname = current_database()"
                    )
                ).scalar()
                if waiting:
                    return
                time.sleep(0.05)
    finally:
        engine.dispose()


def test_two_amendments_at_once_are_recorded_one_after_the_other(committed_portal, monkeypatch):
    """Two people amend one answer at the same moment, green to amber and green to red, each
    having read it as green. The second waits for the first: the history reads green, amber,
    red, and only the newest report is left in storage."""
    app, url, schema = committed_portal
    visit_id, criterion_id, lead_id = _signed_off_visit(app)
    both_read, first_rendering = threading.Barrier(2), threading.Event()
    render = visit_reports.render_report

    def render_slowly(visit):
        if threading.current_thread().name == "amber":
            first_rendering.set()  # the first amendment is written, its report not yet
            _waiting_on_a_lock(url, schema)
        return render(visit)

    monkeypatch.setattr(visit_reports, "render_report", render_slowly)
    failures: list[BaseException] = []

    def amend(rating: str) -> None:
        try:
            with app.app_context():
                visit = db.session.get(Visit, visit_id)
                seen = checklist.answers_by_criterion(visit)  # held, as the page holds them
                assert seen[criterion_id].rating is Rating.GREEN
                both_read.wait(timeout=10)
                if rating == "red":
                    assert first_rendering.wait(timeout=10)
                lead = db.session.get(User, lead_id)
                amendments.amend(lead, visit, criterion_id, rating, "", f"Now {rating}")
                db.session.commit()
        except BaseException as exc:  # reported by the test's own thread
            failures.append(exc)

    threads = [threading.Thread(target=amend, args=(r,), name=r) for r in ("amber", "red")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    with app.app_context():
        assert history(visit_id) == [("green", "amber"), ("amber", "red")]
        visit = db.session.get(Visit, visit_id)
        backend = storage.get_storage()
        assert isinstance(backend, LocalStorage)
        stored = {o.key for o in backend.objects(f"visits/{visit_id}/reports")}
        assert stored == {visit.report_key}
        assert Path(backend.root, visit.report_key).read_bytes().startswith(b"%PDF")
