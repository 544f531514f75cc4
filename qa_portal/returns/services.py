"""Termly return rules: which placements owe a return for a term, what a valid return is, saving
and submitting one (once), the partnership's review, every change kept as a version; the lists'
queries and the reminders of missing returns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload

from qa_portal import audit, links, outbox, terms
from qa_portal.accounts.models import Role, User
from qa_portal.db import db, utcnow
from qa_portal.partnerships.models import Partnership, School
from qa_portal.placements.models import Placement, Progress, Target
from qa_portal.providers.models import Provider
from qa_portal.pupils.models import Pupil
from qa_portal.returns.models import (
    DONE,
    MAX_SESSIONS,
    TEXT_LENGTH,
    AccreditationStatus,
    Behaviour,
    ReturnProgress,
    ReturnReminder,
    ReturnStatus,
    ReturnVersion,
    TermlyReturn,
    term_key,
)
from qa_portal.rules import RuleBroken
from qa_portal.terms import Season, Term

COUNTS = ("sessions_possible", "sessions_attended", "sessions_authorised", "sessions_unauthorised")
TEXTS = ("behaviour_comment", "wellbeing", "pupil_voice", "comments")
# Every field of a return a provider fills in, besides the progress against each target.
FIELDS = (
    *COUNTS,
    "behaviour",
    "behaviour_comment",
    "qualification",
    "level",
    "accreditation_status",
    "wellbeing",
    "pupil_voice",
    "comments",
)
LABELS = {
    "sessions_possible": "Sessions possible",
    "sessions_attended": "Sessions attended",
    "sessions_authorised": "Authorised absence",
    "sessions_unauthorised": "Unauthorised absence",
    "behaviour": "Behaviour",
    "behaviour_comment": "Behaviour comment",
    "qualification": "Qualification",
    "level": "Level",
    "accreditation_status": "Accreditation status",
    "wellbeing": "Wellbeing",
    "pupil_voice": "Pupil voice",
    "comments": "General comments",
    "status": "Status",
    "review_comment": "Key worker's comment",
}
LENGTHS = {"qualification": 200, "level": 50} | dict.fromkeys(TEXTS, TEXT_LENGTH)


class ReturnError(RuleBroken):
    """A rule of termly returns was broken."""


@dataclass
class ProgressIn:
    target_id: int
    progress: Progress | None = None
    comment: str = ""


@dataclass
class ReturnIn:
    """What a provider enters for one return (from the form or one row of a spreadsheet)."""

    sessions_possible: int | None = None
    sessions_attended: int | None = None
    sessions_authorised: int | None = None
    sessions_unauthorised: int | None = None
    behaviour: Behaviour | None = None
    behaviour_comment: str = ""
    qualification: str = ""
    level: str = ""
    accreditation_status: AccreditationStatus | None = None
    wellbeing: str = ""
    pupil_voice: str = ""
    comments: str = ""
    progress: list[ProgressIn] = field(default_factory=list)


# --- terms ------------------------------------------------------------------------------------


def parse_term(key: str | None) -> Term | None:
    """The term named "2026-autumn", or None when the text names no term."""
    year, _, season = (key or "").partition("-")
    if not (year.isdigit() and len(year) == 4 and season in {s.value for s in Season}):
        return None
    try:
        return terms.calendar().term(int(year), season)
    except ValueError:
        return None


def key_of(term: Term) -> str:
    return term_key(term.year, term.season)


def active_in(term: Term):
    """SQL: the placement ran on at least one day of the term, so it owes the term a return."""
    return and_(
        Placement.start_date <= term.end,
        or_(Placement.finish_date.is_(None), Placement.finish_date >= term.start),
    )


def _of_term(term: Term):
    return and_(
        TermlyReturn.placement_id == Placement.id,
        TermlyReturn.term_year == term.year,
        TermlyReturn.term_season == term.season,
    )


def find(placement: Placement, term: Term) -> TermlyReturn | None:
    stmt = (
        select(TermlyReturn)
        .where(
            TermlyReturn.placement_id == placement.id,
            TermlyReturn.term_year == term.year,
            TermlyReturn.term_season == term.season,
        )
        .options(selectinload(TermlyReturn.progress))
    )
    return db.session.scalars(stmt).first()


# --- the checks -------------------------------------------------------------------------------


def problems(placement: Placement, data: ReturnIn, *, submitting: bool) -> list[ReturnError]:
    """Every rule the return breaks, each naming its field: the attendance adds up whenever it
    is given; a return sent in has every answer a key worker needs."""
    found = _attendance(data) + _lengths(data) + _progress(placement, data)
    if submitting:
        found += _missing(placement, data)
    return found


def _attendance(data: ReturnIn) -> list[ReturnError]:
    counts = {name: getattr(data, name) for name in COUNTS}
    out_of_range = [
        ReturnError(f"{LABELS[name]} must be from 0 to {MAX_SESSIONS}", name)
        for name, value in counts.items()
        if value is not None and not 0 <= value <= MAX_SESSIONS
    ]
    if out_of_range:
        return out_of_range
    possible, attended = counts["sessions_possible"], counts["sessions_attended"]
    if possible is None:
        if any(v is not None for v in counts.values()):
            return [ReturnError("Enter the sessions possible", "sessions_possible")]
        return []
    if attended is not None and attended > possible:
        return [
            ReturnError(
                f"Sessions attended ({attended}) cannot be more than the sessions possible "
                f"({possible})",
                "sessions_attended",
            )
        ]
    total = (attended or 0) + (counts["sessions_authorised"] or 0)
    total += counts["sessions_unauthorised"] or 0
    if total > possible:
        return [
            ReturnError(
                f"Sessions attended and absent add up to {total}, more than the {possible} "
                "sessions possible",
                "sessions_unauthorised",
            )
        ]
    return []


def _lengths(data: ReturnIn) -> list[ReturnError]:
    return [
        ReturnError(f"{LABELS[name]} must be {limit:,} characters or fewer", name)
        for name, limit in LENGTHS.items()
        if len(getattr(data, name) or "") > limit
    ]


def _progress(placement: Placement, data: ReturnIn) -> list[ReturnError]:
    targets = {t.id for t in placement.targets}
    found = []
    for item in data.progress:
        if item.target_id not in targets:
            found.append(ReturnError("That target is not in this pupil's plan", "progress"))
        elif len(item.comment or "") > TEXT_LENGTH:
            found.append(
                ReturnError(
                    f"Comment must be {TEXT_LENGTH:,} characters or fewer",
                    f"comment_{item.target_id}",
                )
            )
    return found


def _missing(placement: Placement, data: ReturnIn) -> list[ReturnError]:
    found = []
    for name in COUNTS:
        if getattr(data, name) is None:
            found.append(ReturnError(f"Enter the {LABELS[name].lower()}", name))
    if data.behaviour is None:
        found.append(ReturnError("Choose how the pupil's behaviour has been", "behaviour"))
    given = {p.target_id: p for p in data.progress}
    for target in placement.targets:
        if target.id not in given or given[target.id].progress is None:
            found.append(
                ReturnError(
                    f"Choose the progress against target {target.position + 1}",
                    f"progress_{target.id}",
                )
            )
    if data.accreditation_status is None:
        found.append(ReturnError("Choose the accreditation status", "accreditation_status"))
    elif (
        data.accreditation_status is not AccreditationStatus.NOT_STARTED
        and not (data.qualification or "").strip()
    ):
        found.append(ReturnError("Enter the qualification", "qualification"))
    return found


# --- saving, submitting and reviewing ---------------------------------------------------------


def _shown(value) -> str | int | None:
    return getattr(value, "label", value)


def snapshot(ret: TermlyReturn, targets: Iterable[Target]) -> dict:
    """What a person would read of the return, field by field, for its history."""
    shown = {name: _shown(getattr(ret, name)) for name in FIELDS}
    by_target = {p.target_id: p for p in ret.progress}
    for target in targets:
        item = by_target.get(target.id)
        n = target.position + 1
        shown[f"Target {n} progress"] = _shown(item.progress) if item else None
        shown[f"Target {n} comment"] = item.comment if item else ""
    return shown


def data_snapshot(placement: Placement, data: ReturnIn) -> dict:
    """`snapshot` of what a return would hold once `data` is saved to it."""
    shown = {name: _shown(_stripped(getattr(data, name))) for name in FIELDS}
    given = {p.target_id: p for p in data.progress}
    for target in placement.targets:
        item = given.get(target.id)
        n = target.position + 1
        shown[f"Target {n} progress"] = _shown(item.progress) if item else None
        shown[f"Target {n} comment"] = (item.comment or "").strip() if item else ""
    return shown


def _stripped(value):
    # An enum's member is a str too: only plain text is stripped.
    return value.strip() if type(value) is str else value


def changes(before: dict, after: dict) -> dict:
    return {
        LABELS.get(name, name): [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value and not (before.get(name) in (None, "") and value in ("",))
    }


def values_of(data: ReturnIn) -> dict:
    """The return's columns as `data` gives them."""
    return {name: _stripped(getattr(data, name)) for name in FIELDS}


