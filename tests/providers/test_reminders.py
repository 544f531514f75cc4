"""Expiry reminders: 30 and 7 days before, and on the day it lapses; each sent once."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from qa_portal.db import db
from qa_portal.outbox import OutboxMessage
from qa_portal.providers import services
from tests import factories
from tests.conftest import run_cli

EXPIRY = date(2027, 3, 31)


def messages() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def setup_provider():
    provider = factories.compliant_provider("Reminder Riding School")
    provider.partnerships.append(factories.partnership("LIP"))
    own = factories.user("provider", provider=provider, email="office@riding.example.org")
    staff = factories.user(
        "staff", partnership=factories.partnership("LIP"), email="coordinator@lip.example.org"
    )
    factories.user(
        "staff", partnership=factories.partnership("SLIP"), email="other@slip.example.org"
    )
    item = next(i for i in provider_items(provider) if i.kind.code == "employers_liability")
    item.expiry_date = EXPIRY
    db.session.flush()
    return provider, own, staff


def provider_items(provider):
    from qa_portal.providers.models import ComplianceItem

    return db.session.scalars(
        select(ComplianceItem).where(ComplianceItem.provider_id == provider.id)
    ).all()


def test_reminders_at_30_days_7_days_and_on_the_day_each_once():
    setup_provider()
    sent = {}
    for days_before in range(40, -3, -1):
        day = EXPIRY - timedelta(days=days_before)
        count = services.send_reminders(day)
        if count:
            sent[days_before] = count
        assert services.send_reminders(day) == 0, "a second run the same day sends nothing"
    assert sent == {30: 2, 7: 2, 0: 2}
    recipients = {m.to_address for m in messages()}
    assert recipients == {"office@riding.example.org", "coordinator@lip.example.org"}
    subjects = [m.subject for m in messages()]
    assert "expires in 30 days" in subjects[0]
    assert subjects[-1].startswith("Lapsed: Employer's liability insurance")


def test_a_missed_day_sends_the_due_reminder_once_and_not_the_older_one():
    setup_provider()
    assert services.send_reminders(EXPIRY - timedelta(days=5)) == 2  # the 7-day reminder
    assert services.send_reminders(EXPIRY - timedelta(days=4)) == 0
    assert "expires in 5 days" in messages()[0].subject


def test_renewed_evidence_is_not_reminded_about():
    provider, _, staff = setup_provider()
    old = next(i for i in provider_items(provider) if i.kind.code == "employers_liability")
    renewal = factories.item(provider, "employers_liability", expiry=EXPIRY + timedelta(days=365))
    renewal.status = renewal.status.AWAITING_VERIFICATION
    services.verify_item(staff, renewal, approve=True, note="")
    assert old.status.value == "superseded"
    assert services.send_reminders(EXPIRY - timedelta(days=30)) == 0


def test_send_reminders_command(app):
    setup_provider()
    db.session.commit()
    result = run_cli(app, ["send-reminders", "--date", (EXPIRY - timedelta(days=7)).isoformat()])
    assert result.exit_code == 0, result.output
    assert "Queued 2 reminder email(s)" in result.output
