"""Answers posted at the same moment, over real HTTP to a threaded server with its own database:
the same answer is stored once, a reused client id with another answer is a conflict, and
nothing ends in a server error.

The suite's per-test transaction lives on one connection, which a server answering on many
threads cannot share, so this module runs its own app on its own committed data: a SQLite
file (WAL), or a throwaway schema in the TEST_DATABASE_URL database, dropped at the end.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text
from werkzeug.serving import make_server

from qa_portal import create_app
from qa_portal.db import db, utcnow
from qa_portal.frameworks.services import load_default_framework
from qa_portal.partnerships.services import load_reference
from qa_portal.providers.reference import load_register_reference
from qa_portal.visits.models import Answer, AnswerRevision
from tests import factories
from tests.conftest import ROOT, TEST_CONFIG

THREADS = 12
POSTS = 60
TIMEOUT = 30  # seconds for any one request: far above what a healthy server needs


@dataclass
class Portal:
    app: Flask
    host: str
    port: int


@dataclass
class Scene:
    visit_id: int
    criterion_id: int
    lead_email: str


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[Portal]:
    """The portal on a threaded HTTP server at 127.0.0.1, CSRF on, with committed reference data."""
    folder = tmp_path_factory.mktemp("concurrent-answers")
    url = os.environ.get("TEST_DATABASE_URL")
    schema = None
    engine_options: dict = {"pool_pre_ping": True}
    if url:
        schema = f"concurrent_answers_{uuid.uuid4().hex[:12]}"
        _admin(url, f'CREATE SCHEMA "{schema}"')
        engine_options["connect_args"] = {"options": f"-csearch_path={schema}"}
    else:
        url = f"sqlite:///{folder / 'portal.sqlite3'}"
    app = create_app(
        {
            **TEST_CONFIG,
            "WTF_CSRF_ENABLED": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
            "STORAGE_LOCAL_ROOT": str(folder / "uploads"),
        }
    )
    try:
        with app.app_context():
            flask_migrate.upgrade(directory=str(ROOT / "migrations"))
            load_reference()
            load_register_reference()
            load_default_framework()
            db.session.commit()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="answers-server", daemon=True)
        thread.start()
        try:
            yield Portal(app, "127.0.0.1", server.server_port)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if schema:
            _admin(url, f'DROP SCHEMA "{schema}" CASCADE')


def _admin(url: str, statement: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture
def scene(portal) -> Scene:
    """A scheduled visit on a green/amber/red criterion, and its lead (who may answer)."""
    with portal.app.app_context():
        lead = factories.user("staff")
        visit = factories.visit(lead)
        db.session.commit()
        criterion = visit.framework.areas[1].criteria[1]
        assert [r.value for r in criterion.scale][:3] == ["green", "amber", "red"]
        return Scene(visit.id, criterion.id, lead.email)


class Browser:
    """A cookie jar and a CSRF token over plain HTTP; each request on a connection of its own,
    so requests from different threads reach the server's threads side by side."""

    def __init__(self, portal: Portal):
        self.portal = portal
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.lock = threading.Lock()

    def connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(self.portal.host, self.portal.port, timeout=TIMEOUT)
        conn.connect()
        return conn

    def send(self, method, path, body=b"", headers=None, conn=None) -> tuple[int, bytes]:
        conn = conn or self.connect()
        try:
            with self.lock:
                cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, body=body, headers={"Cookie": cookie, **(headers or {})})
            response = conn.getresponse()
            data = response.read()
            with self.lock:
                for header in response.headers.get_all("Set-Cookie") or []:
                    name, _, rest = header.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, data
        finally:
            conn.close()

    def page_token(self, path: str) -> str:
        status, page = self.send("GET", path)
        assert status == 200, page[:500]
        return (
            re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()
        )

    def sign_in(self, email: str) -> None:
        token = self.page_token("/sign-in")
        form = {"email": email, "password": factories.PASSWORD, "csrf_token": token}
        status, body = self.send(
            "POST",
            "/sign-in",
            urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 302, body[:500]

    def post_json(self, path: str, payload: dict, conn=None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.csrf}
        status, body = self.send("POST", path, json.dumps(payload).encode(), headers, conn)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, {"body": body[:500].decode(errors="replace")}


def signed_in_lead(portal: Portal, scene: Scene) -> Browser:
    browser = Browser(portal)
    browser.sign_in(scene.lead_email)
    browser.csrf = browser.page_token(f"/visits/{scene.visit_id}/checklist/2")
    return browser


def answer(scene: Scene, rating: str, client_id: str, note: str = "") -> dict:
    return {
        "client_id": client_id,
        "criterion_id": scene.criterion_id,
        "rating": rating,
        "note": note,
        "answered_at": utcnow().isoformat(),
    }


def post_at_once(browser: Browser, scene: Scene, payloads: list[dict]) -> list[tuple]:
    """Post every payload from THREADS threads, in rounds that start together at a barrier;
    returns (payload index, status, body) for each post."""
    barrier = threading.Barrier(THREADS)
    results: list[tuple] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    path = f"/visits/{scene.visit_id}/answers"

    def worker(first: int) -> None:
        try:
            for index in range(first, len(payloads), THREADS):
                conn = browser.connect()  # connected before the barrier: only the POST races
                barrier.wait(timeout=TIMEOUT)
                status, body = browser.post_json(path, payloads[index], conn)
                with lock:
                    results.append((index, status, body))
        except BaseException as exc:  # noqa: BLE001 (reported by the main thread)
            barrier.abort()
            with lock:
                failures.append(exc)

    assert len(payloads) % THREADS == 0, "every round must fill the barrier"
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT * (len(payloads) // THREADS + 1))
    assert not failures, failures
    assert len(results) == len(payloads)
    return results


def stored(portal: Portal, scene: Scene, client_id: str) -> tuple[list, list]:
    with portal.app.app_context():
        revisions = db.session.scalars(
            select(AnswerRevision).where(AnswerRevision.client_id == client_id)
        ).all()
        answers = db.session.scalars(
            select(Answer).where(
                Answer.visit_id == scene.visit_id, Answer.criterion_id == scene.criterion_id
            )
        ).all()
        return (
            [(r.rating.value, r.note) for r in revisions],
            [(a.rating.value, a.note) for a in answers],
        )


def test_the_same_answer_posted_sixty_times_at_once_is_stored_once(portal, scene):
    browser = signed_in_lead(portal, scene)
    client_id = str(uuid.uuid4())
    same = answer(scene, "red", client_id, "No first-aider on site")

    results = post_at_once(browser, scene, [same] * POSTS)

    assert Counter(status for _, status, _ in results) == {200: POSTS}, results
    assert Counter(body["status"] for _, _, body in results) == {"stored": 1, "repeat": POSTS - 1}
    assert {body["client_id"] for _, _, body in results} == {client_id}
    revisions, answers = stored(portal, scene, client_id)
    assert revisions == [("red", "No first-aider on site")]
    assert answers == [("red", "No first-aider on site")]


def test_a_reused_client_id_with_another_answer_at_once_is_a_conflict(portal, scene):
    browser = signed_in_lead(portal, scene)
    client_id = str(uuid.uuid4())
    green, red = answer(scene, "green", client_id), answer(scene, "red", client_id, "Changed")
    payloads = [green if i % 2 else red for i in range(POSTS)]  # every round half and half

    results = post_at_once(browser, scene, payloads)

    assert {status for _, status, _ in results} <= {200, 409}, results
    revisions, answers = stored(portal, scene, client_id)
    assert len(revisions) == 1 and answers == revisions
    winner = green if revisions[0][0] == "green" else red
    for index, status, body in results:
        if payloads[index] is winner:
            assert status == 200 and body["status"] in {"stored", "repeat"}, body
        else:
            assert status == 409 and "different answer" in body["error"], body
    assert sum(body.get("status") == "stored" for _, _, body in results) == 1


def test_different_answers_for_one_criterion_at_once_keep_one_answer_and_every_revision(
    portal, scene
):
    browser = signed_in_lead(portal, scene)
    payloads = [answer(scene, "amber", str(uuid.uuid4()), f"Note {i}") for i in range(THREADS)]

    results = post_at_once(browser, scene, payloads)

    assert Counter(status for _, status, _ in results) == {200: THREADS}, results
    assert {body["status"] for _, _, body in results} == {"stored"}
    with portal.app.app_context():
        revisions = db.session.scalar(
            select(func.count())
            .select_from(AnswerRevision)
            .where(AnswerRevision.visit_id == scene.visit_id)
        )
        answers = db.session.scalars(select(Answer).where(Answer.visit_id == scene.visit_id)).all()
        assert revisions == THREADS
        assert len(answers) == 1 and answers[0].criterion_id == scene.criterion_id
        assert answers[0].note in {p["note"] for p in payloads}


def test_of_answers_arriving_at_once_the_latest_given_stands(portal, scene):
    browser = signed_in_lead(portal, scene)
    start = utcnow().replace(microsecond=0) - timedelta(hours=1)
    first = {**answer(scene, "green", str(uuid.uuid4()), "First"), "answered_at": start.isoformat()}
    assert browser.post_json(f"/visits/{scene.visit_id}/answers", first)[0] == 200
    # Given a minute apart on twelve phones, arriving all at once in no particular order.
    minutes = random.Random(7).sample(range(1, THREADS + 1), THREADS)
    payloads = [
        {
            **answer(scene, "red" if m % 2 else "amber", str(uuid.uuid4()), f"Minute {m}"),
            "answered_at": (start + timedelta(minutes=m)).isoformat(),
        }
        for m in minutes
    ]

    results = post_at_once(browser, scene, payloads)

    assert Counter(status for _, status, _ in results) == {200: THREADS}, results
    with portal.app.app_context():
        current = db.session.scalars(select(Answer).where(Answer.visit_id == scene.visit_id)).one()
        assert (current.note, current.answered_at) == (
            f"Minute {THREADS}",
            start + timedelta(minutes=THREADS),
        )


def test_an_answer_no_database_can_hold_is_a_json_refusal_over_http(portal, scene):
    """With the CSRF check on, as the phone meets it: a refusal comes as JSON with a reason,
    so the phone never takes it for an expired token (a 400 page) nor for a server error
    (which it would send again for ever), and the answers after it are stored."""
    browser = signed_in_lead(portal, scene)
    path = f"/visits/{scene.visit_id}/answers"
    headers = {"Content-Type": "application/json", "X-CSRFToken": browser.csrf}
    good = json.dumps(answer(scene, "green", str(uuid.uuid4()))).encode()
    bodies = [
        good.replace(b'"note": ""', rb'"note": "Fire door \ud83d"'),
        good.replace(b'"note": ""', rb'"note": "Fire door\u0000"'),
        b"[" * 100_000 + b"]" * 100_000,
        good.replace(b'"rating": "green"', b'"rating": ["green"]'),
    ]
    for body in bodies:
        assert body != good
        status, data = browser.send("POST", path, body, headers)
        assert status in (400, 422), data[:300]
        assert json.loads(data)["error"]
    status, data = browser.send("POST", path, good, headers)
    assert (status, json.loads(data)["status"]) == (200, "stored")
    with portal.app.app_context():
        revisions = db.session.scalar(
            select(func.count())
            .select_from(AnswerRevision)
            .where(AnswerRevision.visit_id == scene.visit_id)
        )
        assert revisions == 1
