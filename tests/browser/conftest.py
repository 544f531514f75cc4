"""A live server on its own SQLite file with the demo data, and Chromium at a phone's size.

One server and one browser serve the whole session; each test gets a fresh browser context
(no cookies, no history), so tests do not depend on each other's sign-ins. Every console
error about the Content-Security-Policy seen in a context fails the test that owns it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import flask_migrate
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright
from werkzeug.serving import make_server

from qa_portal import create_app, demo
from qa_portal.db import db
from tests.conftest import ROOT, TEST_CONFIG

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CSP_TEXT = "Content Security Policy"


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The portal behind the live server, with real forms (CSRF on) and the demo data set."""
    folder = tmp_path_factory.mktemp("browser-server")
    database = folder / "portal.sqlite3"
    app = create_app(
        {
            **TEST_CONFIG,
            "WTF_CSRF_ENABLED": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "STORAGE_LOCAL_ROOT": str(folder / "uploads"),  # never the instance folder
        }
    )
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        demo.seed()
        db.session.commit()
    return app


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[str]:
    """The base URL of the portal (links in its email are built on it too)."""
    app = live_app
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"
    try:
        yield app.config["PUBLIC_URL"]
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def csp_errors() -> list[str]:
    """Console errors about the Content-Security-Policy, from every context of the test."""
    return []


@pytest.fixture
def new_context(
    live_server: str, browser: Browser, csp_errors: list[str]
) -> Iterator[Callable[[], BrowserContext]]:
    """new_context() -> a fresh phone-sized context on the live server (closed after the test)."""
    contexts: list[BrowserContext] = []

    def _on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and CSP_TEXT in message.text:
            csp_errors.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def _new_context() -> BrowserContext:
        context = browser.new_context(base_url=live_server, **PHONE)
        context.set_default_timeout(10_000)
        context.on("console", _on_console)
        contexts.append(context)
        return context

    yield _new_context
    for context in contexts:
        context.close()
    assert not csp_errors, "Content-Security-Policy violations:\n" + "\n".join(csp_errors)


@pytest.fixture
def context(new_context: Callable[[], BrowserContext]) -> BrowserContext:
    return new_context()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
