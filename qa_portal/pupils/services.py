"""Pupil rules: the UPN, the date of birth and year group, the school and key worker; the list's
filters and the counts officers see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, case, func, literal, or_, select
from sqlalchemy.orm import joinedload
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.gb import upn as stdnum_upn

from qa_portal import audit
from qa_portal.accounts.models import Role, User
from qa_portal.db import db
from qa_portal.inputs import name_key
from qa_portal.partnerships.models import Partnership, School
from qa_portal.pupils.models import (
    YEAR_GROUPS,
    Ethnicity,
    Gender,
    Pupil,
    academic_year,
    cohort_by_age,
    year_group_in,
)
from qa_portal.rules import RuleBroken

# Secondary age, with a year either side for a pupil taught out of their year group: aged 10
# to 16 on the 31 August before the academic year (year 6 to year 12 by age).
YOUNGEST, OLDEST = 10, 16

FIELDS = (
    "first_names",
    "last_name",
    "upn",
    "date_of_birth",
    "gender",
    "ethnicity",
    "school_id",
    "key_worker_id",
    "ehcp",
    "sen_support",
    "looked_after",
    "pupil_premium",
)


class PupilError(RuleBroken):
    """A rule of pupils' records was broken."""


class DuplicateUpn(PupilError):
    """The UPN is another pupil's; `pupil` is that pupil (which the person may not see)."""

    def __init__(self, pupil: Pupil):
        super().__init__("A pupil with this UPN is already recorded", "upn")
        self.pupil = pupil


# --- the UPN --------------------------------------------------------------------------------


def normalise_upn(raw: str | None) -> str:
    """The UPN as stored: upper case, no spaces."""
    return stdnum_upn.compact(raw or "")


def check_upn(raw: str | None) -> str:
    """A valid UPN, normalised, or PupilError naming the problem. The check letter (first) is
    the sum of characters 2 to 13, weighted 2 to 13, modulo 23, on the letters A to Z without
    I, O and S; a temporary UPN ends in a letter instead of a digit."""
    upn = normalise_upn(raw)
    if not upn:
        raise PupilError("Enter the pupil's UPN", "upn")
    try:
        return stdnum_upn.validate(upn)
    except InvalidLength:
        raise PupilError(
            "A UPN is 13 characters: a letter, 11 digits, then a digit (or a letter for a "
            "temporary UPN)",
            "upn",
        ) from None
    except InvalidChecksum:
        raise PupilError(
            "This UPN's check letter does not match: check each character", "upn"
        ) from None
    except InvalidComponent:
        raise PupilError(
            "Characters 2 to 4 of a UPN are the number of the local authority that issued it, "
            "and these are not one: check the UPN",
            "upn",
        ) from None
    except StdnumError:
        raise PupilError(
            "A UPN is a letter, 11 digits, then a digit (or a letter for a temporary UPN)",
            "upn",
        ) from None


def with_check_letter(body: str) -> str:
    """A UPN made of its last 12 characters and the check letter they give (demo and test
    data use it to make valid UPNs)."""
    return stdnum_upn.calc_check_digit(body) + body


# --- date of birth and year group -----------------------------------------------------------


def birth_range(today: date) -> tuple[date, date]:
    """The earliest and latest dates of birth of a secondary-age pupil this academic year."""
    year = academic_year(today)
    return date(year - OLDEST - 1, 9, 1), date(year - YOUNGEST, 8, 31)


def check_date_of_birth(born: date | None, today: date) -> date:
    if born is None:
        raise PupilError("Enter the pupil's date of birth", "date_of_birth")
    earliest, latest = birth_range(today)
    if not earliest <= born <= latest:
        raise PupilError(
            f"Date of birth must be that of a secondary-age pupil this academic year: between "
            f"{earliest:%-d %B %Y} and {latest:%-d %B %Y}",
            "date_of_birth",
        )
    return born