def _fill(ret: TermlyReturn, placement: Placement, data: ReturnIn) -> None:
    for name in FIELDS:
        setattr(ret, name, _stripped(getattr(data, name)))
    given = {p.target_id: p for p in data.progress}
    kept = {p.target_id: p for p in ret.progress}
    for target in placement.targets:
        item = given.get(target.id, ProgressIn(target.id))
        row = kept.get(target.id)
        if row is None:
            row = ReturnProgress(target_id=target.id)
            ret.progress.append(row)
        row.progress, row.comment = item.progress, (item.comment or "").strip()


def _version(actor: User, ret: TermlyReturn, action: str, changes: dict) -> None:
    ret.version = (ret.version or 0) + 1
    # Added to the session, not appended to `ret.versions`, which would load the history.
    db.session.add(
        ReturnVersion(
            termly_return=ret,
            number=ret.version,
            actor_id=actor.id,
            actor_email=actor.email,
            action=action,
            status=ret.status,
            changes=changes,
        )
    )


def _new_return(placement: Placement, term: Term) -> TermlyReturn:
    """A new draft for the placement and term, or the one another request has just made: the
    unique key keeps one per placement and term, so a double submit is stored once."""
    ret = TermlyReturn(placement=placement, term_year=term.year, term_season=term.season, version=0)
    try:
        with db.session.begin_nested():
            db.session.add(ret)
            db.session.flush()
    except IntegrityError:
        return find(placement, term)
    return ret


