"""The rules of a pupil's record, without HTTP: the UPN, the date of birth and the year group."""

from __future__ import annotations

from datetime import date

import pytest

from qa_portal.pupils import services
from qa_portal.pupils.models import Pupil, academic_year, cohort_by_age, year_group_in
from qa_portal.pupils.services import PupilError, check_date_of_birth, check_upn, cohort_for

AUTUMN = date(2026, 10, 5)  # in academic year 2026 to 2027
SUMMER = date(2027, 6, 30)  # the same academic year


# --- UPN --------------------------------------------------------------------------------------


def test_a_permanent_upn_is_accepted():
    assert check_upn("B801200005001") == "B801200005001"


def test_a_temporary_upn_ends_in_a_letter_and_is_accepted():
    temporary = services.with_check_letter("85540012600A")
    assert temporary[-1] == "A" and temporary[0].isalpha()
    assert check_upn(temporary) == temporary


def test_a_wrong_check_letter_is_refused_next_to_the_upn():
    with pytest.raises(PupilError, match="check letter does not match") as refused:
        check_upn("A801200005001")
    assert refused.value.field == "upn"


@pytest.mark.parametrize("upn", ["B80120000500", "B8012000050011", "B8"])
def test_a_upn_of_the_wrong_length_is_refused(upn):
    with pytest.raises(PupilError, match="13 characters"):
        check_upn(upn)


def test_letters_in_the_middle_of_a_upn_are_refused():
    with pytest.raises(PupilError, match="a letter, 11 digits"):
        check_upn("X80120000A001")


def test_an_authority_number_that_is_none_is_refused():
    with pytest.raises(PupilError, match="local authority"):
        check_upn(services.with_check_letter("000200005001"))


def test_lower_case_and_spaces_are_normalised():
    assert check_upn(" b801 2000 05001 ") == "B801200005001"


def test_the_check_letter_is_the_weighted_sum_modulo_23_without_i_o_and_s():
    letters = "ABCDEFGHJKLMNPQRTUVWXYZ"
    body = "801200005001"
    values = {c: i for i, c in enumerate(letters + "0123456789")}
    total = sum(weight * values[c] for weight, c in zip(range(2, 14), body, strict=True))
    assert services.with_check_letter(body)[0] == letters[total % 23] == "B"


def test_no_upn_is_refused():
    with pytest.raises(PupilError, match="Enter the pupil's UPN"):
        check_upn("   ")


# --- date of birth and year group -------------------------------------------------------------


def test_the_academic_year_starts_on_1_september():
    assert academic_year(date(2026, 8, 31)) == 2025
    assert academic_year(date(2026, 9, 1)) == 2026


def test_year_7_is_the_year_a_child_is_11_on_31_august():
    # Born 31 August 2015: 11 on 31 August 2026, so year 7 from September 2026.
    assert year_group_in(cohort_by_age(date(2015, 8, 31)), 2026) == 7
    # Born a day later: the oldest of the year below.
    assert year_group_in(cohort_by_age(date(2015, 9, 1)), 2026) == 6
    # Born 1 September 2014: the oldest of year 7.
    assert year_group_in(cohort_by_age(date(2014, 9, 1)), 2026) == 7


def test_the_year_group_moves_up_each_september():
    pupil = Pupil(date_of_birth=date(2014, 3, 1))
    assert pupil.year_group(2026) == 8
    assert pupil.year_group(2027) == 9


def test_an_override_moves_up_each_september_too():
    pupil = Pupil(date_of_birth=date(2014, 3, 1))
    pupil.cohort_override = cohort_for(pupil.date_of_birth, 7, AUTUMN)
    assert pupil.year_group(2026) == 7 and pupil.year_group_by_age(2026) == 8
    assert pupil.year_group(2027) == 8


def test_choosing_the_year_group_by_age_stores_no_override():
    assert cohort_for(date(2014, 3, 1), 8, AUTUMN) is None
    assert cohort_for(date(2014, 3, 1), None, AUTUMN) is None


@pytest.mark.parametrize(
    ("born", "accepted"),
    [
        (date(2009, 8, 31), False),  # 17 on 31 August 2026
        (date(2009, 9, 1), True),  # 16: year 12 by age, the oldest accepted
        (date(2016, 8, 31), True),  # 10: year 6 by age, the youngest accepted
        (date(2016, 9, 1), False),  # 9
    ],
)
def test_a_date_of_birth_must_be_of_secondary_age(born, accepted):
    for today in (AUTUMN, SUMMER):  # the same academic year, whatever the month
        if accepted:
            assert check_date_of_birth(born, today) == born
        else:
            with pytest.raises(PupilError, match="between 1 September 2009 and 31 August 2016"):
                check_date_of_birth(born, today)


def test_a_pupil_of_year_6_or_12_by_age_needs_the_year_group_they_are_taught_in():
    with pytest.raises(PupilError, match="in year 6: choose the year group") as refused:
        cohort_for(date(2016, 3, 1), None, AUTUMN)
    assert refused.value.field == "year_group"
    assert cohort_for(date(2016, 3, 1), 7, AUTUMN) == 2026
    with pytest.raises(PupilError, match="in year 12"):
        cohort_for(date(2010, 3, 1), None, AUTUMN)
    assert cohort_for(date(2010, 3, 1), 11, AUTUMN) == 2022