def cohort_for(born: date, year_group: int | None, today: date) -> int | None:
    """The stored override for a chosen year group (None: the year group by age), refusing a
    pupil whose age puts them outside years 7 to 11 with no year group chosen."""
    year = academic_year(today)
    by_age = year_group_in(cohort_by_age(born), year)
    if year_group is None or year_group == by_age:
        if by_age not in YEAR_GROUPS:
            raise PupilError(
                f"By date of birth this pupil is in year {by_age}: choose the year group "
                "they are taught in",
                "year_group",
            )
        return None
    if year_group not in YEAR_GROUPS:
        raise PupilError("Choose a year group from year 7 to year 11", "year_group")
    return year - year_group + 7


def chosen_year_group(pupil: Pupil, today: date) -> int | None:
    """The year group chosen for a pupil taught out of their year group, or None (by age)."""
    if pupil.cohort_override is None:
        return None
    return pupil.year_group(academic_year(today))


def year_group_sql(year: int):
    """A pupil's year group in academic year `year`, in SQL."""
    return literal(year + 7) - func.coalesce(Pupil.cohort_override, Pupil.cohort_by_age)


# --- create and change ----------------------------------------------------------------------


def _check(fields: dict, pupil: Pupil | None, today: date) -> dict:
    """The fields ready to store, or PupilError."""
    fields = dict(fields)
    for name, label in (("first_names", "first name"), ("last_name", "last name")):
        fields[name] = " ".join((fields.get(name) or "").split())
        if not fields[name]:
            raise PupilError(f"Enter the pupil's {label}", name)
    fields["upn"] = _unique_upn(fields.get("upn"), pupil)
    year_group = fields.pop("year_group", None)
    if (cohort := _cohort(fields.get("date_of_birth"), year_group, pupil, today)) is not KEEP:
        fields["cohort_override"] = cohort
    fields["gender"] = Gender(fields["gender"])
    fields["ethnicity"] = Ethnicity(fields["ethnicity"])
    if fields.get("ehcp") and fields.get("sen_support"):
        raise PupilError(
            "A pupil with an education, health and care plan is not also on SEN support: "
            "choose one",
            "sen_support",
        )
    fields["key_worker_id"] = _key_worker(fields.get("school_id"), fields.get("key_worker_id"))
    return fields


KEEP = object()  # the stored year group stands


def _unique_upn(raw: str | None, pupil: Pupil | None) -> str:
    upn = check_upn(raw)
    clash = select(Pupil).where(Pupil.upn == upn)
    if pupil is not None:
        clash = clash.where(Pupil.id != pupil.id)
    if (existing := db.session.scalars(clash.limit(1)).first()) is not None:
        raise DuplicateUpn(existing)
    return upn


def _cohort(born: date | None, year_group: int | None, pupil: Pupil | None, today: date):
    """The override to store, or KEEP. A record kept after the pupil has left stays editable:
    the age rules apply to a new date of birth or a new year group only."""
    if born is None:
        raise PupilError("Enter the pupil's date of birth", "date_of_birth")
    if pupil is not None and born == pupil.date_of_birth:
        if year_group == chosen_year_group(pupil, today):
            return KEEP
    else:
        check_date_of_birth(born, today)
    return cohort_for(born, year_group, today)


def _key_worker(school_id: int | None, worker_id: int | None) -> int | None:
    """The key worker is staff of the partnership of the pupil's school."""
    school = db.session.get(School, school_id or 0)
    if school is None:
        raise PupilError("Choose the school whose roll the pupil is on", "school_id")
    if not worker_id:
        return None
    worker = db.session.get(User, worker_id)
    if (
        worker is None
        or worker.role is not Role.STAFF
        or worker.partnership_id != (school.partnership_id)
    ):
        raise PupilError(
            f"The key worker must be a member of staff of {school.partnership.code}, "
            "the partnership of the pupil's school",
            "key_worker_id",
        )
    return worker_id


def check_scope(actor: User, school_id: int | None) -> None:
    """Partnership staff record pupils of their own partnership's schools only."""
    if actor.role is Role.STAFF:
        school = db.session.get(School, school_id or 0)
        if school is not None and school.partnership_id != actor.partnership_id:
            raise PupilError("Choose a school of your partnership", "school_id")


def create_pupil(actor: User, fields: dict, today: date) -> Pupil:
    check_scope(actor, fields.get("school_id"))
    fields = _check(fields, None, today)
    pupil = Pupil(**fields)
    db.session.add(pupil)
    db.session.flush()
    audit.record(
        "pupil_created", actor=actor, target=pupil, pupil=pupil, summary="Added a pupil's record"
    )
    return pupil


