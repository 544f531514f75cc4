"""Termly returns import: the seconds to check and import a provider's filled-in spreadsheet of
ROWS pupils (each with three targets), as CSV and as XLSX, and the queries one import makes.

Run by bench/run.py on its demo database, or alone: `.venv/bin/python bench/returns_import.py`
(it makes a demo database of its own first). Each import runs in a transaction rolled back
afterwards, so both start from no returns; the figure is the median of RUNS imports.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ROWS, RUNS = 500, 3


def _app(env: dict):
    from qa_portal import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
            "STORAGE_LOCAL_ROOT": env["STORAGE_LOCAL_ROOT"],
        }
    )


def _placements(provider, term) -> None:
    """ROWS placements with `provider` this term, shared among the demo's pupils."""
    from sqlalchemy import select

    from qa_portal.db import db
    from qa_portal.placements.models import Placement, Target, TargetArea, Transport
    from qa_portal.pupils.models import Pupil

    pupils = db.session.scalars(select(Pupil).order_by(Pupil.id)).all()
    for n in range(ROWS):
        placement = Placement(
            pupil=pupils[n % len(pupils)],
            provider=provider,
            start_date=term.start + timedelta(days=n % 20),
            days_per_week=2,
            sessions_per_week=4,
            hours_per_week=Decimal("10.0"),
            transport=Transport.TAXI,
            intervention="Bench",
            objectives="Bench",
            reintegration_plan="Bench",
            reporting="Bench",
        )
        placement.targets = [
            Target(position=i, area=TargetArea.PERSONAL, description=f"Target {i + 1}")
            for i in range(3)
        ]
        db.session.add(placement)
    db.session.flush()


def _filled_csv(text: str) -> bytes:
    rows = list(csv.DictReader(io.StringIO(text)))
    for n, row in enumerate(rows):
        row.update(
            {
                "Sessions possible": "120",
                "Sessions attended": str(100 - n % 10),
                "Authorised absence (sessions)": "8",
                "Unauthorised absence (sessions)": "4",
                "Behaviour": "Good",
                "Behaviour comment": "Settled",
                "Accreditation status": "Working towards",
                "Qualification": "Entry 3 Award",
                "Level": "Entry 3",
                "Wellbeing": "Well",
                "Pupil voice": "I like it here",
                **{f"Target {i} progress": "On track" for i in (1, 2, 3)},
            }
        )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _as_xlsx(data: bytes) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in csv.reader(io.StringIO(data.decode("utf-8"))):
        sheet.append([int(v) if v.isdigit() else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def returns_import_figures(env: dict) -> list[str]:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from qa_portal import policy, terms
    from qa_portal.accounts.models import Role, User
    from qa_portal.db import db
    from qa_portal.providers.models import Provider
    from qa_portal.returns import spreadsheet

    app = _app(env)
    with app.test_request_context():
        term = terms.current_term()
        provider = Provider(name="Bench Returns Provider")
        db.session.add(provider)
        user = User(
            email="bench.returns@example.org",
            name="Bench",
            role=Role.PROVIDER,
            provider=provider,
        )
        db.session.add(user)
        _placements(provider, term)
        db.session.commit()
        scope = policy.placements_for(user)
        rows = spreadsheet.template_rows(scope, term)
        data = _filled_csv(spreadsheet.build_csv(rows, term).decode("utf-8-sig"))
        files = {"csv": data, "xlsx": _as_xlsx(data)}
        figures, queries = [], {}
        for kind, content in files.items():
            times = []
            for _ in range(RUNS):
                statements: list[str] = []

                def count(*args, statements=statements):
                    statements.append(args[2])

                event.listen(Engine, "before_cursor_execute", count)
                start = time.perf_counter()
                changed, _ = spreadsheet.import_upload(user, scope, term, content, 10**8)
                times.append(time.perf_counter() - start)
                event.remove(Engine, "before_cursor_execute", count)
                assert changed == ROWS, changed
                db.session.rollback()
                queries[kind] = len(statements)
            figures.append(f"returns_import_{kind}_{ROWS}_rows: {statistics.median(times):.2f} s")
        figures.append(f"returns_import_csv_queries: {queries['csv']} queries")
        figures.append(f"returns_import_xlsx_queries: {queries['xlsx']} queries")
    return figures


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="qa-portal-bench-returns-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{work}/bench.sqlite3",
        "STORAGE_LOCAL_ROOT": str(work / "uploads"),
        "PYTHONPATH": str(ROOT),
        "FLASK_APP": "wsgi.py",
    }
    try:
        for command in (["db", "upgrade"], ["seed-demo"]):
            subprocess.run(
                [str(ROOT / ".venv/bin/flask"), *command],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
        print(*returns_import_figures(env), sep="\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
