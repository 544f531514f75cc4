"""Every rule of policy's table, asked by every role: what each may do to each kind of record,
the buttons pages show and the sections of the menu. A rule added without a row here fails
`test_every_rule_has_its_row`."""

from __future__ import annotations

import re

import pytest

from qa_portal import policy
from qa_portal.accounts.models import Role
from qa_portal.db import db
from qa_portal.frameworks import services as frameworks
from qa_portal.providers.models import ProviderStatus
from qa_portal.visits.models import VisitStatus
from tests import factories

ROLES = tuple(r.value for r in Role)
MENU_LINK = re.compile(
    r'<a class="govuk-service-navigation__link"[^>]*>\s*'
    r"(?:<strong[^>]*>)?([^<]+?)\s*(?:</strong>)?\s*</a>"
)

# (record, action, roles allowed). Records by name, built by `records`; None for actions not
# about one record. The people asking: an admin, an officer, HBEP staff who do not lead the
# visits, the head of an HBEP school (invited to the open visit) and the provider user of
# "provider" (the provider visited).
ROWS = [
    (None, "add_provider", ("admin", "staff")),
    (None, "add_school", ("admin",)),
    (None, "schedule_visit", ("admin", "staff")),
    (None, "watch_providers", ("admin", "officer", "staff")),
    (None, "narrow_to_own_partnership", ("staff",)),
    ("partnership", "edit", ("admin",)),
    ("school", "edit", ("admin",)),
    ("user", "edit", ("admin",)),
    ("user", "reset_two_step", ("admin",)),
    ("open_visit", "invite", ("admin", "staff")),
    ("open_visit", "answer", ("admin", "staff")),
    ("open_visit", "observe", ("head",)),
    ("open_visit", "sign_off", ("admin",)),
    ("signed_off_visit", "sign_off", ()),
    ("open_visit", "publish", ()),
    ("signed_off_visit", "publish", ("admin",)),
    ("published_visit", "publish", ()),
    ("published_visit", "respond", ("provider",)),
    ("signed_off_visit", "respond", ()),
    ("open_visit", "amend", ()),
    ("signed_off_visit", "amend", ("admin", "staff")),
    ("draft", "edit", ("admin",)),
    ("framework", "edit", ()),
    ("draft", "publish", ("admin",)),
    ("framework", "publish", ()),
    ("framework", "draft_from", ("admin",)),
    ("draft", "draft_from", ()),
    ("provider", "edit", ("admin", "staff")),
    ("provider", "change_status", ("admin", "staff")),
    ("provider", "set_usage", ("staff",)),
    ("provider", "verify", ("admin", "staff")),
    ("provider", "edit_contact", ("admin", "staff", "provider")),
    ("other_provider", "edit_contact", ("admin", "staff")),
    ("provider", "upload", ("admin", "staff", "provider")),
    ("other_provider", "upload", ("admin", "staff")),
    ("provider", "download", ("admin", "officer", "staff", "provider")),
    ("other_provider", "download", ("admin", "officer", "staff")),
    ("provider", "see_documents", ("admin", "officer", "staff", "provider")),
    ("other_provider", "see_documents", ("admin", "officer", "staff")),
    ("provider", "schedule_visit", ("admin", "staff")),
    ("provider", "see_registration_flag", ("admin", "officer", "staff")),
    ("closed_provider", "schedule_visit", ()),
    (None, "add_contract", ("admin", "staff")),
    (None, "filter_contracts_by_partnership", ("admin", "officer")),
    (None, "choose_contract_partnership", ("admin",)),
    ("contract", "edit", ("admin", "staff")),
    ("lip_contract", "edit", ("admin",)),
    # Shown to everyone who sees the contract (policy.contracts_for decides who does).
    ("contract", "see_value", ("admin", "officer", "staff", "head", "provider")),
    ("contract", "download", ("admin", "officer", "staff", "head", "provider")),
    (None, "add_pupil", ("admin", "staff")),
    (None, "list_pupils", ("admin", "staff", "head")),
    # The pupil is on the roll of the head's HBEP school; the other, of a LIP school.
    ("pupil", "view", ("admin", "staff", "head")),
    ("other_pupil", "view", ("admin",)),
    ("pupil", "edit", ("admin", "staff")),
    ("other_pupil", "edit", ("admin",)),
    ("provider", "raise_concern", ("staff", "head")),
    ("closed_provider", "raise_concern", ("staff", "head")),
    # Raised by the HBEP head: HBEP's staff and admins resolve it and plan a visit about it.
    ("concern", "resolve", ("admin", "staff")),
    ("concern", "plan_visit", ("admin", "staff")),
    ("lip_concern", "resolve", ("admin",)),
    ("lip_concern", "plan_visit", ("admin",)),
    ("resolved_concern", "resolve", ()),
    ("resolved_concern", "plan_visit", ()),
    ("planned_concern", "plan_visit", ()),
    ("concern_after_cancelled_visit", "plan_visit", ("admin", "staff")),
    ("closed_provider_concern", "plan_visit", ()),
    # Placements: the one of "pupil" is with "provider"; the other, of a LIP pupil elsewhere.
    ("pupil", "add_placement", ("admin", "staff")),
    ("other_pupil", "add_placement", ("admin",)),
    ("placement", "edit", ("admin", "staff")),
    ("other_placement", "edit", ("admin",)),
    ("ended_placement", "edit", ()),
    ("placement", "end", ("admin", "staff")),
    ("other_placement", "end", ("admin",)),
    ("ended_placement", "end", ()),
    ("placement", "review", ("admin", "staff")),
    ("other_placement", "review", ("admin",)),
    ("ended_placement", "review", ()),
    # A provider reads the placement, never the pupil's own record.
    ("placement", "see_pupil_record", ("admin", "staff", "head")),
    ("other_placement", "see_pupil_record", ("admin",)),
    (None, "filter_placements_by_partnership", ("admin",)),
    (None, "filter_placements_by_provider", ("admin", "staff", "head")),
    ("provider", "count_placements", ("admin", "officer", "staff", "provider")),
    ("other_provider", "count_placements", ("admin", "officer", "staff")),
    # Termly returns: "placement"'s pupil is HBEP's, with "provider"; the other is LIP's.
    (None, "send_returns", ("provider",)),
    (None, "list_returns", ("admin", "staff", "head", "provider")),
    (None, "filter_returns_by_partnership", ("admin",)),
    (None, "filter_returns_by_provider", ("admin", "staff", "head")),
    ("placement", "send_return", ("provider",)),
    ("other_placement", "send_return", ()),
    ("submitted_return", "edit", ("provider",)),
    ("accepted_return", "edit", ()),
    ("other_return", "edit", ()),
    ("submitted_return", "review", ("admin", "staff")),
    ("draft_return", "review", ()),
    ("accepted_return", "review", ()),
    ("other_return", "review", ("admin",)),
]

