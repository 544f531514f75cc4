"""The registration guard: across every partnership and school together, the providers that
are not registered with Ofsted and yet educate full-time five or more pupils of compulsory
school age, or one who is looked after or has an education, health and care plan - an
independent school in law (Education Act 1996, s.463), which must register.

The Children's Wellbeing and Schools Act 2026, s.43, widens "an EHC plan" to "special
educational needs" once it is commenced. Both rules are here; the `REGISTRATION_RULE`
setting says which is in force ("ehcp", the default, until commencement; then "sen").

"Full-time" is not defined in law: DfE generally treats more than 18 hours a week in the
daytime as full-time. The `FULL_TIME_HOURS` setting (default 18) is compared with the sum of
a pupil's current placements at the provider, whichever partnerships made them: no single
commissioner sees the whole of it, which is why the portal does.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import Select, and_, case, func, or_, select

from qa_portal.db import db
from qa_portal.placements.models import Placement
from qa_portal.placements.services import PlacementState, state_condition
from qa_portal.providers.models import Provider, ProviderStatus
from qa_portal.pupils.models import Pupil, academic_year

PUPILS = 5  # full-time pupils of compulsory school age that make an independent school


class Rule(enum.StrEnum):
    EHCP = "ehcp"  # Education Act 1996 s.463 as in force
    SEN = "sen"  # as amended by the Children's Wellbeing and Schools Act 2026 s.43

    @property
    def label(self) -> str:
        return {
            Rule.EHCP: "looked after or has an EHC plan",
            Rule.SEN: "looked after or has special educational needs",
        }[self]

    @property
    def short(self) -> str:
        return {
            Rule.EHCP: "looked after or with an EHC plan",
            Rule.SEN: "looked after or with SEN",
        }[self]

    @property
    def law(self) -> str:
        return {
            Rule.EHCP: "section 463 of the Education Act 1996",
            Rule.SEN: "section 463 of the Education Act 1996, as amended by section 43 of the "
            "Children's Wellbeing and Schools Act 2026",
        }[self]


@dataclass(frozen=True)
class Flag:
    """Why a provider is flagged: how many of its pupils it educates full-time, and how many
    of them are looked after or have a plan (or, under the wider rule, SEN)."""

    provider_id: int
    full_time: int
    special: int
    rule: Rule
    hours: int

    @property
    def text(self) -> str:
        pupils = f"{self.full_time} pupil{'' if self.full_time == 1 else 's'}"
        hours = f"more than {self.hours} hours a week"
        reason = f"educates full-time ({hours}) {pupils} of compulsory school age"
        if self.special:
            verb = "is" if self.special == 1 else "are"
            reason += f", {self.special} of whom {verb} {self.rule.label}"
        return reason


def rule() -> Rule:
    return Rule(current_app.config.get("REGISTRATION_RULE", Rule.EHCP.value))


def full_time_hours() -> int:
    return int(current_app.config.get("FULL_TIME_HOURS", 18))


def youngest_past_compulsory_age(today: date) -> int:
    """The `Pupil.cohort_by_age` (academic year in year 7, by age) of the pupils who are past
    compulsory school age on `today`: those in year 11 by age after the last Friday in June of
    that school year, and anyone older. Pupils of a later cohort are of compulsory age."""
    year = academic_year(today)
    june_30 = date(year + 1, 6, 30)
    last_friday = date(year + 1, 6, 30 - (june_30.weekday() - 4) % 7)
    # In year 11 this academic year: cohort year - 4. Still of compulsory age until that Friday.
    return year - 4 if today > last_friday else year - 5


def flags_sql(today: date, hours: int, which: Rule) -> Select:
    """(provider_id, full_time, special) for every provider the guard flags, in one query."""
    per_pupil = (
        select(
            Placement.provider_id.label("provider_id"),
            Placement.pupil_id.label("pupil_id"),
        )
        .where(state_condition(PlacementState.CURRENT, today))
        .group_by(Placement.provider_id, Placement.pupil_id)
        .having(func.sum(Placement.hours_per_week) > hours)
        .subquery("full_time_pupils")
    )
    plan = Pupil.ehcp if which is Rule.EHCP else or_(Pupil.ehcp, Pupil.sen_support)
    special = func.sum(case((or_(Pupil.looked_after, plan), 1), else_=0))
    full_time = func.count()
    return (
        select(per_pupil.c.provider_id, full_time.label("full_time"), special.label("special"))
        .join(Pupil, Pupil.id == per_pupil.c.pupil_id)
        .join(Provider, Provider.id == per_pupil.c.provider_id)
        .where(
            ~Provider.ofsted_registered,
            Provider.status != ProviderStatus.CLOSED,
            Pupil.cohort_by_age > youngest_past_compulsory_age(today),
        )
        .group_by(per_pupil.c.provider_id)
        .having(or_(full_time >= PUPILS, special >= 1))
    )


def flags_for(provider_ids: Select | list[int], today: date) -> dict[int, Flag]:
    """The flags of these providers (a Select of ids, or ids), by provider id."""
    hours, which = full_time_hours(), rule()
    stmt = flags_sql(today, hours, which).subquery("flags")
    rows = db.session.execute(select(stmt).where(stmt.c.provider_id.in_(provider_ids))).all()
    return {
        row.provider_id: Flag(row.provider_id, row.full_time, row.special, which, hours)
        for row in rows
    }


def flag_for(provider: Provider, today: date) -> Flag | None:
    return flags_for([provider.id], today).get(provider.id)


def flagged_providers(providers: Select, today: date) -> Select:
    """`providers` narrowed to those flagged, with their flag's figures as extra columns."""
    flags = flags_sql(today, full_time_hours(), rule()).subquery("flags")
    return (
        providers.join(flags, flags.c.provider_id == Provider.id)
        .add_columns(flags.c.full_time, flags.c.special)
        .order_by(None)
        .order_by(flags.c.full_time.desc(), Provider.name, Provider.id)
    )


def flagged_count(providers: Select, today: date) -> int:
    flags = flags_sql(today, full_time_hours(), rule()).subquery("flags")
    ids = providers.with_only_columns(Provider.id).order_by(None)
    return (
        db.session.scalar(
            select(func.count()).select_from(flags).where(and_(flags.c.provider_id.in_(ids)))
        )
        or 0
    )
