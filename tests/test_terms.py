"""The academic year's terms: configured and derived dates, holidays, year ends, the overdue day
for returns, and term dates that refuse to start the portal."""

from __future__ import annotations

import json
from datetime import date

import pytest

from qa_portal import create_app, terms
from qa_portal.terms import Season, Term, TermCalendar, TermDatesError
from tests.conftest import TEST_CONFIG

D = date.fromisoformat
CALENDAR = TermCalendar({})


def _term(year, season, start, end):
    return Term(year, Season(season), D(start), D(end))


AUTUMN_2026 = _term(2026, "autumn", "2026-09-02", "2026-12-18")
SPRING_2027 = _term(2026, "spring", "2027-01-04", "2027-03-26")
SUMMER_2027 = _term(2026, "summer", "2027-04-12", "2027-07-21")
SUMMER_2026 = _term(2025, "summer", "2026-04-13", "2026-07-22")


def test_the_default_year_is_leicestershires_2026_27():
    assert CALENDAR.year(2026) == (AUTUMN_2026, SPRING_2027, SUMMER_2027)
    assert [t.label for t in CALENDAR.year(2026)] == ["Autumn 2026", "Spring 2027", "Summer 2027"]
    assert AUTUMN_2026.academic_year == "2026/27"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-09-02", AUTUMN_2026),  # first day
        ("2026-12-18", AUTUMN_2026),  # last day
        ("2026-12-25", AUTUMN_2026),  # Christmas holiday: the term just ended
        ("2027-01-03", AUTUMN_2026),
        ("2027-01-04", SPRING_2027),
        ("2027-04-01", SPRING_2027),  # Easter holiday
        ("2027-04-12", SUMMER_2027),
        ("2027-08-31", SUMMER_2027),  # the academic year's last day, in the summer holiday
        ("2026-09-01", SUMMER_2026),  # a new academic year, before its first term starts
        ("2026-08-15", SUMMER_2026),
    ],
)
def test_term_on_a_day_in_term_or_holiday(day, expected):
    assert CALENDAR.term_on(D(day)) == expected


def test_current_term_follows_the_clock(monkeypatch):
    monkeypatch.setattr("qa_portal.clock.today", lambda: D("2027-02-10"))
    assert terms.current_term() == SPRING_2027
    monkeypatch.setattr("qa_portal.clock.today", lambda: D("2026-12-31"))
    assert terms.current_term().label == "Autumn 2026"


def test_previous_term_crosses_the_academic_year():
    assert CALENDAR.previous_term(SUMMER_2027) == SPRING_2027
    assert CALENDAR.previous_term(SPRING_2027) == AUTUMN_2026
    assert CALENDAR.previous_term(AUTUMN_2026) == SUMMER_2026
    assert terms.previous_term(AUTUMN_2026) == SUMMER_2026


def test_terms_overlapping_a_range():
    assert CALENDAR.terms_overlapping(D("2026-12-18"), D("2027-01-04")) == [
        AUTUMN_2026,
        SPRING_2027,
    ]
    # A range wholly in a holiday touches no term.
    assert CALENDAR.terms_overlapping(D("2026-12-19"), D("2027-01-03")) == []
    assert CALENDAR.terms_overlapping(D("2026-07-01"), D("2026-09-02")) == [
        SUMMER_2026,
        AUTUMN_2026,
    ]
    one_day = CALENDAR.terms_overlapping(D("2027-05-05"), D("2027-05-05"))
    assert one_day == [SUMMER_2027]
    assert len(terms.terms_overlapping(D("2025-09-01"), D("2028-08-31"))) == 9
    with pytest.raises(ValueError, match="ends before it starts"):
        CALENDAR.terms_overlapping(D("2027-01-02"), D("2027-01-01"))


def test_returns_are_overdue_from_14_days_before_the_term_ends():
    assert CALENDAR.returns_due_after(AUTUMN_2026) == D("2026-12-04")
    assert terms.returns_due_after(SUMMER_2027) == D("2027-07-07")
    assert TermCalendar({}, 0).returns_due_after(AUTUMN_2026) == AUTUMN_2026.end
    # An offset longer than the term goes back no further than its first day.
    assert TermCalendar({}, 200).returns_due_after(AUTUMN_2026) == AUTUMN_2026.start


@pytest.mark.parametrize("year", [2024, 2027, 2030, 2040, 2100])
def test_a_year_without_dates_follows_the_rule(year):
    autumn, spring, summer = CALENDAR.year(year)
    assert autumn.start.month == 9 and autumn.start.day <= 3 and autumn.start.weekday() < 5
    assert autumn.end.weekday() == 4 and D(f"{year}-12-14") <= autumn.end <= D(f"{year}-12-20")
    assert spring.start.weekday() < 5 and D(f"{year + 1}-01-04") <= spring.start
    good_friday = terms.easter_sunday(year + 1).toordinal() - 2
    assert spring.end.weekday() == 4 and good_friday - spring.end.toordinal() == 7
    assert summer.start.weekday() == 0 and summer.start.toordinal() - good_friday == 10
    assert summer.end.weekday() == 2 and D(f"{year + 1}-07-17") <= summer.end
    assert autumn.end < spring.start < spring.end < summer.start < summer.end


