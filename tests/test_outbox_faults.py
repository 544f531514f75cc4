"""The email worker under faults: a message no email can be made of, a batch that outlasts
its claim."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import select

from qa_portal import outbox
from qa_portal.db import db
from qa_portal.outbox import OutboxMessage
from tests.conftest import run_cli
from tests.test_outbox import smtp, worker_app  # noqa: F401 (fixtures)


def test_a_subject_with_a_line_break_is_sent_on_one_line(smtp, app):  # noqa: F811
    outbox.queue("lead@example.org", "QA visit: Acme\u2028Training\r\nLtd on 1 May", "Body")
    db.session.commit()
    result = run_cli(app, ["send-email"])
    assert result.exit_code == 0, result.output
    assert [(to, subject) for to, subject, _ in smtp.sent] == [
        ("lead@example.org", "QA visit: Acme Training Ltd on 1 May")
    ]


def test_a_message_no_email_can_be_made_of_is_given_up_and_the_rest_still_go(
    smtp,  # noqa: F811
    app,
):
    # As a message queued before subjects were kept to one line would be.
    outbox.queue("first@example.org", "Subject", "Body").subject = "Two\nlines"
    outbox.queue("second@example.org", "Subject", "Body")
    db.session.commit()
    result = run_cli(app, ["send-email"])
    assert result.exit_code == 0, result.output
    assert [to for to, _, _ in smtp.sent] == ["second@example.org"]
    statuses = {
        message.to_address: message.status
        for message in db.session.scalars(
            select(OutboxMessage).execution_options(populate_existing=True)
        )
    }
    assert statuses == {"first@example.org": "failed", "second@example.org": "sent"}


def test_a_batch_slower_than_its_claim_is_handed_back_not_sent_twice(
    worker_app,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setattr(outbox, "CLAIM_LEASE", timedelta(seconds=0.6))
    monkeypatch.setattr(outbox, "CLAIM_MARGIN", timedelta(seconds=0.3), raising=False)
    with worker_app.app_context():
        for n in range(15):
            outbox.queue(f"person{n}@example.org", "Subject", "Body")
        db.session.commit()
    sent: list[str] = []

    def slow_send(transport, message):  # a mail server taking its time over each message
        sent.append(message.to_address)
        time.sleep(0.1)

    monkeypatch.setattr(outbox._Console, "send", slow_send)
    errors: list[BaseException] = []

    def worker(start_after: float) -> None:
        time.sleep(start_after)
        try:
            with worker_app.app_context():
                while outbox.deliver_pending(limit=15):
                    pass
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    # The second worker arrives once the first one's claim has run out.
    threads = [threading.Thread(target=worker, args=(delay,)) for delay in (0, 0.7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(sent) == sorted(f"person{n}@example.org" for n in range(15))
