"""The demo's termly returns: last term's all in and accepted; this term's in progress, with
the demo provider (provider@example.org's Riverside Motor Skills CIC) at "7 of 9 done" and one
return sent back with a change asked. Loaded only by `flask seed-demo`, after the placements.

The demo provider's current placements are taken as they are; should there be none (a demo
without placements), nine are made for it from HBEP's and LIP's pupils, so the journey works."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from qa_portal import terms
from qa_portal.accounts.models import Role, User
from qa_portal.db import db
from qa_portal.partnerships.models import Partnership, School
from qa_portal.placements.models import Placement, Progress, Target, TargetArea, Transport
from qa_portal.providers.models import Provider
from qa_portal.pupils.models import Pupil
from qa_portal.returns import services
from qa_portal.returns.models import AccreditationStatus, Behaviour
from qa_portal.terms import Term

DEMO_PROVIDER = "Riverside Motor Skills CIC"
DEMO_PUPILS = {"HBEP": 5, "LIP": 4}  # nine placements when the demo has none
NOT_DONE = 2  # of the demo provider's nine: one with a change asked, one not started
BEHAVIOUR = (Behaviour.GOOD, Behaviour.EXCELLENT, Behaviour.SOME_CONCERNS, Behaviour.GOOD)
PROGRESS = (Progress.ON_TRACK, Progress.SOME, Progress.ON_TRACK, Progress.NONE)
VOICES = (
    "I like working on the engines and I get on with the staff.",
    "It's better than school. I want to do a course at college.",
    "Some days are hard but the tutor helps me calm down.",
    "I'm proud of my certificate.",
)


def seed_returns(today: date) -> int:
    """Add the demo's returns; returns how many."""
    calendar = terms.calendar()
    term = calendar.term_on(today)
    previous = calendar.previous_term(term)
    provider = db.session.scalars(select(Provider).where(Provider.name == DEMO_PROVIDER)).first()
    if provider is not None and not _placements(previous, term, provider.id):
        _place_demo_pupils(provider, previous.start)
    reviewers = _reviewers()
    made = 0
    for n, placement in enumerate(_placements(previous, previous)):
        made += _send(placement, previous, n, reviewers, accept=True)
    for n, placement in enumerate(_placements(term, term)):
        if provider is not None and placement.provider_id == provider.id:
            continue
        if n % 3 != 2:  # most of the other providers' returns are in; some are missing
            made += _send(placement, term, n, reviewers, accept=n % 3 == 0)
    if provider is not None:
        made += _seed_demo_provider(provider, term, reviewers)
    return made


def _seed_demo_provider(provider: Provider, term: Term, reviewers: dict) -> int:
    placements = _placements(term, term, provider.id)
    done = placements[: max(0, len(placements) - NOT_DONE)]
    made = 0
    for n, placement in enumerate(done):
        made += _send(placement, term, n, reviewers, accept=n < 2)
    if len(placements) > len(done):
        # The first not done was sent and handed back with a change asked; the last has none.
        sent_back = placements[len(done)]
        made += _send(placement=sent_back, term=term, n=len(done), reviewers=reviewers)
        ret = services.find(sent_back, term)
        services.review_return(
            reviewers[sent_back.pupil.school.partnership_id],
            ret,
            accept=False,
            comment="Attendance here is lower than the register we hold: please check the "
            "sessions possible and the authorised absences, and add a target comment.",
        )
    return made


def _placements(first: Term, last: Term, provider_id: int | None = None) -> list[Placement]:
    stmt = (
        select(Placement)
        .join(Placement.provider)
        .join(Placement.pupil)
        .where(
            Placement.start_date <= last.end,
            (Placement.finish_date.is_(None)) | (Placement.finish_date >= first.start),
        )
        .options(
            joinedload(Placement.pupil).joinedload(Pupil.school),
            joinedload(Placement.provider),
            selectinload(Placement.targets),
        )
        .order_by(Pupil.last_name, Pupil.first_names, Placement.id)
    )
    if provider_id is not None:
        stmt = stmt.where(Placement.provider_id == provider_id)
    return list(db.session.scalars(stmt).unique())


def _reviewers() -> dict[int, User]:
    """Each partnership's co-ordinator, who reviews its returns."""
    staff = db.session.scalars(select(User).where(User.role == Role.STAFF).order_by(User.id)).all()
    reviewers: dict[int, User] = {}
    for user in staff:
        reviewers.setdefault(user.partnership_id, user)
    return reviewers


def _provider_user(provider_id: int) -> User | None:
    return db.session.scalars(
        select(User).where(User.role == Role.PROVIDER, User.provider_id == provider_id)
    ).first()


def _answers(placement: Placement, n: int) -> services.ReturnIn:
    possible = 60 + 4 * placement.days_per_week * 3
    attended = possible - 4 - n % 7 * 3
    authorised = min(possible - attended, 2 + n % 3)
    return services.ReturnIn(
        sessions_possible=possible,
        sessions_attended=attended,
        sessions_authorised=authorised,
        sessions_unauthorised=possible - attended - authorised,
        behaviour=BEHAVIOUR[n % len(BEHAVIOUR)],
        behaviour_comment="Responds well to clear routines; one incident this term."
        if n % 4 == 2
        else "",
        qualification="" if n % 5 == 4 else "Entry 3 Award in Vehicle Maintenance",
        level="" if n % 5 == 4 else "Entry 3",
        accreditation_status=AccreditationStatus.NOT_STARTED
        if n % 5 == 4
        else (AccreditationStatus.ACHIEVED if n % 5 == 3 else AccreditationStatus.WORKING_TOWARDS),
        wellbeing="Settled and more confident; eats breakfast with the group.",
        pupil_voice=VOICES[n % len(VOICES)],
        comments="",
        progress=[
            services.ProgressIn(t.id, PROGRESS[(n + i) % len(PROGRESS)], "")
            for i, t in enumerate(placement.targets)
        ],
    )


def _send(placement, term, n, reviewers, accept: bool = False) -> int:
    sender = _provider_user(placement.provider_id)
    if sender is None:  # a provider with no account: the partnership enters its return
        sender = reviewers[placement.pupil.school.partnership_id]
    services.save_return(sender, placement, term, _answers(placement, n), submit=True)
    if accept:
        ret = services.find(placement, term)
        services.review_return(
            reviewers[placement.pupil.school.partnership_id], ret, accept=True, comment=""
        )
    return 1


def _place_demo_pupils(provider: Provider, start: date) -> None:
    """Nine placements with the demo provider from last term on (when the demo has none)."""
    for code, count in DEMO_PUPILS.items():
        pupils = db.session.scalars(
            select(Pupil)
            .join(School)
            .join(Partnership)
            .where(Partnership.code == code)
            .order_by(Pupil.id.desc())
            .limit(count)
        ).all()
        for n, pupil in enumerate(pupils):
            placement = Placement(
                pupil=pupil,
                provider=provider,
                start_date=start + timedelta(days=7 * n),
                days_per_week=2,
                sessions_per_week=4,
                hours_per_week=Decimal("10.0"),
                transport=Transport.TAXI,
                intervention="Motor vehicle skills, two days a week",
                objectives="Re-engage with learning; attend regularly",
                reintegration_plan="One day back in school from next term",
                reporting="Attendance daily by email; a termly return",
            )
            placement.targets = [
                Target(
                    position=0, area=TargetArea.ATTENDANCE, description="Attend 90% of sessions"
                ),
                Target(
                    position=1,
                    area=TargetArea.ACCREDITATION,
                    description="Entry 3 award in vehicle maintenance",
                ),
            ]
            db.session.add(placement)
    db.session.flush()
