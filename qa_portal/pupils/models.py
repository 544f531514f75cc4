"""Pupils: name, UPN, date of birth and year group, school and key worker, needs."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from qa_portal.accounts.models import User
from qa_portal.db import TimestampMixin, db, enum_column
from qa_portal.inputs import name_key
from qa_portal.partnerships.models import Partnership, School

YEAR_GROUPS = (7, 8, 9, 10, 11)  # secondary: key stage 3 is years 7 to 9, key stage 4 10 and 11


def academic_year(day: date) -> int:
    """The academic year `day` falls in, named by the calendar year it starts (1 September)."""
    return day.year if day.month >= 9 else day.year - 1


def cohort_by_age(born: date) -> int:
    """The academic year in which a child born on `born` is in year 7. In England the year
    group follows the age on 31 August: year 7 is the year that starts when the child is 11,
    so a child born in September is the oldest of their year."""
    return born.year + (1 if born.month >= 9 else 0) + 11


def year_group_in(cohort: int, year: int) -> int:
    """The year group, in academic year `year`, of a pupil in year 7 in academic year `cohort`."""
    return 7 + year - cohort


class Gender(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
    NOT_STATED = "not_stated"

    @property
    def label(self) -> str:
        return {"female": "Female", "male": "Male", "not_stated": "Not stated"}[self.value]


class Ethnicity(enum.StrEnum):
    """The DfE school census's main ethnicity codes (the stored value is the code)."""

    WBRI = "WBRI"
    WIRI = "WIRI"
    WIRT = "WIRT"
    WOTH = "WOTH"
    WROM = "WROM"
    MWBC = "MWBC"
    MWBA = "MWBA"
    MWAS = "MWAS"
    MOTH = "MOTH"
    AIND = "AIND"
    APKN = "APKN"
    ABAN = "ABAN"
    AOTH = "AOTH"
    BCRB = "BCRB"
    BAFR = "BAFR"
    BOTH = "BOTH"
    CHNE = "CHNE"
    OOTH = "OOTH"
    REFU = "REFU"
    NOBT = "NOBT"

    @property
    def label(self) -> str:
        return ETHNICITY_LABELS[self]


ETHNICITY_LABELS = {
    Ethnicity.WBRI: "White - British",
    Ethnicity.WIRI: "White - Irish",
    Ethnicity.WIRT: "Traveller of Irish heritage",
    Ethnicity.WOTH: "Any other White background",
    Ethnicity.WROM: "Gypsy / Roma",
    Ethnicity.MWBC: "White and Black Caribbean",
    Ethnicity.MWBA: "White and Black African",
    Ethnicity.MWAS: "White and Asian",
    Ethnicity.MOTH: "Any other mixed background",
    Ethnicity.AIND: "Indian",
    Ethnicity.APKN: "Pakistani",
    Ethnicity.ABAN: "Bangladeshi",
    Ethnicity.AOTH: "Any other Asian background",
    Ethnicity.BCRB: "Black Caribbean",
    Ethnicity.BAFR: "Black African",
    Ethnicity.BOTH: "Any other Black background",
    Ethnicity.CHNE: "Chinese",
    Ethnicity.OOTH: "Any other ethnic group",
    Ethnicity.REFU: "Refused",
    Ethnicity.NOBT: "Information not yet obtained",
}


class Pupil(TimestampMixin, db.Model):
    """A pupil on the roll of a member school. The partnership is the school's: it is not
    stored, so the two can never disagree."""

    __tablename__ = "pupils"
    __table_args__ = (
        # An education, health and care plan replaces SEN support; a pupil has one or neither.
        CheckConstraint("NOT (ehcp AND sen_support)", name="ehcp_or_sen_support"),
        CheckConstraint("length(upn) = 13", name="upn_length"),
        Index("ix_pupils_school_name", "school_id", "name_key"),
        Index("ix_pupils_key_worker_name", "key_worker_id", "name_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_names: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    # "first names last name" as compared in a search: case-folded in any alphabet.
    name_key: Mapped[str] = mapped_column(String(201), index=True)
    upn: Mapped[str] = mapped_column(String(13), unique=True)
    date_of_birth: Mapped[date]
    # The academic year in which the pupil is in year 7: by age (from the date of birth), or
    # as the school teaches them, out of their year group. Stored as a cohort rather than a
    # year group so that both move up each September with no write.
    cohort_by_age: Mapped[int]
    cohort_override: Mapped[int | None]
    gender: Mapped[Gender] = mapped_column(enum_column(Gender, "gender"))
    ethnicity: Mapped[Ethnicity] = mapped_column(enum_column(Ethnicity, "ethnicity"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    key_worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ehcp: Mapped[bool] = mapped_column(default=False)
    sen_support: Mapped[bool] = mapped_column(default=False)
    looked_after: Mapped[bool] = mapped_column(default=False)
    pupil_premium: Mapped[bool] = mapped_column(default=False)

    school: Mapped[School] = relationship()
    key_worker: Mapped[User | None] = relationship()

    @property
    def name(self) -> str:
        return f"{self.first_names} {self.last_name}"

    @property
    def partnership(self) -> Partnership:
        return self.school.partnership

    @property
    def cohort(self) -> int:
        return self.cohort_override if self.cohort_override is not None else self.cohort_by_age

    def year_group(self, year: int) -> int:
        """The pupil's year group in academic year `year`."""
        return year_group_in(self.cohort, year)

    def year_group_by_age(self, year: int) -> int:
        return year_group_in(self.cohort_by_age, year)

    @validates("first_names", "last_name")
    def _keep_name_key(self, key: str, value: str) -> str:
        first = value if key == "first_names" else (self.first_names or "")
        last = value if key == "last_name" else (self.last_name or "")
        self.name_key = name_key(f"{first} {last}")
        return value

    @validates("date_of_birth")
    def _keep_cohort(self, _key: str, born: date) -> date:
        self.cohort_by_age = cohort_by_age(born)
        return born

    def __str__(self) -> str:
        return self.name