SECTIONS = {
    "admin": {
        "home", "partnerships", "register", "expiring", "visits", "pupils", "placements",
        "returns", "contracts", "concerns", "frameworks", "users", "documents", "audit", "outbox",
        "account",
    },
    "officer": {"home", "partnerships", "register", "expiring", "visits", "pupils", "contracts",
                "concerns", "frameworks", "account"},
    "staff": {"home", "own_partnership", "register", "expiring", "visits", "pupils", "placements",
              "returns", "contracts", "concerns", "frameworks", "account"},
    "head": {"home", "own_partnership", "register", "visits", "pupils", "placements", "returns",
             "contracts", "concerns", "frameworks", "account"},
    "provider": {"home", "own_provider", "visits", "placements", "returns", "contracts",
                 "frameworks", "account"},
}  # fmt: skip

MENU = {
    "admin": [
        "Home", "Partnerships", "Providers", "Expiring", "Visits", "Pupils", "Placements",
        "Returns", "Contracts", "Concerns", "QA framework", "Users", "Documents", "Audit log",
        "Outbox", "Your account",
    ],
    "officer": ["Home", "Partnerships", "Providers", "Expiring", "Visits", "Pupils", "Contracts",
                "Concerns", "QA framework", "Your account"],
    "staff": ["Home", "My partnership", "Providers", "Expiring", "Visits", "Pupils", "Placements",
              "Returns", "Contracts", "Concerns", "QA framework", "Your account"],
    "head": ["Home", "My partnership", "Providers", "Visits", "Pupils", "Placements", "Returns",
             "Contracts", "Concerns", "QA framework", "Your account"],
    "provider": ["Home", "Your organisation", "Visits", "Placements", "Returns", "Contracts",
                 "QA framework", "Your account"],
}  # fmt: skip


