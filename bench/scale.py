"""National-scale figures (`make bench-scale`, minutes; not part of `make bench`).

For each database (SQLite in a temporary file; PostgreSQL in a throwaway cluster started with
scripts/pg-cluster.sh on a free port): migrate, add the demo data, measure the pages; then add
the national data set (bench/scale_data.py) and measure them again. The pages are requested
in-process through Flask's test client, signed in as each demo role, with each request in its
own app context as in production. Each page: the server time (the median of RUNS requests
after one warm-up; a page whose warm-up takes SLOW_SECONDS or more is measured by that one
request only), the number of SQL statements it sent (a `before_cursor_execute` listener on the
engine) and the size of its HTML. A page a role may not see (403 or 404, or a redirect
elsewhere) is printed as skipped.

Each phase runs in a fresh Python process (`scale.py --phase ...`), as a server restarted after
a data load would: nothing kept in memory from the demo-size requests serves the later ones.

    .venv/bin/python bench/scale.py --scale 0.05 --databases sqlite
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUNS = 5
SLOW_SECONDS = 30.0
TARGET_MS, TARGET_KB = 100.0, 100.0
DATABASES = ("sqlite", "postgresql")
ROLES = {
    "admin": "admin@example.org",
    "officer": "officer@example.org",
    "staff": "staff.hbep@example.org",
    "head": "head@example.org",
    "provider": "provider@example.org",
}
# The list pages and the home page: the ones the targets are for.
LIST_PAGES = {
    "home": "/",
    "providers": "/providers",
    "visits": "/visits",
    "concerns": "/concerns",
    "compliance_expiring": "/compliance/expiring",
    "contracts": "/contracts",
    "admin_audit": "/admin/audit",
    "admin_users": "/admin/users",
    "admin_outbox": "/admin/outbox",
    "partnerships": "/partnerships",
    "pupils": "/pupils",
    "placements": "/placements",
    "returns": "/returns",
}
LINE = re.compile(r"^(?P<name>[a-z0-9_]+): (?P<value>\S+) (?P<unit>.+)$")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 2,000 providers, ...")
    parser.add_argument("--databases", default=",".join(DATABASES), help="sqlite,postgresql")
    parser.add_argument("--phase", choices=("demo", "national"), help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--storage", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        child(args.phase, args.database_url, args.storage, args.scale)
        return
    kinds = [name.strip() for name in args.databases.split(",") if name.strip()]
    unknown = set(kinds) - set(DATABASES)
    if unknown or not kinds:
        parser.error(f"--databases: choose from {', '.join(DATABASES)}")
    print(
        f"# Targets: each list page and the home page at most {TARGET_MS:.0f} ms on PostgreSQL "
        f"at national size, the same number of queries as at demo size, at most "
        f"{TARGET_KB:.0f} KB of HTML (scale {args.scale:g})",
        flush=True,
    )
    figures: dict[str, float] = {}
    for kind in kinds:
        started = time.perf_counter()
        with database(kind) as (url, storage):
            for phase in ("demo", "national"):
                phase_started = time.perf_counter()
                figures.update(run_phase(phase, url, storage, args.scale))
                seconds = time.perf_counter() - phase_started
                print(f"scale_{kind}_{phase}_phase: {seconds:.0f} s", flush=True)
        print(f"scale_{kind}_total: {time.perf_counter() - started:.0f} s", flush=True)
    within, measured = within_targets(figures, "postgresql" if "postgresql" in kinds else kinds[0])
    print(f"scale_pages_within_targets: {within} of {measured} count")


@contextlib.contextmanager
def database(kind: str) -> Iterator[tuple[str, str]]:
    """An empty database of this kind and an uploads folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="qa-portal-scale-") as work:
        storage = str(Path(work) / "uploads")
        if kind == "sqlite":
            yield f"sqlite:///{work}/scale.sqlite3", storage
            return
        cluster = Path(tempfile.mkdtemp(prefix="qa-portal-scale-pg-"))
        port = free_port()
        subprocess.run([str(ROOT / "scripts/pg-cluster.sh"), "start", str(cluster), str(port)])
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/qa_portal_test", storage
        finally:
            subprocess.run([str(ROOT / "scripts/pg-cluster.sh"), "stop", str(cluster)])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_phase(phase: str, url: str, storage: str, scale: float) -> dict[str, float]:
    """Run one phase in its own process, echoing its lines; returns its figures by name."""
    command = [sys.executable, str(Path(__file__).resolve()), "--phase", phase]
    command += ["--database-url", url, "--storage", storage, "--scale", str(scale)]
    figures = {}
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        for line in process.stdout:
            print(line, end="", flush=True)
            match = LINE.match(line.strip())
            if match:
                with contextlib.suppress(ValueError):
                    figures[match["name"]] = float(match["value"])
    if process.returncode:
        raise SystemExit(f"the {phase} phase failed (exit status {process.returncode})")
    return figures


