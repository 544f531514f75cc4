"""The registration guard: a provider not registered with Ofsted that educates full-time five
or more pupils of compulsory school age, or one looked after or with an EHC plan, across every
partnership and school together."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from qa_portal import clock
from qa_portal.db import db
from qa_portal.placements.models import Destination
from qa_portal.registration import services
from qa_portal.registration.services import Rule, youngest_past_compulsory_age
from tests import factories
from tests.conftest import count_queries

FULL_TIME = Decimal("22.5")
PART_TIME = Decimal("12.0")


@pytest.fixture
def unregistered():
    provider = factories.provider("Hillside Farm Skills")
    provider.ofsted_registered = False
    db.session.flush()
    return provider


def place(provider, code="HBEP", hours=FULL_TIME, **pupil_fields):
    """A pupil of a `code` school placed with `provider` (today, open-ended) for `hours`."""
    pupil = factories.pupil(factories.school(code, 0), **pupil_fields)
    return factories.placement(pupil, provider, hours_per_week=hours)


def text(response) -> str:
    """The page's words, without its markup."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def flag(provider):
    return services.flag_for(provider, clock.today())


def test_the_fifth_full_time_pupil_from_another_partnership_flags_the_provider(unregistered):
    for _ in range(4):
        place(unregistered, "HBEP")
    assert flag(unregistered) is None  # four: HBEP alone sees nothing wrong, and nor does the law
    place(unregistered, "LIP")  # LIP's first pupil there is the fifth
    found = flag(unregistered)
    assert found is not None
    assert (found.full_time, found.special) == (5, 0)
    assert "educates full-time (more than 18 hours a week) 5 pupils" in found.text


def test_part_time_pupils_do_not_count_however_many(unregistered):
    for n in range(8):
        place(unregistered, ("HBEP", "LIP")[n % 2], hours=PART_TIME)
    assert flag(unregistered) is None


def test_eighteen_hours_is_not_full_time_and_anything_more_is(app, unregistered):
    for _ in range(5):
        place(unregistered, hours=Decimal("18.0"))
    assert flag(unregistered) is None
    app.config["FULL_TIME_HOURS"] = 17  # the setting, not a number in the code
    assert flag(unregistered).full_time == 5


@pytest.mark.parametrize("fields", [{"looked_after": True}, {"ehcp": True}])
def test_one_full_time_pupil_looked_after_or_with_a_plan_is_enough(unregistered, fields):
    place(unregistered, hours=PART_TIME)
    place(unregistered, **fields)
    found = flag(unregistered)
    assert (found.full_time, found.special) == (1, 1)
    assert "1 of whom is looked after or has an EHC plan" in found.text


def test_sen_support_counts_only_once_the_wider_rule_is_in_force(app, unregistered):
    place(unregistered, sen_support=True)
    assert flag(unregistered) is None  # s.463 as in force: an EHC plan, not SEN support
    app.config["REGISTRATION_RULE"] = "sen"  # the 2026 Act's s.43, once commenced
    found = flag(unregistered)
    assert found.special == 1 and found.rule is Rule.SEN
    assert "special educational needs" in found.text


def test_a_registered_provider_is_never_flagged(unregistered):
    unregistered.ofsted_registered, unregistered.ofsted_urn = True, "2650123"
    for _ in range(6):
        place(unregistered, looked_after=True)
    assert flag(unregistered) is None


def test_ended_and_future_placements_do_not_count(unregistered):
    today = clock.today()
    for n in range(5):
        placement = place(unregistered)
        if n == 0:
            placement.finish_date = today - timedelta(days=1)
            placement.destination = Destination.RETURNED
    later = factories.pupil(factories.school("LIP", 0))
    factories.placement(later, unregistered, hours_per_week=FULL_TIME, start=today + timedelta(7))
    db.session.flush()
    assert flag(unregistered) is None