def update_pupil(actor: User, pupil: Pupil, fields: dict, today: date) -> dict:
    check_scope(actor, fields.get("school_id"))
    fields = _check(fields, pupil, today)
    diff = audit.changes(pupil, fields)
    if diff:
        db.session.flush()
        # Which fields changed, not their values: the log is read by admins, the record by
        # those who may see it.
        audit.record(
            "pupil_changed",
            actor=actor,
            target=pupil,
            pupil=pupil,
            summary="Changed " + ", ".join(name.replace("_", " ") for name in diff),
            details=dict.fromkeys(sorted(diff), "changed"),
        )
    return diff


def record_view(actor: User, pupil: Pupil) -> None:
    audit.record(
        "pupil_viewed", actor=actor, target=pupil, pupil=pupil, summary="Viewed a pupil's record"
    )


# --- the list and the counts ----------------------------------------------------------------


def list_query(pupils: Select, filters: dict) -> Select:
    """The pupils in scope, filtered in SQL, with what each row shows loaded with the page.
    `filters` are the filter form's checked data."""
    stmt = pupils.options(
        joinedload(Pupil.school).joinedload(School.partnership), joinedload(Pupil.key_worker)
    )
    if code := filters.get("partnership"):
        in_partnership = select(School.id).join(Partnership).where(Partnership.code == code)
        stmt = stmt.where(Pupil.school_id.in_(in_partnership))
    if school := filters.get("school"):
        stmt = stmt.where(Pupil.school_id == int(school))
    if worker := filters.get("key_worker"):
        stmt = stmt.where(Pupil.key_worker_id == int(worker))
    if q := " ".join((filters.get("q") or "").split()):
        upn = normalise_upn(q)
        stmt = stmt.where(
            or_(Pupil.name_key.contains(name_key(q), autoescape=True), Pupil.upn == upn)
        )
    return stmt


@dataclass
class Counts:
    """Pupils per partnership and year group, with their needs: what officers see."""

    years: tuple[int, ...]
    rows: list[dict]
    total: dict


def counts(pupils: Select, today: date) -> Counts:
    """One grouped query over the pupils in `pupils` (a statement of Pupil)."""
    year = academic_year(today)
    year_group = year_group_sql(year)
    scoped = pupils.with_only_columns(Pupil.id).order_by(None)
    flags = [
        func.sum(case((flag, 1), else_=0)).label(flag.key)
        for flag in (Pupil.ehcp, Pupil.sen_support, Pupil.looked_after, Pupil.pupil_premium)
    ]
    stmt = (
        select(Partnership.code, year_group.label("year_group"), func.count(), *flags)
        .select_from(Pupil)
        .join(School, School.id == Pupil.school_id)
        .join(Partnership, Partnership.id == School.partnership_id)
        .where(Pupil.id.in_(scoped))
        .group_by(Partnership.code, year_group)
        .order_by(Partnership.code)
    )
    flag_names = ("ehcp", "sen_support", "looked_after", "pupil_premium")
    by_code: dict[str, dict] = {
        code: _empty(code, flag_names)
        for code in db.session.scalars(select(Partnership.code).order_by(Partnership.code))
    }
    total = _empty("All", flag_names)
    for code, group, number, *flag_counts in db.session.execute(stmt):
        for row in (by_code[code], total):
            key = group if group in YEAR_GROUPS else "other"
            row["years"][key] = row["years"].get(key, 0) + number
            row["total"] += number
            for name, value in zip(flag_names, flag_counts, strict=True):
                row[name] += value or 0
    return Counts(years=YEAR_GROUPS, rows=list(by_code.values()), total=total)


def _empty(code: str, flag_names) -> dict:
    return {"code": code, "years": {}, "total": 0, **dict.fromkeys(flag_names, 0)}


def pupil_with_upn(upn: str) -> Select:
    """The pupil with this UPN (the admin's audit filter names a pupil by UPN)."""
    return select(Pupil.id).where(Pupil.upn == normalise_upn(upn))