def within_targets(figures: dict[str, float], kind: str) -> tuple[int, int]:
    """How many of the list pages and home pages measured at national size meet all three."""
    within = measured = 0
    for page in LIST_PAGES:
        for role in ROLES:
            name = f"{page}_{role}"
            ms = figures.get(f"scale_{kind}_{name}_ms")
            if ms is None:
                continue
            measured += 1
            queries = figures.get(f"scale_{kind}_{name}_queries")
            at_demo = figures.get(f"scale_demo_{kind}_{name}_queries")
            html = figures.get(f"scale_{kind}_{name}_html", float("inf"))
            if ms <= TARGET_MS and queries == at_demo and html <= TARGET_KB:
                within += 1
    return within, measured


# --- one phase, in its own process -------------------------------------------------------------


def child(phase: str, url: str, storage: str, scale: float) -> None:
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = bench_app(url, storage)
    kind = "postgresql" if url.startswith("postgresql") else "sqlite"
    if phase == "demo":
        prepare(app)
        measure(app, f"scale_demo_{kind}")
        grow(app, kind, scale)
    else:
        measure(app, f"scale_{kind}")


def bench_app(url: str, storage: str):
    from qa_portal import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "STORAGE_LOCAL_ROOT": storage,
            "WTF_CSRF_ENABLED": False,
            "EMAIL_BACKEND": "console",
        }
    )
    logging.getLogger().setLevel(logging.WARNING)  # a line per request otherwise
    return app


def prepare(app) -> None:
    """Migrate the empty database and add the demo data, as `make run` does."""
    import flask_migrate

    from qa_portal import demo
    from qa_portal.db import db

    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        demo.seed()
        db.session.commit()


def grow(app, kind: str, scale: float) -> None:
    """Add the national data set and print how long it took and what it added."""
    from sqlalchemy import text

    from bench.scale_data import generate
    from qa_portal.db import db

    with app.app_context():
        started = time.perf_counter()
        added = generate(db.session, scale)
        db.session.commit()
        print(f"scale_{kind}_generate: {time.perf_counter() - started:.1f} s", flush=True)
        if kind == "postgresql":
            # What autovacuum does soon after a load, so the planner knows the tables' sizes.
            started = time.perf_counter()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
            print(f"scale_{kind}_analyze: {time.perf_counter() - started:.1f} s", flush=True)
        db.engine.dispose()
    for name, rows in added.items():
        print(f"scale_{kind}_rows_{name}: {rows} count", flush=True)


