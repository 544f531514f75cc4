"""The email worker's figure: `flask send-email` delivering EMAIL_MESSAGES queued messages to a
local SMTP server (aiosmtpd on 127.0.0.1; SMTP backend, STARTTLS off), as one process from
start to exit, and a check that the server received each message exactly once.

Run alone with `.venv/bin/python bench/send_email.py`; bench/run.py calls send_email_figures().
(Not named `email.py`: that would hide the standard library's `email` from scripts in bench/.)
"""

from __future__ import annotations

import collections
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EMAIL_MESSAGES = 1000


class Sink:
    """Counts what the SMTP server receives, by subject (each message has its own)."""

    def __init__(self):
        self.subjects: collections.Counter[str] = collections.Counter()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        for line in envelope.content.decode(errors="replace").splitlines():
            if line.startswith("Subject: "):
                self.subjects[line[len("Subject: ") :]] += 1
                break
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def queue_messages(database_url: str, count: int) -> None:
    import flask_migrate

    from qa_portal import create_app, outbox
    from qa_portal.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        for n in range(count):
            outbox.queue(
                f"person{n}@example.org",
                f"Bench message {n}",
                f"Hello person {n},\n\nThis is message {n} of the email bench.\n",
            )
        db.session.commit()
        db.engine.dispose()


def send_email_figures(count: int = EMAIL_MESSAGES) -> list[str]:
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="qa-portal-email-bench-") as work:
        database_url = f"sqlite:///{work}/email.sqlite3"
        queue_messages(database_url, count)
        sink, port = Sink(), free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            env = {
                **os.environ,
                "FLASK_APP": "wsgi.py",
                "PYTHONPATH": str(ROOT),
                "DATABASE_URL": database_url,
                "EMAIL_BACKEND": "smtp",
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(port),
                "SMTP_STARTTLS": "false",
                "SMTP_USERNAME": "",
            }
            env.pop("PORTAL_ENV", None)
            started = time.perf_counter()
            result = subprocess.run(
                [str(ROOT / ".venv/bin/flask"), "send-email"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            seconds = time.perf_counter() - started
        finally:
            controller.stop()
    if f"Sent {count} email(s)." not in result.stdout:
        raise RuntimeError(f"send-email did not send them all: {result.stdout}{result.stderr}")
    expected = {f"Bench message {n}" for n in range(count)}
    missing = len(expected - set(sink.subjects))
    duplicates = sum(times - 1 for times in sink.subjects.values() if times > 1)
    if missing:
        raise RuntimeError(f"{missing} message(s) never reached the SMTP server")
    return [
        f"send_email_{count}_seconds: {seconds:.2f} s",
        f"send_email_{count}_per_second: {count / seconds:.0f} msg/s",
        f"send_email_duplicates: {duplicates} count",
    ]


def main() -> None:
    for line in send_email_figures():
        print(line)


if __name__ == "__main__":
    main()