def test_compulsory_school_age_ends_on_the_last_friday_of_june_of_year_11():
    # 2026/27: year 11 by age is the cohort in year 7 in 2022; the last Friday of June 2027
    # is the 25th.
    assert youngest_past_compulsory_age(date(2027, 6, 25)) == 2021  # year 11 still counts
    assert youngest_past_compulsory_age(date(2027, 6, 26)) == 2022  # now past it
    assert youngest_past_compulsory_age(date(2026, 12, 2)) == 2021


def test_a_pupil_past_compulsory_school_age_does_not_count(unregistered, monkeypatch):
    for _ in range(5):
        place(unregistered, year_group=11)
    assert flag(unregistered).full_time == 5
    last_friday = date(clock.today().year + (1 if clock.today().month >= 9 else 0), 6, 30)
    while last_friday.weekday() != 4:
        last_friday -= timedelta(days=1)
    monkeypatch.setattr("qa_portal.clock.today", lambda: last_friday + timedelta(days=1))
    assert flag(unregistered) is None


def test_the_setting_refuses_a_rule_it_does_not_know(monkeypatch, tmp_path):
    from qa_portal import config

    monkeypatch.setenv("REGISTRATION_RULE", "sen-support")
    with pytest.raises(ValueError, match="REGISTRATION_RULE must be one of ehcp, sen"):
        config.from_environment(str(tmp_path))


# --- where it shows ---------------------------------------------------------------------------


@pytest.fixture
def flagged(unregistered):
    for n in range(5):
        place(unregistered, ("HBEP", "HBEP", "HBEP", "HBEP", "LIP")[n])
    db.session.commit()
    return unregistered


def test_the_provider_page_warns_those_who_answer_for_providers(login, flagged):
    lip_staff = factories.user("staff", partnership=factories.partnership("LIP"))
    for user in (factories.user("admin"), factories.user("officer"), lip_staff):
        page = login(user).get(f"/providers/{flagged.id}").get_data(as_text=True)
        assert "data-registration-flag" in page, user.role
        assert "may have to register as an independent school" in page
    for user in (factories.user("head"), factories.user("provider", provider=flagged)):
        page = login(user).get(f"/providers/{flagged.id}").get_data(as_text=True)
        assert "data-registration-flag" not in page, user.role


def test_staff_and_officers_see_it_on_their_home_page_and_the_list(login, flagged):
    lip_staff = factories.user("staff", partnership=factories.partnership("LIP"))
    for user in (factories.user("officer"), lip_staff):
        client = login(user)
        home = text(client.get("/"))
        assert "1 provider not registered with Ofsted that may need to be" in home
        listed = client.get("/providers/registration-check").get_data(as_text=True)
        assert "Hillside Farm Skills" in listed
        assert "5 pupils full-time" in listed


def test_staff_of_a_partnership_with_no_part_in_it_are_not_told(login, flagged):
    other = factories.user("staff", partnership=factories.partnership("MSCIP"))
    assert "not registered with Ofsted that may" not in login(other).get("/").get_data(as_text=True)
    assert "Hillside Farm Skills" not in login(other).get("/providers/registration-check").get_data(
        as_text=True
    )


@pytest.mark.parametrize("role", ["head", "provider"])
def test_the_list_is_for_those_who_answer_for_providers(login, role):
    assert login(factories.user(role)).get("/providers/registration-check").status_code == 403


def test_the_list_asks_the_same_questions_with_one_flagged_provider_and_ten(login):
    officer = login(factories.user("officer"))

    def grow(providers: int) -> None:
        for _ in range(providers):
            provider = factories.provider()
            for n in range(5):
                place(provider, ("HBEP", "LIP")[n % 2])
        db.session.commit()

    def queries() -> int:
        officer.get("/providers/registration-check")
        with count_queries() as statements:
            assert officer.get("/providers/registration-check").status_code == 200
        return len(statements)

    grow(1)
    small = queries()
    grow(9)
    assert queries() == small
