"""The academic year's terms: configured dates where we have them, a rule for years we don't,
and when a term's returns (termly feedback) become overdue."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from flask import Flask, current_app

from qa_portal import clock

# Leicestershire County Council's published pattern for its community schools. A year given in
# the TERM_DATES setting replaces the year here; a year in neither follows `derived_year`.
DEFAULT_TERM_DATES: dict[str, dict[str, tuple[str, str]]] = {
    "2025/26": {
        "autumn": ("2025-09-03", "2025-12-19"),
        "spring": ("2026-01-05", "2026-03-27"),
        "summer": ("2026-04-13", "2026-07-22"),
    },
    "2026/27": {
        "autumn": ("2026-09-02", "2026-12-18"),
        "spring": ("2027-01-04", "2027-03-26"),
        "summer": ("2027-04-12", "2027-07-21"),
    },
}

# Academic years the calendar answers for (the first calendar year of each), so that a date
# at either end of the calendar is refused plainly rather than overflowing.
FIRST_YEAR = 1900
LAST_YEAR = 9998


class Season(enum.StrEnum):
    AUTUMN = "autumn"
    SPRING = "spring"
    SUMMER = "summer"

    @property
    def label(self) -> str:
        return self.value.capitalize()


SEASONS = tuple(Season)


@dataclass(frozen=True)
class Term:
    """One term; `year` is the academic year's first calendar year (2026 for 2026/27)."""

    year: int
    season: Season
    start: date
    end: date

    @property
    def label(self) -> str:
        return f"{self.season.label} {self.start.year}"

    @property
    def academic_year(self) -> str:
        return academic_year_label(self.year)

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


class TermDatesError(ValueError):
    """The configured term dates cannot be used; the message says which and why."""


def academic_year_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def academic_year_of(day: date) -> int:
    """The academic year (1 September to 31 August) a day falls in."""
    return day.year if day.month >= 9 else day.year - 1


# -- the rule for years with no configured dates ------------------------------------------


def _weekday_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _on_or_before(day: date, weekday: int) -> date:
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def easter_sunday(year: int) -> date:
    """Western Easter (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def derived_year(year: int) -> tuple[Term, Term, Term]:
    """The usual shape of a Leicestershire year: autumn from the first weekday of September to
    the Friday on or before 20 December; spring from the first weekday on or after 4 January to
    the Friday before the week of Good Friday; the Easter holiday is that week and the next;
    summer from the Monday after it to the Wednesday on or before 23 July."""
    good_friday = easter_sunday(year + 1) - timedelta(days=2)
    return (
        Term(
            year,
            Season.AUTUMN,
            _weekday_on_or_after(date(year, 9, 1)),
            _on_or_before(date(year, 12, 20), 4),
        ),
        Term(
            year,
            Season.SPRING,
            _weekday_on_or_after(date(year + 1, 1, 4)),
            good_friday - timedelta(days=7),
        ),
        Term(
            year,
            Season.SUMMER,
            good_friday + timedelta(days=10),
            _on_or_before(date(year + 1, 7, 23), 2),
        ),
    )


# -- configured dates ----------------------------------------------------------------------


def _parse_year_key(key: str) -> int:
    first, sep, second = str(key).partition("/")
    if not (sep and first.isdigit() and second.isdigit() and len(second) == 2):
        raise TermDatesError(f"TERM_DATES: {key!r} is not an academic year such as '2026/27'")
    year = int(first)
    if academic_year_label(year) != key:
        raise TermDatesError(f"TERM_DATES: {key!r} is not an academic year such as '2026/27'")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise TermDatesError(f"TERM_DATES: {key} is outside {FIRST_YEAR} to {LAST_YEAR}")
    return year


def _parse_day(value, where: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise TermDatesError(f"TERM_DATES: {where}: {value!r} is not a date (YYYY-MM-DD)") from None


def _parse_term(year: int, season: Season, dates) -> Term:
    where = f"{academic_year_label(year)} {season.value}"
    if not isinstance(dates, list | tuple) or len(dates) != 2:
        raise TermDatesError(f"TERM_DATES: {where} must be [first day, last day]")
    term = Term(year, season, _parse_day(dates[0], where), _parse_day(dates[1], where))
    if term.end < term.start:
        raise TermDatesError(
            f"TERM_DATES: {where} ends ({term.end}) before it starts ({term.start})"
        )
    if academic_year_of(term.start) != year or academic_year_of(term.end) != year:
        raise TermDatesError(
            f"TERM_DATES: {where} must lie within 1 September {year} to 31 August {year + 1}"
        )
    return term


def _parse_year(key: str, seasons) -> tuple[int, tuple[Term, Term, Term]]:
    year = _parse_year_key(key)
    label = academic_year_label(year)
    if not isinstance(seasons, Mapping) or set(seasons) != {s.value for s in SEASONS}:
        raise TermDatesError(f"TERM_DATES: {label} must give exactly autumn, spring and summer")
    terms = tuple(_parse_term(year, season, seasons[season.value]) for season in SEASONS)
    for before, after in zip(terms, terms[1:], strict=False):
        if after.start <= before.end:
            raise TermDatesError(
                f"TERM_DATES: {label} {after.season.value} ({after.start} to {after.end}) "
                f"overlaps or comes before {before.season.value} ({before.start} to {before.end})"
            )
    return year, terms


def parse_term_dates(raw) -> dict[int, tuple[Term, Term, Term]]:
    """Configured years from a mapping or its JSON text, checked; TermDatesError says why not."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise TermDatesError(f"TERM_DATES is not valid JSON: {exc}") from None
    if not isinstance(raw, Mapping):
        raise TermDatesError('TERM_DATES must map years to terms: {"2026/27": {"autumn": ...}}')
    return dict(_parse_year(key, seasons) for key, seasons in raw.items())