def save_return(
    actor: User,
    placement: Placement,
    term: Term,
    data: ReturnIn,
    *,
    submit: bool,
) -> tuple[TermlyReturn, bool]:
    """Save the provider's return as a draft, or submit it; returns it and whether anything
    changed. A return can be corrected until it is accepted; sending the same answers again
    changes nothing (no new version), so a retried submit is stored once."""
    if found := problems(placement, data, submitting=submit):
        raise found[0]
    ret = find(placement, term)
    if ret is not None and ret.status is ReturnStatus.ACCEPTED:
        raise ReturnError("This return has been accepted: it can no longer be changed")
    if ret is None:
        ret = _new_return(placement, term)
    is_new = not ret.version
    before = {} if is_new else {**snapshot(ret, placement.targets), "status": ret.status.label}
    _fill(ret, placement, data)
    if submit:
        if ret.status is not ReturnStatus.SUBMITTED:
            ret.submitted_at, ret.submitted_by_id = utcnow(), actor.id
        ret.status = ReturnStatus.SUBMITTED
    elif ret.status is not ReturnStatus.CHANGES_REQUESTED:
        ret.status = ReturnStatus.DRAFT
    after = {**snapshot(ret, placement.targets), "status": ret.status.label}
    changed = changes(before, after)
    if not is_new and not changed:
        return ret, False
    action = "submitted" if submit else "saved"
    _version(actor, ret, action, changed)
    audit.record(
        f"return_{action}",
        actor=actor,
        target=ret,
        pupil=placement.pupil,
        summary=f"{ReturnVersion.ACTIONS[action]}: {_term_label(ret)} return from "
        f"{placement.provider.name}",
        details={"fields": sorted(changed)},
    )
    return ret, True


def _term_label(ret: TermlyReturn) -> str:
    return terms.calendar().term(ret.term_year, ret.term_season).label


