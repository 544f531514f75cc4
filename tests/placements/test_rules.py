"""The rules of placements, without HTTP: dates, overlaps, the provider's standing, full-time
hours, the contract, half-termly reviews, the agreement's off-site direction, the ending."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from qa_portal.audit import AuditEvent
from qa_portal.db import db
from qa_portal.placements import services
from qa_portal.placements.models import Destination, Placement, Progress, TargetArea
from qa_portal.placements.services import PlacementError, ReasonNeeded
from qa_portal.providers.models import ProviderStatus
from tests import factories

TODAY = date(2026, 11, 16)
FULL_TIME = 18


def plan(start=TODAY, end=None, reviews=None, **fields) -> services.Plan:
    reviews = [start + timedelta(days=35)] if reviews is None else reviews
    agreed = {
        "start_date": start,
        "planned_end_date": end,
        "days_per_week": 2,
        "sessions_per_week": 4,
        "hours_per_week": Decimal("10"),
        "cost": Decimal("1500.00"),
        "transport": "taxi",
        "intervention": "Construction skills",
        "objectives": "Attend well and gain a CSCS card",
        "reintegration_plan": "Back to school one day a week from spring",
        "off_site_direction": False,
        "off_site_max_weeks": None,
        "reporting": "Attendance weekly by email; a termly return",
        **{k: v for k, v in fields.items() if k not in ("targets", "provider_reason")},
    }
    return services.Plan(
        fields=agreed,
        targets=fields.get("targets")
        or [services.TargetIn(TargetArea.ATTENDANCE, "Attend 90%", "62% last term")],
        review_dates=reviews,
        provider_reason=fields.get("provider_reason", ""),
    )


@pytest.fixture
def staff():
    return factories.user("staff")


@pytest.fixture
def pupil():
    return factories.pupil(factories.school("HBEP"))


@pytest.fixture
def provider():
    return factories.compliant_provider()


def create(staff, pupil, provider, the_plan, contract=None, full_time=FULL_TIME):
    return services.create_placement(
        staff, pupil, provider, contract, the_plan, TODAY, full_time_hours=full_time
    )


def test_a_placement_is_created_with_its_targets_reviews_and_an_audit_event(staff, pupil, provider):
    placement = create(staff, pupil, provider, plan())
    assert placement.id and placement.targets[0].baseline == "62% last term"
    assert [d.due_on for d in placement.review_dates] == [TODAY + timedelta(days=35)]
    assert placement.next_review_on == TODAY + timedelta(days=35)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "placement_created")
    ).one()
    assert event.pupil_id == pupil.id and event.target_id == str(placement.id)


# --- dates and overlaps ---------------------------------------------------------------------


def test_a_planned_end_before_the_start_is_refused(staff, pupil, provider):
    with pytest.raises(PlacementError, match="on or after the start") as refused:
        create(staff, pupil, provider, plan(end=TODAY - timedelta(days=1), reviews=[]))
    assert refused.value.field == "planned_end_date"


def test_a_finish_before_the_start_is_refused(staff, pupil, provider):
    placement = create(staff, pupil, provider, plan())
    with pytest.raises(PlacementError, match="on or after the start date") as refused:
        services.end_placement(
            staff, placement, TODAY - timedelta(days=1), Destination.RETURNED, "", "Done", {}
        )
    assert refused.value.field == "finish_date"
    assert placement.finish_date is None


@pytest.mark.parametrize(
    ("existing", "new", "clash"),
    [
        # (start offset, end offset or None) in days from TODAY
        ((0, 60), (30, 90), True),
        ((0, 60), (60, 90), True),  # the last day of one is the first of the other
        ((0, 60), (61, 90), False),
        ((0, None), (200, 260), True),  # the one recorded is open-ended
        ((100, 160), (0, None), True),  # the new one is open-ended
        ((-200, -100), (0, None), False),
    ],
)
def test_placements_of_one_pupil_at_one_provider_must_not_overlap(
    staff, pupil, provider, existing, new, clash
):
    def days(offset):
        return None if offset is None else TODAY + timedelta(days=offset)

    factories.placement(
        pupil,
        provider,
        start=days(existing[0]),
        planned_end_date=days(existing[1]),
        review_dates=[],
    )
    start, end = days(new[0]), days(new[1])
    the_plan = plan(start=start, end=end, reviews=[start + timedelta(days=20)])
    if clash:
        with pytest.raises(PlacementError, match="already has a placement") as refused:
            create(staff, pupil, provider, the_plan)
        assert refused.value.field == "start_date"
    else:
        assert create(staff, pupil, provider, the_plan).id


def test_an_ended_placement_counts_to_its_finish_date(staff, pupil, provider):
    factories.placement(
        pupil, provider, start=TODAY - timedelta(days=90), finish_date=TODAY - timedelta(days=10),
        destination=Destination.OTHER,
    )  # fmt: skip
    assert create(staff, pupil, provider, plan()).id


def test_the_same_dates_at_another_provider_are_accepted(staff, pupil, provider):
    factories.placement(pupil, factories.compliant_provider(), start=TODAY)
    assert create(staff, pupil, provider, plan()).id


# --- the provider's standing ----------------------------------------------------------------


@pytest.mark.parametrize("status", [ProviderStatus.SUSPENDED, ProviderStatus.CLOSED])
def test_a_suspended_or_closed_provider_needs_a_reason(staff, pupil, provider, status):
    provider.status = status
    with pytest.raises(ReasonNeeded, match=status.label.lower()) as refused:
        create(staff, pupil, provider, plan())
    assert refused.value.field == "provider_reason"
    assert db.session.scalars(select(Placement)).first() is None


def test_a_non_compliant_provider_needs_a_reason(staff, pupil):
    with pytest.raises(ReasonNeeded, match="non-compliant"):
        create(staff, pupil, factories.provider(), plan())


def test_with_a_reason_the_placement_is_made_and_the_reason_stored_and_audited(staff, pupil):
    risky = factories.provider()
    risky.status = ProviderStatus.SUSPENDED
    placement = create(
        staff, pupil, risky, plan(provider_reason="Only provider with a place this term")
    )
    assert placement.provider_reason == "Only provider with a place this term"
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "placement_created")
    ).one()
    assert event.details["reason"] == "Only provider with a place this term"
    assert any("suspended" in w for w in event.details["warnings"])


def test_an_approved_compliant_provider_needs_no_reason(staff, pupil, provider):
    placement = create(staff, pupil, provider, plan(provider_reason="ignored"))
    assert placement.provider_reason == ""


# --- full-time hours ------------------------------------------------------------------------


def test_full_time_hours_with_a_provider_not_registered_with_ofsted_are_refused(
    staff, pupil, provider
):
    with pytest.raises(PlacementError, match="full-time") as refused:
        create(staff, pupil, provider, plan(hours_per_week=Decimal("18.5")))
    assert refused.value.field == "hours_per_week"


def test_the_full_time_line_itself_is_part_time(staff, pupil, provider):
    assert create(staff, pupil, provider, plan(hours_per_week=Decimal("18"))).id


def test_a_registered_provider_may_give_full_time_hours(staff, pupil):
    registered = factories.compliant_provider(ofsted_registered=True)
    assert create(staff, pupil, registered, plan(hours_per_week=Decimal("25"))).id


def test_the_full_time_line_is_a_setting(staff, pupil, provider):
    with pytest.raises(PlacementError, match="More than 12 hours"):
        create(staff, pupil, provider, plan(hours_per_week=Decimal("15")), full_time=12)


def test_full_time_hours_default_to_18(app):
    assert app.config["FULL_TIME_HOURS"] == 18


# --- the contract ---------------------------------------------------------------------------


def test_a_contract_with_another_provider_is_refused(staff, pupil, provider):
    other = factories.contract(
        factories.compliant_provider(), "HBEP", start=TODAY - timedelta(days=10)
    )
    with pytest.raises(PlacementError, match="not") as refused:
        create(staff, pupil, provider, plan(), contract=other)
    assert refused.value.field == "contract_id"


def test_a_contract_that_does_not_cover_the_dates_is_refused(staff, pupil, provider):
    short = factories.contract(
        provider, "HBEP", start=TODAY - timedelta(days=10), end=TODAY + timedelta(days=20)
    )
    with pytest.raises(PlacementError, match="must fall within it"):
        create(staff, pupil, provider, plan(end=TODAY + timedelta(days=40)), contract=short)
    later = factories.contract(provider, "HBEP", start=TODAY + timedelta(days=1))
    with pytest.raises(PlacementError, match="must fall within it"):
        create(staff, pupil, provider, plan(), contract=later)


def test_another_partnerships_or_schools_contract_is_refused(staff, pupil, provider):
    lip = factories.contract(provider, "LIP", start=TODAY - timedelta(days=10))
    with pytest.raises(PlacementError, match="was not made by"):
        create(staff, pupil, provider, plan(), contract=lip)
    other_school = factories.contract(
        provider, "HBEP", factories.school("HBEP", 1), start=TODAY - timedelta(days=10)
    )
    with pytest.raises(PlacementError, match="was not made by"):
        create(staff, pupil, provider, plan(), contract=other_school)


def test_a_contract_covering_the_dates_is_linked(staff, pupil, provider):
    contract = factories.contract(provider, "HBEP", pupil.school, start=TODAY - timedelta(days=10))
    placement = create(staff, pupil, provider, plan(end=TODAY + timedelta(days=40)), contract)
    assert placement.contract_id == contract.id


# --- half-termly reviews --------------------------------------------------------------------


def test_more_than_seven_weeks_to_the_first_review_is_refused(staff, pupil, provider):
    late = TODAY + timedelta(days=50)
    with pytest.raises(PlacementError, match="half-termly") as refused:
        create(staff, pupil, provider, plan(reviews=[None, late]))
    assert refused.value.field == "review_date_2"


def test_seven_weeks_between_reviews_is_accepted_and_more_refused(staff, pupil, provider):
    first = TODAY + timedelta(days=49)
    assert create(staff, pupil, provider, plan(reviews=[first, first + timedelta(days=49)])).id
    with pytest.raises(PlacementError, match="50 days"):
        services.check_review_dates(TODAY, None, [first, first + timedelta(days=50)])


def test_an_open_ended_placement_needs_a_review_date(staff, pupil, provider):
    with pytest.raises(PlacementError, match="half-termly") as refused:
        create(staff, pupil, provider, plan(reviews=[]))
    assert refused.value.field == "review_date_1"


def test_the_last_review_to_the_planned_end_is_within_seven_weeks(staff, pupil, provider):
    with pytest.raises(PlacementError, match="half-termly") as refused:
        create(
            staff, pupil, provider,
            plan(end=TODAY + timedelta(days=100), reviews=[TODAY + timedelta(days=40)]),
        )  # fmt: skip
    assert refused.value.field == "planned_end_date"


def test_a_short_placement_needs_no_review_date(staff, pupil, provider):
    assert create(staff, pupil, provider, plan(end=TODAY + timedelta(days=30), reviews=[])).id


def test_review_dates_outside_the_placement_are_refused(staff, pupil, provider):
    with pytest.raises(PlacementError, match="within the placement's dates"):
        create(staff, pupil, provider, plan(reviews=[TODAY - timedelta(days=1)]))


# --- the agreement --------------------------------------------------------------------------


def test_an_off_site_direction_needs_its_longest_length(staff, pupil, provider):
    with pytest.raises(PlacementError, match="in weeks") as refused:
        create(staff, pupil, provider, plan(off_site_direction=True))
    assert refused.value.field == "off_site_max_weeks"
    placement = create(staff, pupil, provider, plan(off_site_direction=True, off_site_max_weeks=6))
    assert placement.off_site_max_weeks == 6


def test_a_plan_needs_a_target(staff, pupil, provider):
    the_plan = plan()
    the_plan.targets = [services.TargetIn(TargetArea.MATHS, "   ")]
    with pytest.raises(PlacementError, match="at least one target") as refused:
        create(staff, pupil, provider, the_plan)
    assert refused.value.field == "target_1_description"


@pytest.mark.parametrize("name", ["intervention", "objectives", "reintegration_plan", "reporting"])
def test_the_agreements_words_are_required(staff, pupil, provider, name):
    with pytest.raises(PlacementError) as refused:
        create(staff, pupil, provider, plan(**{name: "  "}))
    assert refused.value.field == name


# --- reviews held ---------------------------------------------------------------------------


def test_a_review_records_progress_against_each_target_and_moves_the_next_review_on(
    staff, pupil, provider
):
    start = TODAY - timedelta(days=40)
    placement = factories.placement(
        pupil, provider, start=start, review_dates=[TODAY - timedelta(days=2)]
    )
    target = placement.targets[0]
    progress = [services.ProgressIn(target.id, Progress.SOME, "Better")]
    services.record_review(
        staff, placement, TODAY - timedelta(days=1), "Pupil, mum, key worker", "Carry on",
        TODAY + timedelta(days=40), progress, TODAY,
    )  # fmt: skip
    assert placement.next_review_on == TODAY + timedelta(days=40)
    assert [d.due_on for d in placement.review_dates][-1] == TODAY + timedelta(days=40)
    assert placement.reviews[0].progress[0].progress is Progress.SOME


def test_a_review_needs_progress_for_every_target(staff, pupil, provider):
    placement = factories.placement(pupil, provider)
    with pytest.raises(PlacementError, match="progress against target 1") as refused:
        services.record_review(
            staff, placement, TODAY - timedelta(days=1), "Us", "", None, [], TODAY
        )
    assert refused.value.field == "progress_1"


def test_the_next_review_must_be_within_seven_weeks(staff, pupil, provider):
    placement = factories.placement(pupil, provider)
    progress = [services.ProgressIn(placement.targets[0].id, Progress.ON_TRACK)]
    with pytest.raises(PlacementError, match="half-termly") as refused:
        services.record_review(
            staff, placement, TODAY, "Us", "", TODAY + timedelta(days=50), progress, TODAY
        )
    assert refused.value.field == "next_review_on"


def test_a_review_held_a_few_days_early_counts_for_its_date(staff, pupil, provider):
    due = TODAY + timedelta(days=5)
    placement = factories.placement(pupil, provider, review_dates=[due, due + timedelta(days=40)])
    progress = [services.ProgressIn(placement.targets[0].id, Progress.ON_TRACK)]
    services.record_review(staff, placement, TODAY, "Us", "", None, progress, TODAY)
    assert placement.next_review_on == due + timedelta(days=40)


# --- the ending -----------------------------------------------------------------------------


def test_ending_records_destination_reason_and_each_targets_outcome(staff, pupil, provider):
    placement = factories.placement(pupil, provider)
    target = placement.targets[0]
    services.end_placement(
        staff, placement, TODAY, Destination.RETURNED, "", "Plan complete",
        {target.id: "Attendance 91%"},
    )  # fmt: skip
    assert placement.finish_date == TODAY and placement.destination is Destination.RETURNED
    assert target.outcome == "Attendance 91%" and placement.next_review_on is None
    assert (
        db.session.scalars(
            select(AuditEvent.pupil_id).where(AuditEvent.action == "placement_ended")
        ).one()
        == pupil.id
    )


def test_ending_needs_every_outcome(staff, pupil, provider):
    placement = factories.placement(pupil, provider)
    with pytest.raises(PlacementError, match="outcome of target 1") as refused:
        services.end_placement(staff, placement, TODAY, Destination.RETURNED, "", "Done", {})
    assert refused.value.field == "outcome_1"


def test_another_destination_needs_a_note(staff, pupil, provider):
    placement = factories.placement(pupil, provider)
    with pytest.raises(PlacementError, match="Say where") as refused:
        services.end_placement(staff, placement, TODAY, Destination.OTHER, " ", "Done", {})
    assert refused.value.field == "destination_note"


def test_moving_a_placement_to_a_suspended_provider_needs_a_reason(staff, pupil, provider):
    placement = create(staff, pupil, provider, plan())
    risky = factories.compliant_provider()
    risky.status = ProviderStatus.SUSPENDED
    update = plan(start=placement.start_date)
    with pytest.raises(ReasonNeeded):
        services.update_placement(staff, placement, risky, None, update, TODAY, full_time_hours=18)
    update.provider_reason = "The pupil's own choice, agreed with the family"
    diff = services.update_placement(
        staff, placement, risky, None, update, TODAY, full_time_hours=18
    )
    assert "provider_id" in diff and placement.provider_reason.startswith("The pupil's own")


def test_changing_the_dates_keeps_the_overlap_rule(staff, pupil, provider):
    first = create(staff, pupil, provider, plan(end=TODAY + timedelta(days=30), reviews=[]))
    later = TODAY + timedelta(days=60)
    second = create(staff, pupil, provider, plan(start=later, reviews=[later + timedelta(days=20)]))
    with pytest.raises(PlacementError, match="already has a placement"):
        services.update_placement(
            staff, second, provider, None,
            plan(start=TODAY + timedelta(days=20), reviews=[TODAY + timedelta(days=40)]),
            TODAY, full_time_hours=18,
        )  # fmt: skip
    assert first.id != second.id