class TermCalendar:
    """Terms by academic year: configured where given, derived otherwise."""

    def __init__(self, configured: Mapping, returns_days_before_end: int = 14):
        if returns_days_before_end < 0:
            raise TermDatesError("RETURNS_OVERDUE_DAYS_BEFORE_END must be 0 or more")
        self.years = {**parse_term_dates(DEFAULT_TERM_DATES), **parse_term_dates(configured)}
        self.returns_days_before_end = returns_days_before_end

    def year(self, year: int) -> tuple[Term, Term, Term]:
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(f"terms are known for {FIRST_YEAR} to {LAST_YEAR + 1} only")
        return self.years.get(year) or derived_year(year)

    def term(self, year: int, season: Season | str) -> Term:
        return self.year(year)[SEASONS.index(Season(season))]

    def term_on(self, day: date) -> Term:
        """The term containing `day`; in a holiday, the term that most recently ended."""
        year = academic_year_of(day)
        for term in reversed(self.year(year)):
            if term.start <= day:
                return term
        # Early September, before the autumn term starts: last year's summer term.
        return self.year(year - 1)[-1]

    def previous_term(self, term: Term) -> Term:
        index = SEASONS.index(term.season)
        if index:
            return self.year(term.year)[index - 1]
        return self.year(term.year - 1)[-1]

    def terms_overlapping(self, start: date, end: date) -> list[Term]:
        """Every term with at least one day from `start` to `end` (both included), in order."""
        if end < start:
            raise ValueError("the range ends before it starts")
        return [
            term
            for year in range(academic_year_of(start), academic_year_of(end) + 1)
            for term in self.year(year)
            if term.start <= end and start <= term.end
        ]

    def returns_due_after(self, term: Term) -> date:
        """The day after which a missing return for `term` counts as overdue: the configured
        number of days before the term ends, never before it starts."""
        return max(term.start, term.end - timedelta(days=self.returns_days_before_end))


def init_app(app: Flask) -> None:
    """Build the app's calendar from its settings, refusing to start on bad term dates."""
    try:
        calendar = TermCalendar(
            app.config.get("TERM_DATES"), app.config["RETURNS_OVERDUE_DAYS_BEFORE_END"]
        )
    except TermDatesError as exc:
        raise RuntimeError(f"The portal cannot start: {exc}") from None
    app.extensions["terms"] = calendar


def calendar() -> TermCalendar:
    return current_app.extensions["terms"]


def term_on(day: date) -> Term:
    return calendar().term_on(day)


def current_term() -> Term:
    return calendar().term_on(clock.today())


def previous_term(term: Term) -> Term:
    return calendar().previous_term(term)


def terms_overlapping(start: date, end: date) -> list[Term]:
    return calendar().terms_overlapping(start, end)


def returns_due_after(term: Term) -> date:
    return calendar().returns_due_after(term)