def review_return(actor: User, ret: TermlyReturn, *, accept: bool, comment: str) -> None:
    """The partnership accepts a submitted return, or asks the provider for a change (with a
    comment the provider reads)."""
    if ret.status is not ReturnStatus.SUBMITTED:
        raise ReturnError("Only a submitted return can be reviewed", "comment")
    comment = (comment or "").strip()
    if not accept and not comment:
        raise ReturnError("Say what the provider should change", "comment")
    if len(comment) > TEXT_LENGTH:
        raise ReturnError(f"The comment must be {TEXT_LENGTH:,} characters or fewer", "comment")
    before = {"status": ret.status.label, "review_comment": ret.review_comment}
    ret.status = ReturnStatus.ACCEPTED if accept else ReturnStatus.CHANGES_REQUESTED
    ret.review_comment = comment
    ret.reviewed_at, ret.reviewed_by_id = utcnow(), actor.id
    after = {"status": ret.status.label, "review_comment": comment}
    action = "accepted" if accept else "changes_requested"
    _version(actor, ret, action, changes(before, after))
    audit.record(
        f"return_{action}",
        actor=actor,
        target=ret,
        pupil=ret.placement.pupil,
        summary=f"{ReturnVersion.ACTIONS[action]}: {_term_label(ret)} return from "
        f"{ret.placement.provider.name}",
    )


def record_template_download(actor: User, term: Term, pupils: int) -> None:
    audit.record(
        "return_template_downloaded",
        actor=actor,
        summary=f"Downloaded the {term.label} returns spreadsheet naming {pupils} pupil(s)",
    )


def record_view(actor: User, ret: TermlyReturn) -> None:
    audit.record(
        "return_viewed",
        actor=actor,
        target=ret,
        pupil=ret.placement.pupil,
        summary=f"Viewed the {_term_label(ret)} return from {ret.placement.provider.name}",
    )


# --- the lists --------------------------------------------------------------------------------

# The list's status filter: the four stored states, and those no return has yet.
NOT_STARTED = "not_started"
MISSING = "missing"  # not yet sent in: not started, a draft, or changes requested
STATUS_CHOICES = [
    (MISSING, "Not yet sent in"),
    (NOT_STARTED, "Not started"),
    *[(s.value, s.label) for s in ReturnStatus],
]


def term_rows(placements: Select, term: Term, filters: dict | None = None) -> Select:
    """(placement, its return for the term or None) for each placement in `placements` that
    ran during the term, with the pupil, school and provider, pupils by name. `filters`: the
    filter form's checked data (status, provider id, partnership code)."""
    filters = filters or {}
    scope = placements.with_only_columns(Placement.id).order_by(None)
    stmt = (
        select(Placement, TermlyReturn)
        .join(Placement.pupil)
        .join(Pupil.school)
        .join(Placement.provider)
        .outerjoin(TermlyReturn, _of_term(term))
        .where(Placement.id.in_(scope), active_in(term))
        .options(
            contains_eager(Placement.pupil).contains_eager(Pupil.school),
            contains_eager(Placement.provider),
        )
        .order_by(Provider.name, Pupil.name_key, Placement.id)
    )
    status = filters.get("status")
    if status == NOT_STARTED:
        stmt = stmt.where(TermlyReturn.id.is_(None))
    elif status == MISSING:
        stmt = stmt.where(or_(TermlyReturn.id.is_(None), TermlyReturn.status.not_in(DONE)))
    elif status:
        stmt = stmt.where(TermlyReturn.status == ReturnStatus(status))
    if provider := filters.get("provider"):
        stmt = stmt.where(Placement.provider_id == int(provider))
    if code := filters.get("partnership"):
        in_partnership = select(School.id).join(Partnership).where(Partnership.code == code)
        stmt = stmt.where(Pupil.school_id.in_(in_partnership))
    return stmt


def done_counts(placements: Select, term: Term) -> tuple[int, int]:
    """(returns sent in, placements owing one) for the term, counted in one query."""
    scope = placements.with_only_columns(Placement.id).order_by(None)
    row = db.session.execute(
        select(
            func.count(Placement.id),
            func.coalesce(func.sum(case((TermlyReturn.status.in_(DONE), 1), else_=0)), 0),
        )
        .select_from(Placement)
        .outerjoin(TermlyReturn, _of_term(term))
        .where(Placement.id.in_(scope), active_in(term))
    ).one()
    return int(row[1]), int(row[0])