@pytest.fixture
def records():
    own, other = factories.provider(), factories.provider()
    closed = factories.provider()
    closed.status = ProviderStatus.CLOSED
    lead = factories.user("staff")
    people = {
        "admin": factories.user("admin"),
        "officer": factories.user("officer"),
        "staff": factories.user("staff"),
        "head": factories.user("head"),
        "provider": factories.user("provider", provider=own),
    }
    framework = frameworks.current_framework()
    visits = {
        f"{status.value}_visit": factories.visit(
            lead, at=own, invited=(people["head"],), status=status
        )
        for status in (VisitStatus.SIGNED_OFF, VisitStatus.PUBLISHED)
    }
    db.session.flush()
    lip_staff = factories.user("staff", partnership=factories.partnership("LIP"))
    concerns = {
        "concern": factories.concern(people["head"], at=own),
        "lip_concern": factories.concern(lip_staff, at=own),
        "resolved_concern": factories.resolve(
            factories.concern(people["head"], at=own), people["staff"]
        ),
        "planned_concern": factories.concern(
            people["staff"], at=own, visit=factories.visit(lead, at=own)
        ),
        "concern_after_cancelled_visit": factories.concern(
            people["staff"],
            at=own,
            visit=factories.visit(lead, at=own, status=VisitStatus.CANCELLED),
        ),
        "closed_provider_concern": factories.concern(people["staff"], at=closed),
    }
    return people, {
        **concerns,
        None: None,
        "partnership": factories.partnership("HBEP"),
        "school": factories.school("HBEP"),
        "user": lead,
        "open_visit": factories.visit(lead, at=own, invited=(people["head"],)),
        **visits,
        "framework": framework,
        "draft": frameworks.new_draft(people["admin"], framework),
        "provider": own,
        "other_provider": other,
        "closed_provider": closed,
        "contract": factories.contract(own, "HBEP", factories.school("HBEP")),
        "lip_contract": factories.contract(own, "LIP"),
        "lead": lead,
        "pupil": factories.pupil(factories.school("HBEP")),
        "other_pupil": factories.pupil(factories.school("LIP")),
        **(placements := _placements(own, other)),
        **_returns(placements),
    }


def _placements(own, other) -> dict:
    from datetime import date

    from qa_portal.placements.models import Destination

    pupil = factories.pupil(factories.school("HBEP"))
    return {
        "placement": factories.placement(pupil, own),
        "other_placement": factories.placement(factories.pupil(factories.school("LIP")), other),
        "ended_placement": factories.placement(
            pupil, other, finish_date=date.today(), destination=Destination.RETURNED
        ),
    }


def _returns(placements: dict) -> dict:
    from qa_portal.returns.models import ReturnStatus, TermlyReturn
    from qa_portal.terms import Season

    def made(placement, status, year=2026):
        ret = TermlyReturn(
            placement=placement,
            term_year=year,
            term_season=Season.AUTUMN,
            status=status,
            submitted_at=None if status is ReturnStatus.DRAFT else db.func.now(),
        )
        db.session.add(ret)
        return ret

    return {
        "submitted_return": made(placements["placement"], ReturnStatus.SUBMITTED),
        "accepted_return": made(placements["placement"], ReturnStatus.ACCEPTED, 2025),
        "draft_return": made(placements["placement"], ReturnStatus.DRAFT, 2024),
        "other_return": made(placements["other_placement"], ReturnStatus.SUBMITTED),
    }


def _kind(record_name, records) -> str | None:
    record = records[record_name]
    return None if record is None else type(record).__name__


@pytest.mark.parametrize(("record", "action", "allowed"), ROWS, ids=lambda v: str(v))
def test_each_role_may_do_what_the_rule_says(records, record, action, allowed):
    people, things = records
    answers = {role: policy.can(people[role], action, things[record]) for role in ROLES}
    assert answers == {role: role in allowed for role in ROLES}


def test_every_rule_has_its_row(records):
    _, things = records
    covered = {(_kind(record, things), action) for record, action, _ in ROWS}
    covered.add(("str", "see_section"))
    assert covered == set(policy._RULES)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_its_sections_of_the_service(records, role):
    people, _ = records
    seen = {name for name in policy.SECTIONS if policy.can(people[role], "see_section", name)}
    assert seen == SECTIONS[role]
    assert not policy.can(people[role], "see_section", "no-such-section")


def test_the_lead_signs_off_and_publishes_their_visit(records):
    people, things = records
    lead = things["lead"]
    assert policy.can(lead, "sign_off", things["open_visit"])
    assert policy.can(lead, "publish", things["signed_off_visit"])
    assert not policy.can(people["staff"], "publish", things["signed_off_visit"])


def test_nobody_signed_out_may_do_anything(records):
    from flask_login import AnonymousUserMixin

    _, things = records
    assert not policy.can(AnonymousUserMixin(), "see_section", "home")
    assert not policy.can(AnonymousUserMixin(), "add_provider")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_its_menu(login, records, role):
    people, _ = records
    db.session.commit()
    page = login(people[role]).get("/account").data.decode()
    menu = page[page.index('<nav aria-label="Menu"') : page.index("</nav>")]
    assert MENU_LINK.findall(menu) == MENU[role]
    assert "Sign out" in menu
