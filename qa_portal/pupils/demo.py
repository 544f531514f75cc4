"""The demo's cohort of pupils: invented names, shaped like the partnerships' own caseloads.

The numbers follow the county's programme-managed students in the partnerships' annual
report (seeds/001, tables 4 to 7): key stage 3 and key stage 4 per partnership, year 10 of
key stage 4, year groups within key stage 3 as in the active cases, and the pupils with an
EHCP (or a formal assessment) per partnership. Loaded only by `flask seed-demo`.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from qa_portal.accounts.models import Role, User
from qa_portal.db import db
from qa_portal.partnerships.models import Partnership, School
from qa_portal.pupils import services
from qa_portal.pupils.models import Ethnicity, Gender, academic_year

# Per partnership: (key stage 3 pupils, key stage 4 pupils, of whom in year 10,
#  active cases in years 7, 8 and 9 to share key stage 3 out, EHCP, SEN support, looked after)
COHORT = {
    "HBEP": (9, 19, 7, (9, 9, 34), 2, 6, 3),
    "LIP": (8, 30, 13, (9, 16, 42), 5, 9, 3),
    "MSCIP": (7, 18, 7, (2, 19, 29), 1, 4, 5),
    "NWLLIP": (5, 15, 6, (1, 9, 10), 4, 0, 2),
    "SLIP": (7, 29, 14, (6, 14, 28), 2, 6, 3),
}
FIRST = (
    "Aiden", "Amara", "Bailey", "Callum", "Chloe", "Connor", "Darcy", "Ellis", "Freya",
    "Harley", "Isla", "Jayden", "Kai", "Keira", "Leon", "Lola", "Mason", "Mia", "Niamh",
    "Oakley", "Reece", "Riley", "Sienna", "Tyler", "Zain", "Zara", "Kacper", "Ayaan",
    "Jamal", "Precious",
)  # fmt: skip
LAST = (
    "Ashdown", "Brackley", "Carrow", "Denholme", "Elsworth", "Fennimore", "Garside",
    "Hollins", "Ivers", "Jeffcote", "Kettering", "Lindqvist", "Marlowe", "Northcote",
    "Okonedo", "Pennock", "Quarrie", "Redfern", "Stainton", "Thackery", "Underwood",
    "Varley", "Whitlock", "Yardley",
)  # fmt: skip
# Most pupils White British, as in the county's census; the rest a mix.
ETHNICITIES = [Ethnicity.WBRI] * 14 + [
    Ethnicity.WOTH,
    Ethnicity.MWBC,
    Ethnicity.AIND,
    Ethnicity.WROM,
    Ethnicity.BAFR,
    Ethnicity.MOTH,
    Ethnicity.APKN,
    Ethnicity.NOBT,
]
GENDERS = (Gender.MALE, Gender.MALE, Gender.FEMALE, Gender.MALE, Gender.FEMALE, Gender.MALE)


def share(total: int, weights: tuple[int, ...]) -> list[int]:
    """`total` shared in proportion to `weights`, largest remainders first."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    parts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (parts[i] - exact[i], i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def year_groups(code: str) -> list[int]:
    """The year group of each of a partnership's demo pupils."""
    ks3, ks4, year10, ks3_weights, *_ = COHORT[code]
    groups = []
    for year, count in zip((7, 8, 9), share(ks3, ks3_weights), strict=True):
        groups += [year] * count
    return groups + [10] * year10 + [11] * (ks4 - year10)


def seed_pupils(today: date) -> int:
    """Add the cohort; returns how many pupils were added."""
    year = academic_year(today)
    serial = 0
    for code, (*_, ehcp, sen_support, looked_after) in COHORT.items():
        partnership = db.session.scalars(select(Partnership).where(Partnership.code == code)).one()
        staff = db.session.scalars(
            select(User).where(User.role == Role.STAFF, User.partnership_id == partnership.id)
        ).first()
        schools = db.session.scalars(
            select(School).where(School.partnership_id == partnership.id).order_by(School.name)
        ).all()
        for index, year_group in enumerate(year_groups(code)):
            serial += 1
            born = date(year - year_group - 5, 9, 1) + timedelta(days=(serial * 37) % 365)
            fields = {
                "first_names": FIRST[(serial * 7) % len(FIRST)],
                "last_name": LAST[(serial * 11) % len(LAST)],
                "upn": _upn(serial),
                "date_of_birth": born,
                # A few are taught a year below their age, as partnerships see after a
                # long absence.
                "year_group": year_group - 1 if serial % 41 == 0 and year_group > 7 else None,
                "gender": GENDERS[serial % len(GENDERS)].value,
                "ethnicity": ETHNICITIES[(serial * 5) % len(ETHNICITIES)].value,
                "school_id": schools[index % len(schools)].id,
                "key_worker_id": None if serial % 10 == 0 else staff.id,
                "ehcp": index < ehcp,
                "sen_support": ehcp <= index < ehcp + sen_support,
                "looked_after": index % 5 == 2 and index // 5 < looked_after,
                "pupil_premium": serial % 5 < 3,
            }
            services.create_pupil(staff, fields, today)
    return serial


def _upn(serial: int) -> str:
    """A valid UPN of Leicestershire (855): the school's number, the year of issue, a serial;
    every 25th a temporary one, ending in a letter."""
    tail = f"{serial // 25 % 100:02d}T" if serial % 25 == 0 else f"{serial % 1000:03d}"
    return services.with_check_letter(f"855{4000 + serial // 1000:04d}19{tail}")
