"""`flask send-return-reminders`: after the term's overdue date, one email per provider naming
its missing pupils by initials and year group, never by name; once per provider per term."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from qa_portal import terms
from qa_portal.db import db
from qa_portal.outbox import OutboxMessage
from qa_portal.returns import services
from qa_portal.returns.models import ReturnReminder
from tests.conftest import run_cli
from tests.returns.conftest import autumn, complete

OVERDUE = date(2026, 12, 10)  # autumn 2026 ends on 18 December; returns are due by the 4th


def _emails() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_the_command_reminds_each_provider_once_a_term(app, world):
    services.save_return(
        world.provider_user,
        world.placements[0],
        autumn(),
        complete(world.placements[0]),
        submit=True,
    )
    db.session.commit()
    result = run_cli(app, ["send-return-reminders", "--date", OVERDUE.isoformat()])
    assert result.exit_code == 0, result.output
    assert "Queued 2 return reminder email(s)" in result.output
    emails = {m.to_address: m for m in _emails()}
    mine = emails[world.provider_user.email]
    assert mine.subject == "Autumn 2026: termly returns overdue"
    assert "3 pupil(s)" in mine.body
    for placement in [*world.placements[1:], world.lip_placement]:
        pupil = placement.pupil
        initials = pupil.first_names[0] + pupil.last_name[0]
        assert f"- {initials}, year {pupil.year_group(2026)}" in mine.body
        assert pupil.last_name not in mine.body and pupil.first_names not in mine.body
    assert world.placements[0].pupil.last_name not in mine.body
    again = run_cli(app, ["send-return-reminders", "--date", OVERDUE.isoformat()])
    assert "Queued 0 return reminder email(s)" in again.output
    assert len(_emails()) == 2
    kept = db.session.scalars(select(ReturnReminder.provider_id)).all()
    assert sorted(kept) == sorted([world.provider.id, world.other_provider.id])


def test_no_reminder_before_the_overdue_date(app, world):
    due = terms.returns_due_after(autumn())
    assert due == date(2026, 12, 4)
    result = run_cli(app, ["send-return-reminders", "--date", due.isoformat()])
    assert "Queued 0 return reminder email(s)" in result.output
    assert _emails() == []


def test_a_provider_with_every_return_in_is_not_reminded(app, world):
    services.save_return(
        world.other_provider_user,
        world.other_placement,
        autumn(),
        complete(world.other_placement),
        submit=True,
    )
    db.session.commit()
    run_cli(app, ["send-return-reminders", "--date", OVERDUE.isoformat()])
    assert world.other_provider_user.email not in {m.to_address for m in _emails()}


def test_initials_are_every_names_first_letter(world):
    pupil = world.placements[0].pupil
    pupil.first_names, pupil.last_name = "Mary Ann", "de la Cruz"
    assert services.initials(pupil) == "MADLC"
