"""The rules of a termly return, called without HTTP: each test fails if its rule is removed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from qa_portal.audit import AuditEvent
from qa_portal.db import db
from qa_portal.returns import services
from qa_portal.returns.models import (
    AccreditationStatus,
    ReturnStatus,
    ReturnVersion,
    TermlyReturn,
)
from qa_portal.returns.services import ReturnError
from tests import factories
from tests.returns.conftest import autumn, complete, placed


def _save(world, placement=None, *, submit=True, **changes):
    placement = placement or world.placements[0]
    ret, _ = services.save_return(
        world.provider_user, placement, autumn(), complete(placement, **changes), submit=submit
    )
    db.session.flush()
    return ret


def _fields(exc_info) -> str:
    return exc_info.value.field


def test_attended_above_possible_is_refused(world):
    with pytest.raises(ReturnError) as refused:
        _save(
            world,
            sessions_possible=50,
            sessions_attended=51,
            sessions_authorised=0,
            sessions_unauthorised=0,
        )
    assert _fields(refused) == "sessions_attended"
    assert "cannot be more than the sessions possible" in str(refused.value)


def test_attended_and_absences_above_possible_are_refused(world):
    with pytest.raises(ReturnError) as refused:
        _save(
            world,
            sessions_possible=100,
            sessions_attended=90,
            sessions_authorised=6,
            sessions_unauthorised=6,
        )
    assert _fields(refused) == "sessions_unauthorised"
    assert "add up to 102" in str(refused.value)


def test_attendance_adding_up_exactly_is_accepted(world):
    ret = _save(
        world,
        sessions_possible=100,
        sessions_attended=90,
        sessions_authorised=6,
        sessions_unauthorised=4,
    )
    assert ret.attendance_percent == 90


def test_the_database_refuses_attendance_above_possible(world):
    ret = _save(world)
    ret.sessions_attended = ret.sessions_possible + 1
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.flush()


def test_attendance_percent_is_derived(world):
    ret = _save(world, sessions_possible=120, sessions_attended=100)
    assert str(ret.attendance_percent) == "83.3"


def test_counts_without_sessions_possible_are_refused_even_in_a_draft(world):
    with pytest.raises(ReturnError) as refused:
        _save(world, submit=False, sessions_possible=None)
    assert _fields(refused) == "sessions_possible"


def test_negative_or_huge_counts_are_refused(world):
    for value in (-1, 1001):
        with pytest.raises(ReturnError) as refused:
            _save(world, sessions_authorised=value)
        assert _fields(refused) == "sessions_authorised"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sessions_unauthorised": None}, "sessions_unauthorised"),
        ({"behaviour": None}, "behaviour"),
        ({"accreditation_status": None}, "accreditation_status"),
        ({"qualification": " "}, "qualification"),
    ],
)
def test_a_submitted_return_needs_every_answer(world, change, field):
    with pytest.raises(ReturnError) as refused:
        _save(world, **change)
    assert _fields(refused) == field


def test_no_qualification_is_needed_when_accreditation_has_not_started(world):
    ret = _save(world, qualification="", accreditation_status=AccreditationStatus.NOT_STARTED)
    assert ret.status is ReturnStatus.SUBMITTED


def test_a_submitted_return_needs_progress_against_every_target(world):
    placement = world.placements[0]
    data = complete(placement)
    data.progress[1].progress = None
    with pytest.raises(ReturnError) as refused:
        services.save_return(world.provider_user, placement, autumn(), data, submit=True)
    assert refused.value.field == f"progress_{placement.targets[1].id}"


def test_a_draft_may_be_incomplete(world):
    placement = world.placements[0]
    data = services.ReturnIn(wellbeing="Early days")
    ret, changed = services.save_return(
        world.provider_user, placement, autumn(), data, submit=False
    )
    assert changed and ret.status is ReturnStatus.DRAFT


def test_progress_against_another_placements_target_is_refused(world):
    placement = world.placements[0]
    data = complete(placement)
    data.progress.append(services.ProgressIn(world.other_placement.targets[0].id))
    with pytest.raises(ReturnError) as refused:
        services.save_return(world.provider_user, placement, autumn(), data, submit=True)
    assert "not in this pupil's plan" in str(refused.value)


def test_long_texts_are_refused(world):
    with pytest.raises(ReturnError) as refused:
        _save(world, wellbeing="x" * 4001)
    assert _fields(refused) == "wellbeing"


def test_one_return_per_placement_and_term_in_the_database(world):
    _save(world)
    term = autumn()
    db.session.add(
        TermlyReturn(placement=world.placements[0], term_year=term.year, term_season=term.season)
    )
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.flush()


def test_a_retried_submit_is_stored_once(world):
    first = _save(world)
    again = _save(world)
    assert again.id == first.id
    assert again.version == 1
    assert db.session.scalar(select(func.count()).select_from(ReturnVersion)) == 1
    assert db.session.scalar(select(func.count()).select_from(TermlyReturn)) == 1


def test_every_change_is_a_version_with_the_fields_changed(world):
    ret = _save(world, submit=False, wellbeing="Quiet")
    _save(world, wellbeing="Much happier")
    db.session.expire(ret)
    versions = sorted(ret.versions, key=lambda v: v.number)
    assert [v.action for v in versions] == ["saved", "submitted"]
    assert versions[1].changes["Wellbeing"] == ["Quiet", "Much happier"]
    assert versions[1].changes["Status"] == ["Draft", "Submitted"]
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.target_type == "TermlyReturn")
    ).all()
    assert sorted(actions) == ["return_saved", "return_submitted"]


def test_a_submitted_return_can_be_corrected(world):
    _save(world)
    ret = _save(world, comments="Correction: one more session attended")
    assert ret.status is ReturnStatus.SUBMITTED and ret.version == 2


def test_an_accepted_return_can_no_longer_be_changed(world):
    ret = _save(world)
    services.review_return(world.staff, ret, accept=True, comment="")
    with pytest.raises(ReturnError) as refused:
        _save(world, comments="A late change")
    assert "accepted" in str(refused.value)


def test_asking_for_a_change_needs_a_comment(world):
    ret = _save(world)
    with pytest.raises(ReturnError) as refused:
        services.review_return(world.staff, ret, accept=False, comment="  ")
    assert refused.value.field == "comment"


def test_a_change_asked_is_kept_with_the_comment_until_resubmitted(world):
    ret = _save(world)
    services.review_return(world.staff, ret, accept=False, comment="Attendance looks low")
    assert ret.status is ReturnStatus.CHANGES_REQUESTED
    assert ret.review_comment == "Attendance looks low"
    draft = _save(world, submit=False, sessions_attended=104, sessions_authorised=8)
    assert draft.status is ReturnStatus.CHANGES_REQUESTED  # a draft of the correction
    resent = _save(world, sessions_attended=104, sessions_authorised=8)
    assert resent.status is ReturnStatus.SUBMITTED


def test_only_a_submitted_return_is_reviewed(world):
    ret = _save(world, submit=False)
    with pytest.raises(ReturnError):
        services.review_return(world.staff, ret, accept=True, comment="")
    submitted = _save(world)
    services.review_return(world.staff, submitted, accept=True, comment="")
    with pytest.raises(ReturnError):
        services.review_return(world.staff, submitted, accept=False, comment="Again")


def test_placements_owe_a_return_for_each_term_they_ran_in(world):
    provider = world.provider
    ended_in_summer = placed(
        provider, start=date(2026, 2, 2), finish_date=date(2026, 7, 1), destination="returned"
    )
    starts_in_december = placed(provider, start=date(2026, 12, 1))
    starts_next_year = placed(provider, start=date(2027, 1, 10))
    stmt = services.term_rows(select(type(ended_in_summer)), autumn())
    ids = {p.id for p, _ in db.session.execute(stmt)}
    assert starts_in_december.id in ids
    assert ended_in_summer.id not in ids and starts_next_year.id not in ids
    summer = services.parse_term("2025-summer")
    assert ended_in_summer.id in {
        p.id
        for p, _ in db.session.execute(services.term_rows(select(type(ended_in_summer)), summer))
    }


def test_done_counts_submitted_and_accepted(world):
    _save(world, world.placements[0])
    accepted = _save(world, world.placements[1])
    services.review_return(world.staff, accepted, accept=True, comment="")
    _save(world, world.placements[2], submit=False)
    from qa_portal import policy

    done, total = services.done_counts(policy.placements_for(world.provider_user), autumn())
    assert (done, total) == (2, 4)


def test_a_term_key_names_a_real_term():
    assert services.parse_term("2026-autumn").start == date(2026, 9, 2)
    for bad in ("2026-winter", "26-autumn", "", "abcd-spring", "0000-autumn"):
        assert services.parse_term(bad) is None


def test_factories_are_valid(world):
    assert factories.school("HBEP", 0).id == world.placements[0].pupil.school_id
