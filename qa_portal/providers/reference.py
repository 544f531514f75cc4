"""The register's reference data: vocational areas and the default kinds of compliance evidence."""

from __future__ import annotations

from sqlalchemy import select

from qa_portal.db import db
from qa_portal.providers.models import ComplianceKind, Requirement, VocationalArea

VOCATIONAL_AREAS = (
    "Animal care",
    "Boxing and sport",
    "Catering",
    "Construction",
    "Hair and beauty",
    "Horticulture",
    "Mentoring",
    "Motor vehicle",
    "Outdoor education",
    "Small-group tuition",
)

_ALL, _TRANSPORT = Requirement.EVERY_PROVIDER, Requirement.IF_TRANSPORTING
_OFSTED, _OPTIONAL = Requirement.IF_OFSTED_REGISTERED, Requirement.OPTIONAL

# (code, name, requirement, expires, needs cover, minimum cover in pounds, guidance)
DEFAULT_KINDS = (
    (
        "employers_liability",
        "Employer's liability insurance",
        _ALL,
        True,
        True,
        5_000_000,
        "The certificate: insurer, policy number, period of cover and the amount. Employers must "
        "hold at least £5 million cover by law.",
    ),
    (
        "public_liability",
        "Public liability insurance",
        _ALL,
        True,
        True,
        None,
        "The certificate or schedule showing the period and amount of cover (usually £5 million "
        "to £10 million) and that it covers work with young people.",
    ),
    (
        "professional_indemnity",
        "Professional indemnity insurance",
        _OPTIONAL,
        True,
        True,
        None,
        "Where the provider gives advice, assessment or tuition: the certificate with the cover.",
    ),
    (
        "motor_insurance",
        "Motor insurance for transporting pupils",
        _TRANSPORT,
        True,
        False,
        None,
        "Business-use cover for every vehicle used to carry pupils, with the drivers' checks.",
    ),
    (
        "safeguarding_policy",
        "Safeguarding and child protection policy",
        _ALL,
        True,
        False,
        None,
        "Reviewed at least yearly, naming the designated safeguarding lead and following Keeping "
        "Children Safe in Education and local LSCPB procedures.",
    ),
    (
        "health_safety_policy",
        "Health and safety policy",
        _ALL,
        True,
        False,
        None,
        "Signed and dated, with the date of its next review.",
    ),
    (
        "behaviour_policy",
        "Behaviour policy (including physical intervention)",
        _ALL,
        True,
        False,
        None,
        "How behaviour is managed, including when and how staff may use reasonable force, "
        "and how incidents are recorded and reported to the school.",
    ),
    (
        "staff_checks",
        "Written confirmation of staff safeguarding checks",
        _ALL,
        True,
        False,
        None,
        "Signed confirmation that every adult working with pupils has an enhanced DBS check with "
        "barred list, identity, right-to-work and prohibition checks, all on the single central "
        "record. Renewed yearly.",
    ),
    (
        "risk_assessments",
        "Site and activity risk assessments",
        _ALL,
        True,
        False,
        None,
        "Current risk assessments for the site and each activity pupils take part in.",
    ),
    (
        "first_aid_fire",
        "First-aid and fire arrangements",
        _ALL,
        True,
        False,
        None,
        "Named first-aiders with certificate dates, and the fire risk assessment and drill record.",
    ),
    (
        "ofsted_registration",
        "Ofsted registration evidence",
        _OFSTED,
        False,
        False,
        None,
        "The registration certificate or the Ofsted page showing the URN and registration type.",
    ),
)


def load_register_reference() -> tuple[int, int]:
    """Add any missing vocational areas and default kinds; returns how many of each."""
    areas = set(db.session.scalars(select(VocationalArea.name)))
    new_areas = [VocationalArea(name=name) for name in VOCATIONAL_AREAS if name not in areas]
    codes = set(db.session.scalars(select(ComplianceKind.code)))
    new_kinds = [
        ComplianceKind(
            code=code,
            name=name,
            requirement=requirement,
            expires=expires,
            needs_cover_amount=cover,
            min_cover_amount=minimum,
            guidance=guidance,
            position=(index + 1) * 10,
        )
        for index, (code, name, requirement, expires, cover, minimum, guidance) in enumerate(
            DEFAULT_KINDS
        )
        if code not in codes
    ]
    db.session.add_all([*new_areas, *new_kinds])
    db.session.flush()
    return len(new_areas), len(new_kinds)
