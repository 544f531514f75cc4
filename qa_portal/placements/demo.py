"""The demo's placements: most demo pupils placed with the providers their partnership uses,
each with an agreement, three to five targets and its half-termly reviews; some ended with
their outcomes. Loaded only by `flask seed-demo`.

Hours per week follow the partnerships' annual report (seeds/001, table 7: the average hours a
week purchased per programme-managed pupil); more than FULL_TIME_HOURS only with a provider
registered with Ofsted. The demo provider (provider@example.org's) has nine current placements,
five of HBEP's pupils and four of LIP's. One of HBEP's reviews is overdue and a few are due this
week, for the co-ordinator's home page.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from qa_portal.accounts.models import Role, User
from qa_portal.contracts.models import Contract
from qa_portal.db import db
from qa_portal.partnerships.models import Partnership, School
from qa_portal.placements import services
from qa_portal.placements.models import Destination, Placement, Progress, TargetArea
from qa_portal.providers.models import Provider, ProviderStatus
from qa_portal.pupils.models import Pupil

# Table 7, "Average hours/week": HBEP, LIP, MSCIP, SLIP (SL), NWLLIP (NW).
HOURS = {"HBEP": 21.7, "LIP": 6.4, "MSCIP": 17.3, "SLIP": 14.6, "NWLLIP": 20.4}
# Around each average, summing to nothing over five pupils.
SPREAD = (Decimal("-3"), Decimal("3"), Decimal("-1.5"), Decimal("1.5"), Decimal("0"))
DEMO_PROVIDER = "Riverside Motor Skills CIC"
DEMO_PROVIDER_PUPILS = {"HBEP": 5, "LIP": 4}  # nine current placements in all
TRANSPORT = ("taxi", "public", "family")
REVIEW_EVERY = 42  # days: six weeks, half-termly
HOURLY_RATE = Decimal("14.50")
REASON = (
    "Agreed at the partnership's placement panel: the pupil's needs are best met here, and the "
    "provider is renewing the evidence that lapsed"
)
TARGETS = {
    TargetArea.ATTENDANCE: ("Attend at least 90% of sessions", "{pct}% attendance at school"),
    TargetArea.PERSONAL: (
        "Manage frustration without leaving the session; use the agreed time-out",
        "Three sessions a week left early",
    ),
    TargetArea.ENGLISH: ("Entry level 3 functional skills English", "Reading age {age}"),
    TargetArea.MATHS: ("Entry level 3 functional skills maths", "Working at entry level 1"),
    TargetArea.ACCREDITATION: ("Level 1 award in {area}", "No accreditation yet"),
}
TARGET_ORDER = (
    TargetArea.ATTENDANCE,
    TargetArea.ACCREDITATION,
    TargetArea.PERSONAL,
    TargetArea.MATHS,
    TargetArea.ENGLISH,
)
OUTCOMES = (
    "Achieved",
    "Partly achieved: working towards it at school",
    "Not achieved; carried into the pupil's school plan",
)
DESTINATIONS = (
    Destination.RETURNED,
    Destination.ANOTHER_PLACEMENT,
    Destination.FURTHER_EDUCATION,
    Destination.RETURNED,
    Destination.MOVED_AWAY,
    Destination.OTHER,
)


def seed_placements(today: date, full_time_hours: int) -> int:
    """Add the demo placements; returns how many."""
    made = 0
    for code in sorted(HOURS):
        made += _seed_partnership(code, today, full_time_hours)
    return made


def _seed_partnership(code: str, today: date, full_time_hours: int) -> int:
    partnership = db.session.scalars(select(Partnership).where(Partnership.code == code)).one()
    actor = db.session.scalars(
        select(User).where(User.role == Role.STAFF, User.partnership_id == partnership.id)
    ).first()
    pupils = db.session.scalars(
        select(Pupil).join(School).where(School.partnership_id == partnership.id).order_by(Pupil.id)
    ).all()
    providers = _open_providers(partnership)
    registered = [p for p in providers if p.ofsted_registered]
    part_time = [p for p in providers if not p.ofsted_registered and p.name != DEMO_PROVIDER]
    demo = next((p for p in providers if p.name == DEMO_PROVIDER), None)
    contracts = db.session.scalars(
        select(Contract).where(Contract.partnership_id == partnership.id)
    ).all()
    made, overdue_left = 0, 1 if code == "HBEP" else 0
    for n, pupil in enumerate(pupils):
        if n % 8 == 7:
            continue  # most pupils, not all, are placed
        hours = Decimal(str(HOURS[code])) + SPREAD[n % len(SPREAD)]
        if demo is not None and n < DEMO_PROVIDER_PUPILS.get(code, 0):
            provider, hours = demo, min(hours, Decimal(full_time_hours))
        elif hours > full_time_hours:
            provider = registered[n % len(registered)]
        else:
            provider = (part_time or registered)[n % len(part_time or registered)]
        ended = n % 6 == 5 and provider is not demo
        # One review left unheld, for a placement old enough to have had one: overdue.
        old_enough = 15 + n * 13 % 150 > REVIEW_EVERY + 7
        skip_review = bool(overdue_left) and not ended and old_enough
        skip_review = skip_review and pupil.key_worker_id == actor.id and provider is not demo
        overdue_left -= 1 if skip_review else 0
        placement = _place(
            actor, pupil, provider, contracts, hours, n, today, ended, skip_review, full_time_hours
        )
        made += 1
        if ended and placement.destination is Destination.ANOTHER_PLACEMENT:
            others = [p for p in (part_time or registered) if p.id != provider.id]
            if others and hours <= full_time_hours:
                start = placement.finish_date + timedelta(days=7)
                _place(
                    actor, pupil, others[n % len(others)], contracts, hours, n, today,
                    False, False, full_time_hours, start=start,
                )  # fmt: skip
                made += 1
    return made


def _open_providers(partnership: Partnership) -> list[Provider]:
    stmt = (
        select(Provider)
        .where(
            Provider.partnerships.contains(partnership),
            Provider.status.not_in((ProviderStatus.SUSPENDED, ProviderStatus.CLOSED)),
        )
        .order_by(Provider.name)
        .options(selectinload(Provider.vocational_areas))
    )
    return list(db.session.scalars(stmt))


def _place(
    actor, pupil, provider, contracts, hours, n, today, ended, skip_review, full_time_hours,
    start=None,
):  # fmt: skip
    """One placement through the services, with its reviews held and, if `ended`, its end."""
    if start is None:
        start = today - timedelta(days=(330 + n * 7 % 60) if ended else (15 + n * 13 % 150))
    planned_end = start + timedelta(days=REVIEW_EVERY * 5)
    reviews = [start + timedelta(days=REVIEW_EVERY * k) for k in range(1, 5)]
    days = 1 + int(hours // 5) if hours < 25 else 5
    plan = services.Plan(
        fields=_agreement(pupil, provider, n, start, planned_end, hours, days),
        targets=_targets(provider, n),
        review_dates=reviews,
        provider_reason=REASON if services.provider_warnings(provider, today) else "",
    )
    placement = services.create_placement(
        actor,
        pupil,
        provider,
        _contract(contracts, pupil, provider, start, planned_end),
        plan,
        today,
        full_time_hours=full_time_hours,
    )
    finish = start + timedelta(days=120 + n % 40) if ended else None
    held = [d for d in reviews if d <= (finish or today)]
    if skip_review and held:
        held = held[:-1]  # the latest review not yet held: overdue
    for k, day in enumerate(held):
        later = [d for d in reviews if d > day]
        services.record_review(
            actor,
            placement,
            day,
            f"{pupil.first_names}, parent, key worker, {provider.name}'s lead",
            "Continue the plan" if k % 2 == 0 else "Continue; add a weekly check-in",
            later[0] if later else None,
            [
                services.ProgressIn(
                    t.id,
                    (Progress.ON_TRACK, Progress.SOME, Progress.NONE)[(n + k + i) % 5 % 3],
                    "" if i else "Attendance improving week by week",
                )
                for i, t in enumerate(placement.targets)
            ],  # fmt: skip
            today,
        )
    if ended:
        destination = DESTINATIONS[n // 6 % len(DESTINATIONS)]
        services.end_placement(
            actor,
            placement,
            finish,
            destination,
            "Moved to a family member out of county" if destination is Destination.OTHER else "",
            "The plan's timeline was completed" if destination is Destination.RETURNED
            else "The pupil's circumstances changed",
            {t.id: OUTCOMES[(n + i) % len(OUTCOMES)] for i, t in enumerate(placement.targets)},
        )  # fmt: skip
    return placement


def _agreement(pupil, provider, n, start, planned_end, hours, days) -> dict:
    area = provider.vocational_areas[0].name if provider.vocational_areas else "vocational skills"
    year11 = pupil.year_group(start.year if start.month >= 9 else start.year - 1) >= 11
    return {
        "start_date": start,
        "planned_end_date": planned_end,
        "days_per_week": days,
        "sessions_per_week": min(10, days * 2),
        "hours_per_week": hours,
        "cost": (hours * HOURLY_RATE * 30).quantize(Decimal("0.01")),
        "transport": "provider" if provider.transports_pupils else TRANSPORT[n % 3],
        "intervention": f"{area} programme at {provider.name}, {days} day"
        f"{'s' if days > 1 else ''} a week, with English and maths built into the practical work",
        "objectives": f"Re-engage {pupil.first_names} with learning and attend regularly; gain "
        f"a first qualification in {area.lower()}; keep up English and maths",
        "reintegration_plan": (
            "Transition to college: application by January, taster days in the spring term, "
            "a college link worker from Easter"
            if year11
            else "Phased return to school: one day a week from week 7, two from week 13, full "
            "time from the start of next term with a mentor"
        ),
        "off_site_direction": n % 9 == 4,
        "off_site_max_weeks": 12 if n % 9 == 4 else None,
        "shared_needs": pupil.sen_support or pupil.ehcp,
        "shared_needs_note": "Needs summary and strategies that work, from the SENCo"
        if pupil.sen_support or pupil.ehcp
        else "",
        "shared_ehcp": pupil.ehcp,
        "shared_ehcp_note": "Sections B and F of the plan" if pupil.ehcp else "",
        "shared_health": n % 9 == 0,
        "shared_health_note": "Asthma: inhaler kept by staff" if n % 9 == 0 else "",
        "reporting": "Attendance by email to the key worker each day, a call the same morning "
        "if the pupil does not arrive, a termly return on the portal",
    }


def _targets(provider: Provider, n: int) -> list[services.TargetIn]:
    area = provider.vocational_areas[0].name if provider.vocational_areas else "vocational skills"
    targets = []
    for area_kind in TARGET_ORDER[: 3 + n % 3]:
        description, baseline = TARGETS[area_kind]
        targets.append(
            services.TargetIn(
                area=area_kind,
                description=description.format(area=area.lower()),
                baseline=baseline.format(pct=55 + n * 7 % 30, age=9 + n % 4),
            )
        )
    return targets


def _contract(contracts, pupil, provider, start, planned_end) -> Contract | None:
    """The partnership's (or the school's) contract with this provider covering the dates."""
    for contract in contracts:
        if (
            contract.provider_id == provider.id
            and contract.school_id in (None, pupil.school_id)
            and contract.start_date <= start <= contract.end_date
            and planned_end <= contract.end_date
        ):
            return contract
    return None


def placements_of(provider: Provider) -> list[Placement]:
    """The provider's placements with their targets (the demo's tests read them)."""
    stmt = (
        select(Placement)
        .where(Placement.provider_id == provider.id)
        .options(selectinload(Placement.targets))
    )
    return list(db.session.scalars(stmt))