def test_the_rule_gives_2025_26_bar_its_first_day():
    configured = CALENDAR.year(2025)
    derived = terms.derived_year(2025)
    assert configured[1:] == derived[1:]
    assert (configured[0].end, derived[0].start) == (D("2025-12-19"), D("2025-09-01"))


@pytest.mark.parametrize(
    ("year", "easter"), [(2024, "2024-03-31"), (2027, "2027-03-28"), (2038, "2038-04-25")]
)
def test_easter(year, easter):
    assert terms.easter_sunday(year) == D(easter)


def test_leap_years():
    # 29 February 2028 is in the spring term of 2027/28; 2100 is no leap year.
    assert CALENDAR.term_on(D("2028-02-29")).label == "Spring 2028"
    leap = {"2027/28": _year("2027-09-01", "2027-12-17", "2028-01-04", "2028-02-29")}
    assert TermCalendar(leap).term(2027, "spring").end == D("2028-02-29")
    with pytest.raises(TermDatesError, match="not a date"):
        TermCalendar({"2099/00": _year("2099-09-01", "2099-12-18", "2100-01-04", "2100-02-29")})


def test_the_ends_of_the_calendar_are_refused_plainly():
    with pytest.raises(ValueError, match="terms are known"):
        CALENDAR.term_on(date.min)
    with pytest.raises(ValueError, match="terms are known"):
        CALENDAR.term_on(date.max)
    assert CALENDAR.term_on(D("9999-08-31")).year == terms.LAST_YEAR


def _year(autumn_start, autumn_end, spring_start, spring_end, summer=None):
    year = int(autumn_start[:4])
    return {
        "autumn": [autumn_start, autumn_end],
        "spring": [spring_start, spring_end],
        "summer": summer or [f"{year + 1}-04-12", f"{year + 1}-07-21"],
    }


def test_configured_dates_replace_a_year_and_keep_the_others():
    calendar = TermCalendar(
        json.dumps({"2026/27": _year("2026-09-03", "2026-12-17", "2027-01-05", "2027-03-25")})
    )
    assert calendar.term(2026, "autumn") == _term(2026, "autumn", "2026-09-03", "2026-12-17")
    assert calendar.year(2025) == CALENDAR.year(2025)
    assert calendar.year(2031) == terms.derived_year(2031)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "must map years to terms"),
        ({"2026": {}}, "not an academic year"),
        ({"2026/28": {}}, "not an academic year"),
        ({"2026/27": {"autumn": ["2026-09-02", "2026-12-18"]}}, "exactly autumn, spring"),
        (
            {"2026/27": _year("2026-12-18", "2026-09-02", "2027-01-04", "2027-03-26")},
            r"2026/27 autumn ends \(2026-09-02\) before it starts \(2026-12-18\)",
        ),
        (
            {"2026/27": _year("2026-09-02", "2027-01-08", "2027-01-04", "2027-03-26")},
            "2026/27 spring .* overlaps or comes before autumn",
        ),
        (
            {"2026/27": _year("2026-09-02", "2026-12-18", "2027-01-04", "2027-04-12")},
            "2026/27 summer .* overlaps or comes before spring",
        ),
        (
            {"2026/27": _year("2026-08-28", "2026-12-18", "2027-01-04", "2027-03-26")},
            "must lie within 1 September 2026 to 31 August 2027",
        ),
        ({"2026/27": {"autumn": "x", "spring": 1, "summer": None}}, r"\[first day, last day\]"),
        (
            {"2026/27": _year("2026-09-02", "2026-13-01", "2027-01-04", "2027-03-26")},
            "2026/27 autumn: '2026-13-01' is not a date",
        ),
    ],
)
def test_bad_term_dates_are_refused_with_the_reason(raw, message):
    with pytest.raises(TermDatesError, match=message):
        TermCalendar(raw)


def test_the_portal_refuses_to_start_on_bad_term_dates():
    bad = {"2026/27": _year("2026-09-02", "2026-12-18", "2026-12-01", "2027-03-26")}
    with pytest.raises(RuntimeError, match="cannot start: TERM_DATES: 2026/27 spring"):
        create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://", "TERM_DATES": bad})
    with pytest.raises(RuntimeError, match="RETURNS_OVERDUE_DAYS_BEFORE_END must be 0 or more"):
        create_app(
            {
                **TEST_CONFIG,
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "RETURNS_OVERDUE_DAYS_BEFORE_END": -1,
            }
        )


def test_term_dates_come_from_the_environment(monkeypatch):
    own = {"2027/28": _year("2027-09-06", "2027-12-17", "2028-01-04", "2028-03-24")}
    monkeypatch.setenv("TERM_DATES", json.dumps(own))
    monkeypatch.setenv("RETURNS_OVERDUE_DAYS_BEFORE_END", "7")
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        autumn = terms.calendar().term(2027, "autumn")
        assert autumn.start == D("2027-09-06")
        assert terms.returns_due_after(autumn) == D("2027-12-10")