class Counter:
    """SQL statements sent on the engine while `counting`."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.statements = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args) -> None:
        self.statements += 1


def measure(app, prefix: str) -> None:
    from qa_portal.db import db

    with app.app_context():
        counter = Counter(db.engine)
        pages = {role: dict(LIST_PAGES) for role in ROLES}
        for role, email in ROLES.items():
            pages[role]["visit"] = visit_candidates(email)
            pages[role]["provider"] = provider_candidates(email)
        checklist = open_visit()
    for role, email in ROLES.items():
        client = signed_in(app, email)
        for page, urls in pages[role].items():
            measure_page(client, counter, f"{prefix}_{page}_{role}", urls)
    if checklist:
        visit_id, lead_email = checklist
        client = signed_in(app, lead_email)
        measure_page(client, counter, f"{prefix}_checklist_lead", f"/visits/{visit_id}/checklist/1")


def signed_in(app, email: str):
    from qa_portal.demo import DEMO_PASSWORD

    client = app.test_client()
    response = client.post("/sign-in", data={"email": email, "password": DEMO_PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"could not sign in as {email}: {response.status_code}")
    return client


def measure_page(client, counter: Counter, name: str, urls: str | list[str]) -> None:
    """The first of `urls` the client may see, measured; skipped if it may see none."""
    urls = [urls] if isinstance(urls, str) else urls
    status = 404
    for url in urls:
        status, seconds, queries, size = request(client, counter, url)
        if status not in (403, 404):
            break
    if status in (403, 404) or 300 <= status < 400:  # not this role's page (or elsewhere)
        print(f"{name}_skipped: {status} status", flush=True)
        return
    if status != 200:
        raise SystemExit(f"{name}: {url} answered {status}")
    timings = [seconds]
    if seconds < SLOW_SECONDS:
        timings = []
        for _ in range(RUNS):
            _, seconds, queries, size = request(client, counter, url)
            timings.append(seconds)
    else:
        print(f"{name}_runs: 1 count", flush=True)
    print(f"{name}_ms: {statistics.median(timings) * 1000:.1f} ms", flush=True)
    print(f"{name}_queries: {queries} count", flush=True)
    print(f"{name}_html: {size / 1024:.1f} KB", flush=True)


def request(client, counter: Counter, url: str) -> tuple[int, float, int, int]:
    before = counter.statements
    started = time.perf_counter()
    response = client.get(url)
    seconds = time.perf_counter() - started
    return response.status_code, seconds, counter.statements - before, len(response.get_data())


def visit_candidates(email: str) -> list[str]:
    """Visits to try for this user, most likely visible first: those the user is invited to,
    then their provider's, then their partnership's; the most answered and newest first."""
    from sqlalchemy import case, func, select

    from qa_portal.accounts.models import User
    from qa_portal.db import db
    from qa_portal.visits.models import Answer, Visit, VisitInvitee

    user = db.session.scalars(select(User).where(User.email == email)).one()
    answered = (
        select(Answer.visit_id, func.count().label("answers")).group_by(Answer.visit_id).subquery()
    )
    invited = select(VisitInvitee.visit_id).where(VisitInvitee.user_id == user.id)
    near = case(
        (Visit.id.in_(invited), 0),
        (Visit.provider_id == (user.provider_id or -1), 1),
        (Visit.partnership_id == (user.partnership_id or -1), 2),
        else_=3,
    )
    ids = db.session.scalars(
        select(Visit.id)
        .outerjoin(answered, answered.c.visit_id == Visit.id)
        .order_by(
            near, func.coalesce(answered.c.answers, 0).desc(), Visit.visit_date.desc(), Visit.id
        )
        .limit(60)
    ).all()
    return [f"/visits/{visit_id}" for visit_id in ids]


def provider_candidates(email: str) -> list[str]:
    """The user's own provider first, then the providers with the most visits."""
    from sqlalchemy import func, select

    from qa_portal.accounts.models import User
    from qa_portal.db import db
    from qa_portal.providers.models import Provider
    from qa_portal.visits.models import Visit

    user = db.session.scalars(select(User).where(User.email == email)).one()
    visits = select(Visit.provider_id, func.count().label("visits")).group_by(Visit.provider_id)
    visits = visits.subquery()
    ids = db.session.scalars(
        select(Provider.id)
        .outerjoin(visits, visits.c.provider_id == Provider.id)
        .order_by(
            (Provider.id == (user.provider_id or -1)).desc(),
            func.coalesce(visits.c.visits, 0).desc(),
            Provider.id,
        )
        .limit(20)
    ).all()
    return [f"/providers/{provider_id}" for provider_id in ids]


def open_visit() -> tuple[int, str] | None:
    """The open visit with the most answers, and its lead's email."""
    from sqlalchemy import func, select

    from qa_portal.accounts.models import User
    from qa_portal.db import db
    from qa_portal.visits.models import Answer, Visit, VisitStatus

    answers = func.count(Answer.id)
    row = db.session.execute(
        select(Visit.id, User.email)
        .join(User, User.id == Visit.lead_id)
        .outerjoin(Answer, Answer.visit_id == Visit.id)
        .where(Visit.status.in_((VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS)))
        .group_by(Visit.id, User.email)
        .order_by(answers.desc(), Visit.visit_date.desc(), Visit.id)
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


if __name__ == "__main__":
    os.environ.pop("PORTAL_ENV", None)  # a development configuration, whatever the shell has
    main()