def missing_by_provider(placements: Select, term: Term, limit: int = 10) -> list[tuple]:
    """(provider id, provider name, returns not yet sent in) for the term, most missing first."""
    scope = placements.with_only_columns(Placement.id).order_by(None)
    missing = func.count(Placement.id)
    stmt = (
        select(Provider.id, Provider.name, missing)
        .select_from(Placement)
        .join(Provider, Provider.id == Placement.provider_id)
        .outerjoin(TermlyReturn, _of_term(term))
        .where(
            Placement.id.in_(scope),
            active_in(term),
            or_(TermlyReturn.id.is_(None), TermlyReturn.status.not_in(DONE)),
        )
        .group_by(Provider.id, Provider.name)
        .order_by(missing.desc(), Provider.name)
        .limit(limit)
    )
    return [tuple(row) for row in db.session.execute(stmt)]


def provider_summary(placements: Select, term: Term, limit: int = 20) -> dict:
    """What a provider's home page shows for the term: how many returns are done of how many,
    and the first pupils still due."""
    done, total = done_counts(placements, term)
    due = db.session.execute(term_rows(placements, term, {"status": MISSING}).limit(limit)).all()
    return {"term": term, "key": key_of(term), "done": done, "total": total, "due": due}


# --- reminders --------------------------------------------------------------------------------


def initials(pupil: Pupil) -> str:
    return "".join(part[0].upper() for part in f"{pupil.first_names} {pupil.last_name}".split())


def send_reminders(today: date) -> int:
    """Once a term's returns are overdue, one email per provider listing its missing pupils by
    initials and year group (never by name); each provider is reminded once a term."""
    calendar = terms.calendar()
    term = calendar.term_on(today)
    if today <= calendar.returns_due_after(term):
        return 0
    reminded = select(ReturnReminder.provider_id).where(
        ReturnReminder.term_year == term.year, ReturnReminder.term_season == term.season
    )
    rows = db.session.execute(
        select(Placement, TermlyReturn.id)
        .join(Placement.pupil)
        .join(Placement.provider)
        .outerjoin(TermlyReturn, _of_term(term))
        .where(
            active_in(term),
            or_(TermlyReturn.id.is_(None), TermlyReturn.status.not_in(DONE)),
            Placement.provider_id.not_in(reminded),
        )
        .options(contains_eager(Placement.pupil), contains_eager(Placement.provider))
        .order_by(Placement.provider_id, Pupil.name_key)
    ).all()
    by_provider: dict[int, list[Placement]] = {}
    for placement, _ in rows:
        by_provider.setdefault(placement.provider_id, []).append(placement)
    if not by_provider:
        return 0
    users = db.session.scalars(
        select(User).where(
            User.role == Role.PROVIDER,
            User.provider_id.in_(by_provider),
            User.disabled_at.is_(None),
        )
    ).all()
    queued = 0
    year = term.year
    for provider_id, placements in by_provider.items():
        provider = placements[0].provider
        to = [u.email for u in users if u.provider_id == provider_id] or (
            [provider.email] if getattr(provider, "email", "") else []
        )
        db.session.add(
            ReturnReminder(
                provider_id=provider_id,
                term_year=term.year,
                term_season=term.season,
                missing=len(placements),
            )
        )
        lines = [f"- {initials(p.pupil)}, year {p.pupil.year_group(year)}" for p in placements]
        url = links.external("returns.index", term=key_of(term))
        body = (
            f"{term.label} returns are overdue for {len(placements)} pupil(s) placed with "
            f"{provider.name}:\n\n" + "\n".join(lines) + f"\n\nSend them here: {url}\n"
        )
        for address in to:
            outbox.queue(address, f"{term.label}: termly returns overdue", body)
            queued += 1
        audit.record(
            "return_reminder_sent",
            target=provider,
            summary=f"Reminded of {len(placements)} missing {term.label} return(s)",
        )
    db.session.flush()
    return queued
