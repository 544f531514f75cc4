"""Every route, walked by every role: nobody reaches another scope's records.

Each route of the app must be classified here; a new route without an entry fails
`test_every_route_is_classified`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest

from qa_portal import outbox, terms
from qa_portal.accounts.models import Role
from qa_portal.contracts import services as contracts
from qa_portal.db import db
from qa_portal.frameworks import services as frameworks
from qa_portal.providers.services import Upload
from qa_portal.returns import services as returns
from qa_portal.visits.models import Visit, VisitStatus, VisitType
from tests import factories

ANON = "anonymous"
ROLES = (*[r.value for r in Role], ANON)
VIEWERS = ("admin", "officer", "staff", "head")


@dataclass(frozen=True)
class Case:
    endpoint: str
    url: Callable[[dict], str]
    allowed: tuple[str, ...] = ()  # roles that get `ok`
    ok: int = 200
    denied: int = 403  # signed-in roles not allowed
    out_of_scope: tuple[str, ...] = ()  # roles that get 404: allowed the page, not the record
    anonymous: int = 302  # sent to sign in
    method: str = "GET"
    note: str = field(default="")
    special: tuple[tuple[str, int], ...] = ()  # (role, status) exceptions to the above

    def expected(self, role: str) -> int:
        if role in dict(self.special):
            return dict(self.special)[role]
        if role == ANON:
            return self.anonymous
        if role in self.out_of_scope:
            return 404
        return self.ok if role in self.allowed else self.denied


EVERYONE = ("admin", "officer", "staff", "head", "provider")
STAFF_SCHOOL = "HBEP"  # the staff user's partnership and the head's school's partnership


def _school(records, code, index=0):
    return records["schools"][(code, index)]


CASES = [
    Case("main.home", lambda r: "/", EVERYONE),
    Case(
        "main.follow_up_actions",
        lambda r: "/visits/actions",
        ("admin", "officer", "staff"),
        note="open actions in the user's scope; heads and providers see theirs on the visit",
    ),
    Case("main.health", lambda r: "/healthz", EVERYONE, anonymous=200),
    Case("main.accessibility", lambda r: "/accessibility", EVERYONE, anonymous=200),
    Case("main.privacy", lambda r: "/privacy", EVERYONE, anonymous=200),
    Case(
        "accounts.sign_in",
        lambda r: "/sign-in",
        EVERYONE,
        ok=302,
        anonymous=200,
        note="signed-in users are sent home",
    ),
    Case("accounts.sign_out", lambda r: "/sign-out", EVERYONE, note="confirmation page"),
    Case("accounts.sign_out", lambda r: "/sign-out", EVERYONE, ok=302, method="POST"),
    Case("accounts.account", lambda r: "/account", EVERYONE),
    Case(
        "accounts.sign_in_code",
        lambda r: "/sign-in/code",
        EVERYONE,
        ok=302,
        note="signed-in users are sent home; without a password first, to sign in",
    ),
    Case("accounts.two_step_setup", lambda r: "/account/two-step", EVERYONE),
    Case(
        "accounts.recovery_codes",
        lambda r: "/account/two-step/recovery-codes",
        EVERYONE,
        ok=302,
        note="two-step verification is off: back to the account page",
    ),
    Case(
        "accounts.two_step_off",
        lambda r: "/account/two-step/turn-off",
        EVERYONE,
        ok=302,
        note="two-step verification is off: back to the account page",
    ),
    Case("accounts.change_password", lambda r: "/account/password", EVERYONE),
    Case(
        "accounts.sign_out_others",
        lambda r: "/account/sign-out-other-devices",
        EVERYONE,
        ok=302,
        method="POST",
    ),
    Case(
        "accounts.set_password",
        lambda r: "/account/set-password/not-a-token",
        EVERYONE,
        ok=410,
        anonymous=410,
    ),
    Case("accounts.forgot_password", lambda r: "/account/forgot-password", EVERYONE, anonymous=200),
    Case("partnerships.index", lambda r: "/partnerships", VIEWERS),
    Case("partnerships.detail", lambda r: "/partnerships/HBEP", VIEWERS),
    Case(
        "partnerships.detail",
        lambda r: "/partnerships/LIP",
        VIEWERS,
        out_of_scope=("staff", "head"),
    ),
    Case("partnerships.detail", lambda r: "/partnerships/NOPE", VIEWERS, out_of_scope=VIEWERS),
    Case("partnerships.edit", lambda r: "/partnerships/HBEP/edit", ("admin",)),
    Case("partnerships.school", lambda r: f"/schools/{_school(r, 'HBEP').id}", VIEWERS),
    Case(
        "partnerships.school",
        lambda r: f"/schools/{_school(r, 'HBEP', 1).id}",
        VIEWERS,
        out_of_scope=("head",),
        note="same partnership, another school",
    ),
    Case(
        "partnerships.school",
        lambda r: f"/schools/{_school(r, 'LIP').id}",
        VIEWERS,
        out_of_scope=("staff", "head"),
    ),
    Case("partnerships.new_school", lambda r: "/schools/new", ("admin",)),
    Case("partnerships.edit_school", lambda r: f"/schools/{_school(r, 'LIP').id}/edit", ("admin",)),
    Case("admin.users", lambda r: "/admin/users", ("admin",)),
    Case("admin.new_user", lambda r: "/admin/users/new", ("admin",)),
    Case("admin.user", lambda r: f"/admin/users/{r['other'].id}", ("admin",)),
    Case(
        "admin.user",
        lambda r: "/admin/users/999999",
        ("admin",),
        out_of_scope=("admin",),
        note="missing user",
    ),
    Case("admin.edit_user", lambda r: f"/admin/users/{r['other'].id}/edit", ("admin",)),
    Case(
        "admin.user_action",
        lambda r: f"/admin/users/{r['other'].id}/invite",
        ("admin",),
        ok=302,
        method="POST",
    ),
    Case(
        "admin.reset_two_step",
        lambda r: f"/admin/users/{r['other'].id}/two-step",
        ("admin",),
        ok=302,
        note="two-step verification is off: back to the user page",
    ),
    Case(
        "admin.reset_two_step",
        lambda r: f"/admin/users/{r['other'].id}/two-step",
        ("admin",),
        ok=302,
        method="POST",
        note="two-step verification is off: back to the user page",
    ),
    Case("admin.audit_log", lambda r: "/admin/audit", ("admin",)),
    Case("admin.outbox_list", lambda r: "/admin/outbox", ("admin",)),
    Case("admin.outbox_message", lambda r: f"/admin/outbox/{r['message'].id}", ("admin",)),
    Case("providers.index", lambda r: "/providers", VIEWERS, special=(("provider", 302),)),
    Case("providers.new", lambda r: "/providers/new", ("admin", "staff")),
    Case("providers.detail", lambda r: f"/providers/{r['own'].id}", EVERYONE),
    Case(
        "providers.detail",
        lambda r: f"/providers/{r['other_provider'].id}",
        EVERYONE,
        out_of_scope=("provider",),
        note="another provider",
    ),
    Case(
        "providers.edit", lambda r: f"/providers/{r['own'].id}/edit", ("admin", "staff", "provider")
    ),
    Case(
        "providers.edit",
        lambda r: f"/providers/{r['other_provider'].id}/edit",
        ("admin", "staff", "provider"),
        out_of_scope=("provider",),
        note="another provider",
    ),
    Case(
        "providers.change_status",
        lambda r: f"/providers/{r['own'].id}/status",
        ("admin", "staff"),
        ok=400,
        method="POST",
        note="empty form",
    ),
    Case(
        "providers.usage",
        lambda r: f"/providers/{r['own'].id}/usage/add",
        ("staff",),
        ok=302,
        method="POST",
    ),
    Case(
        "providers.upload",
        lambda r: f"/providers/{r['own'].id}/compliance/new",
        ("admin", "staff", "provider"),
    ),
    Case(
        "providers.upload",
        lambda r: f"/providers/{r['other_provider'].id}/compliance/new",
        ("admin", "staff", "provider"),
        out_of_scope=("provider",),
        note="another provider",
    ),
    Case(
        "providers.item",
        lambda r: f"/providers/{r['own'].id}/compliance/{r['item'].id}",
        ("admin", "officer", "staff", "provider"),
    ),
    Case(
        "providers.item",
        lambda r: f"/providers/{r['other_provider'].id}/compliance/{r['other_item'].id}",
        ("admin", "officer", "staff", "provider"),
        out_of_scope=("provider",),
        note="another provider",
    ),
    Case(
        "providers.item",
        lambda r: f"/providers/{r['own'].id}/compliance/{r['other_item'].id}",
        ("admin", "officer", "staff", "provider"),
        out_of_scope=("admin", "officer", "staff", "provider"),
        note="item of another provider",
    ),
    Case(
        "providers.document",
        lambda r: f"/providers/{r['own'].id}/compliance/{r['item'].id}/document",
        ("admin", "officer", "staff", "provider"),
    ),
    Case(
        "providers.document",
        lambda r: f"/providers/{r['other_provider'].id}/compliance/{r['other_item'].id}/document",
        ("admin", "officer", "staff", "provider"),
        out_of_scope=("provider",),
        note="another provider",
    ),
    Case("providers.expiring", lambda r: "/compliance/expiring", ("admin", "officer", "staff")),
    Case(
        "registration.index",
        lambda r: "/providers/registration-check",
        ("admin", "officer", "staff"),
        note="counts across partnerships, no pupil named",
    ),
    Case("visits.index", lambda r: "/visits", EVERYONE),
    Case("visits.new", lambda r: "/visits/new", ("admin", "staff")),
    Case(
        "visits.new",
        lambda r: f"/visits/new?concern={r['concern'].id}",
        ("admin", "staff"),
        note="about HBEP's concern",
    ),
    Case(
        "visits.new",
        lambda r: f"/visits/new?concern={r['lip_concern'].id}",
        ("admin", "staff"),
        out_of_scope=("staff",),
        note="about another partnership's concern",
    ),
    Case(
        "visits.new",
        lambda r: f"/visits/new?concern={r['resolved_concern'].id}",
        ("admin", "staff"),
        ok=403,
        note="about a resolved concern",
    ),
    Case("concerns.index", lambda r: "/concerns", VIEWERS, note="providers never see concerns"),
    Case(
        "concerns.detail",
        lambda r: f"/concerns/{r['concern'].id}",
        VIEWERS,
        out_of_scope=("head",),
        note="HBEP's, raised by another",
    ),
    Case(
        "concerns.detail",
        lambda r: f"/concerns/{r['lip_concern'].id}",
        VIEWERS,
        out_of_scope=("staff", "head"),
        note="another partnership's",
    ),
    Case(
        "concerns.detail",
        lambda r: "/concerns/999999",
        VIEWERS,
        out_of_scope=VIEWERS,
        note="no such concern",
    ),
    Case(
        "concerns.resolve",
        lambda r: f"/concerns/{r['concern'].id}/resolve",
        ("admin", "staff"),
        ok=400,
        method="POST",
        note="empty form",
    ),
    Case(
        "concerns.resolve",
        lambda r: f"/concerns/{r['lip_concern'].id}/resolve",
        ("admin", "staff"),
        ok=400,
        method="POST",
        out_of_scope=("staff",),
        note="another partnership's, empty form",
    ),
    Case(
        "concerns.resolve",
        lambda r: f"/concerns/{r['resolved_concern'].id}/resolve",
        ("admin", "staff"),
        ok=403,
        method="POST",
        note="already resolved",
    ),
    Case(
        "concerns.new",
        lambda r: f"/providers/{r['own'].id}/concerns/new",
        ("staff", "head"),
        note="heads and staff raise concerns",
    ),
    Case(
        "concerns.new",
        lambda r: f"/providers/{r['own'].id}/concerns/new",
        ("staff", "head"),
        method="POST",
        note="empty form",
    ),
    Case(
        "concerns.new",
        lambda r: "/providers/999999/concerns/new",
        ("staff", "head"),
        out_of_scope=("staff", "head"),
        note="no such provider",
    ),
    Case(
        "visits.detail",
        lambda r: f"/visits/{r['visit'].id}",
        EVERYONE,
        out_of_scope=("head", "provider"),
        note="not yet published, HBEP's",
    ),
    Case(
        "visits.detail",
        lambda r: f"/visits/{r['lip_visit'].id}",
        EVERYONE,
        out_of_scope=("staff", "head", "provider"),
        note="another partnership's",
    ),
    Case(
        "visits.detail",
        lambda r: f"/visits/{r['visit'].id}",
        ("admin", "staff"),
        ok=200,
        method="POST",
        out_of_scope=("head", "provider"),
        special=(("officer", 403),),
        note="invite with an empty form",
    ),
    Case(
        "visits.people",
        lambda r: f"/visits/{r['visit'].id}/people?q=a",
        ("admin", "staff"),
        out_of_scope=("head", "provider"),
        note="the invitation search, as JSON",
    ),
    Case(
        "visits.people",
        lambda r: f"/visits/{r['lip_visit'].id}/people?q=a",
        ("admin", "staff"),
        out_of_scope=("staff", "head", "provider"),
        note="another partnership's visit",
    ),
    Case(
        "visits.checklist_area",
        lambda r: f"/visits/{r['visit'].id}/checklist/1",
        EVERYONE,
        out_of_scope=("head", "provider"),
    ),
    Case(
        "visits.checklist_area",
        lambda r: f"/visits/{r['visit'].id}/checklist/99",
        ("admin", "officer", "staff"),
        out_of_scope=EVERYONE,
        note="no such area",
    ),
    Case(
        "visits.checklist_area",
        lambda r: f"/visits/{r['lip_visit'].id}/checklist/1",
        EVERYONE,
        out_of_scope=("staff", "head", "provider"),
        note="another partnership's",
    ),
    Case(
        "visits.checklist_area",
        lambda r: f"/visits/{r['visit'].id}/checklist/1",
        ("admin", "staff"),
        ok=302,
        method="POST",
        out_of_scope=("head", "provider"),
        special=(("officer", 403),),
        note="nothing changed, on to area 2",
    ),
    Case(
        "visits.save_answer",
        lambda r: f"/visits/{r['visit'].id}/answers",
        ("admin", "staff"),
        ok=400,
        method="POST",
        out_of_scope=("head", "provider"),
        special=(("officer", 403),),
        note="empty body",
    ),
    Case(
        "visits.save_answer",
        lambda r: f"/visits/{r['lip_visit'].id}/answers",
        ("admin", "staff"),
        ok=400,
        method="POST",
        out_of_scope=("staff", "head", "provider"),
        special=(("officer", 403),),
        note="another partnership's",
    ),
    Case(
        "visits.add_photo",
        lambda r: f"/visits/{r['visit'].id}/photos",
        ("admin", "staff"),
        ok=400,
        method="POST",
        out_of_scope=("head", "provider"),
        special=(("officer", 403),),
        note="no photo sent",
    ),
    Case(
        "visits.photo",
        lambda r: f"/visits/{r['visit'].id}/photos/999999/thumbnail",
        EVERYONE,
        out_of_scope=EVERYONE,
        note="no such photo",
    ),
    Case(
        "visits.summary",
        lambda r: f"/visits/{r['visit'].id}/summary",
        EVERYONE,
        out_of_scope=("head", "provider"),
    ),
    Case(
        "visits.summary",
        lambda r: f"/visits/{r['visit'].id}/summary",
        ("admin",),
        ok=400,
        method="POST",
        out_of_scope=("head", "provider"),
        note="staff not the lead may not sign off; the admin has rated nothing",
    ),
    Case(
        "visits.add_action",
        lambda r: f"/visits/{r['visit'].id}/actions",
        ("admin", "staff"),
        ok=400,
        method="POST",
        out_of_scope=("head", "provider"),
        special=(("officer", 403),),
        note="empty form",
    ),
    Case(
        "visits.publish",
        lambda r: f"/visits/{r['visit'].id}/publish",
        method="POST",
        note="not signed off yet",
    ),
    Case(
        "visits.publish",
        lambda r: f"/visits/{r['signed_off'].id}/publish",
        ("admin",),
        ok=302,
        method="POST",
        note="signed off, staff not its lead",
    ),
    Case(
        "visits.report",
        lambda r: f"/visits/{r['visit'].id}/report.pdf",
        EVERYONE,
        out_of_scope=("head", "provider"),
    ),
    Case(
        "visits.respond",
        lambda r: f"/visits/{r['visit'].id}/actions/999999",
        ("provider",),
        out_of_scope=("provider",),
        method="POST",
        note="unpublished visit",
    ),
    Case(
        "visits.respond",
        lambda r: f"/visits/{r['published'].id}/actions/999999",
        ("provider",),
        out_of_scope=("provider",),
        method="POST",
        note="published visit of the provider, no such action",
    ),
    Case(
        "visits.add_pupil",
        lambda r: f"/visits/{r['visit'].id}/pupils",
        ("admin", "staff"),
        ok=400,
        method="POST",
        out_of_scope=("head", "provider"),
        special=(("officer", 403),),
        note="empty form",
    ),
    Case(
        "visits.record_placed_pupils",
        lambda r: f"/visits/{r['visit'].id}/pupils/placed",
        ("admin", "staff"),
        ok=302,
        method="POST",
        out_of_scope=("head", "provider"),
        special=(("officer", 403),),
        note="nothing ticked: nothing to record",
    ),
    Case(
        "visits.remove_pupil",
        lambda r: f"/visits/{r['visit'].id}/pupils/999999/remove",
        ("admin", "staff"),
        ok=404,
        method="POST",
        out_of_scope=("head", "provider"),
        special=(("officer", 403),),
        note="no such pupil",
    ),
    Case(
        "visits.check_action",
        lambda r: f"/visits/{r['visit'].id}/previous-actions/999999",
        ("admin", "staff"),
        ok=404,
        method="POST",
        out_of_scope=("head", "provider"),
        special=(("officer", 403),),
        note="no such action",
    ),
    Case(
        "visits.amend",
        lambda r: f"/visits/{r['visit'].id}/amend",
        (),
        out_of_scope=("head", "provider"),
        note="not signed off yet",
    ),
    Case("frameworks.index", lambda r: "/frameworks", EVERYONE),
    Case("frameworks.detail", lambda r: f"/frameworks/{r['framework'].id}", EVERYONE),
    Case(
        "frameworks.detail",
        lambda r: f"/frameworks/{r['draft'].id}",
        EVERYONE,
        out_of_scope=("officer", "staff", "head", "provider"),
        note="draft",
    ),
    Case(
        "frameworks.draft",
        lambda r: f"/frameworks/{r['framework'].id}/draft",
        ("admin",),
        ok=302,
        method="POST",
        note="refused while a draft exists",
    ),
    Case(
        "frameworks.edit_criterion",
        lambda r: f"/frameworks/{r['draft'].id}/criteria/{r['draft'].areas[0].criteria[0].id}",
        ("admin",),
    ),
    Case(
        "frameworks.edit_criterion",
        lambda r: (
            f"/frameworks/{r['framework'].id}/criteria/{r['framework'].areas[0].criteria[0].id}"
        ),
        ("admin",),
        ok=403,
        note="published",
    ),
    Case(
        "frameworks.new_criterion",
        lambda r: f"/frameworks/{r['draft'].id}/areas/{r['draft'].areas[0].id}/criteria/new",
        ("admin",),
    ),
    Case(
        "frameworks.remove_criterion",
        lambda r: (
            f"/frameworks/{r['framework'].id}/criteria/"
            f"{r['framework'].areas[0].criteria[0].id}/remove"
        ),
        ("admin",),
        ok=403,
        method="POST",
        note="published",
    ),
    Case(
        "frameworks.publish",
        lambda r: f"/frameworks/{r['framework'].id}/publish",
        ("admin",),
        ok=403,
        method="POST",
        note="already published",
    ),
    Case("contracts.index", lambda r: "/contracts", EVERYONE),
    Case("contracts.new", lambda r: "/contracts/new", ("admin", "staff")),
    Case(
        "contracts.new",
        lambda r: "/contracts/new",
        ("admin", "staff"),
        method="POST",
        note="empty form, shown again with its errors",
    ),
    Case(
        "contracts.detail",
        lambda r: f"/contracts/{r['school_contract'].id}",
        EVERYONE,
        note="HBEP's, commissioned by the head's school, with the provider user's provider",
    ),
    Case(
        "contracts.detail",
        lambda r: f"/contracts/{r['partnership_contract'].id}",
        EVERYONE,
        out_of_scope=("head", "provider"),
        note="HBEP's own, with another provider",
    ),
    Case(
        "contracts.detail",
        lambda r: f"/contracts/{r['lip_contract'].id}",
        EVERYONE,
        out_of_scope=("staff", "head"),
        note="LIP's, with the provider user's provider",
    ),
    Case(
        "contracts.detail",
        lambda r: "/contracts/999999",
        EVERYONE,
        out_of_scope=EVERYONE,
        note="no such contract",
    ),
    Case(
        "contracts.edit", lambda r: f"/contracts/{r['school_contract'].id}/edit", ("admin", "staff")
    ),
    Case(
        "contracts.edit",
        lambda r: f"/contracts/{r['school_contract'].id}/edit",
        ("admin", "staff"),
        method="POST",
        note="empty form, shown again with its errors",
    ),
    Case(
        "contracts.edit",
        lambda r: f"/contracts/{r['lip_contract'].id}/edit",
        ("admin", "staff"),
        out_of_scope=("staff",),
        note="another partnership's",
    ),
    Case(
        "contracts.document",
        lambda r: f"/contracts/{r['school_contract'].id}/document",
        EVERYONE,
        note="the signed document, to every party and to officers",
    ),
    Case(
        "contracts.document",
        lambda r: f"/contracts/{r['partnership_contract'].id}/document",
        EVERYONE,
        out_of_scope=("head", "provider"),
        note="HBEP's own, with another provider",
    ),
    Case(
        "contracts.document",
        lambda r: f"/contracts/{r['lip_contract'].id}/document",
        EVERYONE,
        out_of_scope=("staff", "head"),
        note="LIP's, with the provider user's provider",
    ),
    Case(
        "pupils.index",
        lambda r: "/pupils",
        VIEWERS,
        note="names for admins, staff and heads; counts only for officers",
    ),
    Case("pupils.new", lambda r: "/pupils/new", ("admin", "staff")),
    Case("pupils.new", lambda r: "/pupils/new", ("admin", "staff"), method="POST", note="empty"),
    Case(
        "pupils.detail",
        lambda r: f"/pupils/{r['pupil'].id}",
        ("admin", "staff", "head"),
        note="on the roll of the head's school; officers see counts only",
    ),
    Case(
        "pupils.detail",
        lambda r: f"/pupils/{r['hbep_pupil'].id}",
        ("admin", "staff", "head"),
        out_of_scope=("head",),
        note="same partnership, another school",
    ),
    Case(
        "pupils.detail",
        lambda r: f"/pupils/{r['lip_pupil'].id}",
        ("admin", "staff", "head"),
        out_of_scope=("staff", "head"),
        note="another partnership's",
    ),
    Case(
        "pupils.detail",
        lambda r: "/pupils/999999",
        ("admin", "staff", "head"),
        out_of_scope=("admin", "staff", "head"),
        note="no such pupil",
    ),
    Case("pupils.edit", lambda r: f"/pupils/{r['pupil'].id}/edit", ("admin", "staff")),
    Case(
        "pupils.edit",
        lambda r: f"/pupils/{r['pupil'].id}/edit",
        ("admin", "staff"),
        method="POST",
        note="empty form",
    ),
    Case(
        "pupils.edit",
        lambda r: f"/pupils/{r['lip_pupil'].id}/edit",
        ("admin", "staff"),
        out_of_scope=("staff",),
        note="another partnership's",
    ),
    Case("providers.kinds", lambda r: "/admin/compliance-kinds", ("admin",)),
    Case("providers.edit_kind", lambda r: "/admin/compliance-kinds/new", ("admin",)),
    Case(
        "providers.edit_kind",
        lambda r: f"/admin/compliance-kinds/{factories.kind('public_liability').id}/edit",
        ("admin",),
    ),
]


def _placement_cases() -> list[Case]:
    """Placements: of the head's school's pupil with the provider user's provider, and of a
    LIP pupil with another provider."""
    cases = [
        Case(
            "placements.index",
            lambda r: "/placements",
            ("admin", "staff", "head", "provider"),
            note="names: officers see counts of pupils instead",
        ),
        Case(
            "placements.new",
            lambda r: f"/pupils/{r['pupil'].id}/placements/new",
            ("admin", "staff"),
        ),
        Case(
            "placements.new",
            lambda r: f"/pupils/{r['pupil'].id}/placements/new",
            ("admin", "staff"),
            method="POST",
            note="empty form",
        ),
        Case(
            "placements.new",
            lambda r: f"/pupils/{r['lip_pupil'].id}/placements/new",
            ("admin", "staff"),
            out_of_scope=("staff",),
            note="another partnership's pupil",
        ),
    ]
    for endpoint, path in (("placements.detail", ""), ("placements.agreement", "/agreement.pdf")):
        cases.append(
            Case(
                endpoint,
                lambda r, path=path: f"/placements/{r['placement'].id}{path}",
                ("admin", "staff", "head", "provider"),
                note="the head's school's pupil, with the provider user's provider",
            )
        )
        cases.append(
            Case(
                endpoint,
                lambda r, path=path: f"/placements/{r['lip_placement'].id}{path}",
                ("admin", "staff", "head", "provider"),
                out_of_scope=("staff", "head", "provider"),
                note="another partnership's pupil, with another provider",
            )
        )
    for endpoint, path in (
        ("placements.edit", "/edit"),
        ("placements.end", "/end"),
        ("placements.review", "/reviews/new"),
    ):
        for method in ("GET", "POST"):
            cases.append(
                Case(
                    endpoint,
                    lambda r, path=path: f"/placements/{r['placement'].id}{path}",
                    ("admin", "staff"),
                    method=method,
                    note="empty form" if method == "POST" else "",
                )
            )
        cases.append(
            Case(
                endpoint,
                lambda r, path=path: f"/placements/{r['lip_placement'].id}{path}",
                ("admin", "staff"),
                out_of_scope=("staff",),
                note="another partnership's",
            )
        )
    return cases


CASES += _placement_cases()


def _term_key() -> str:
    return returns.key_of(terms.current_term())


# Termly returns: "own_return" is the HBEP pupil's with the provider user's provider, submitted;
# "lip_return" another partnership's pupil's with another provider.
RETURN_CASES = [
    Case(
        "returns.index",
        lambda r: "/returns",
        ("admin", "staff", "head", "provider"),
        note="names: officers see none",
    ),
    Case(
        "returns.form",
        lambda r: f"/placements/{r['placement'].id}/returns/{_term_key()}",
        ("provider",),
    ),
    Case(
        "returns.form",
        lambda r: f"/placements/{r['placement'].id}/returns/{_term_key()}",
        ("provider",),
        ok=302,
        method="POST",
        note="saved as a draft",
    ),
    Case(
        "returns.form",
        lambda r: f"/placements/{r['lip_placement'].id}/returns/{_term_key()}",
        ("provider",),
        out_of_scope=("provider",),
        note="another provider's placement",
    ),
    Case(
        "returns.detail",
        lambda r: f"/returns/{r['own_return'].id}",
        ("admin", "staff", "head", "provider"),
    ),
    Case(
        "returns.detail",
        lambda r: f"/returns/{r['lip_return'].id}",
        ("admin", "staff", "head", "provider"),
        out_of_scope=("staff", "head", "provider"),
        note="another partnership's pupil, with another provider",
    ),
    Case(
        "returns.review",
        lambda r: f"/returns/{r['own_return'].id}/review",
        ("admin", "staff"),
        ok=400,
        method="POST",
        note="a change asked with no comment",
    ),
    Case(
        "returns.review",
        lambda r: f"/returns/{r['lip_return'].id}/review",
        ("admin", "staff"),
        ok=400,
        out_of_scope=("staff",),
        method="POST",
        note="another partnership's",
    ),
    Case("returns.template", lambda r: "/returns/template.xlsx", ("provider",)),
    Case("returns.template", lambda r: "/returns/template.csv", ("provider",), note="CSV"),
    Case("returns.upload", lambda r: "/returns/upload", ("provider",)),
    Case(
        "returns.upload",
        lambda r: "/returns/upload",
        ("provider",),
        ok=400,
        method="POST",
        note="no file",
    ),
]
CASES += RETURN_CASES


@pytest.fixture
def records():
    schools = {(code, i): factories.school(code, i) for code in ("HBEP", "LIP") for i in (0, 1)}
    other = factories.user("staff", partnership=factories.partnership("LIP"))
    message = outbox.queue("someone@example.org", "Subject", "Body")
    own, other_provider = factories.provider(), factories.provider()
    item = factories.item(own, "public_liability", stored=True)
    other_item = factories.item(other_provider, "public_liability", stored=True)
    framework = frameworks.current_framework()
    draft = frameworks.new_draft(factories.user("admin"), framework)
    visit = Visit(
        provider=own,
        framework=framework,
        visit_type=VisitType.ANNUAL,
        visit_date=date.today(),
        lead=factories.user("staff"),
        partnership_id=factories.partnership("HBEP").id,
    )
    lip_lead = factories.user("staff", partnership=factories.partnership("LIP"))
    lip_visit = Visit(
        provider=own,
        framework=framework,
        visit_type=VisitType.MONITORING,
        visit_date=date.today(),
        lead=lip_lead,
        partnership_id=lip_lead.partnership_id,
    )
    signed_off, published = (
        Visit(
            provider=own,
            framework=framework,
            visit_type=VisitType.ANNUAL,
            visit_date=date.today(),
            lead=visit.lead,
            partnership_id=visit.partnership_id,
            status=status,
        )
        for status in (VisitStatus.SIGNED_OFF, VisitStatus.PUBLISHED)
    )
    db.session.add_all([visit, lip_visit, signed_off, published])
    signed = {
        name: factories.contract(at, code, school)
        for name, at, code, school in (
            ("school_contract", own, "HBEP", schools[("HBEP", 0)]),
            ("partnership_contract", other_provider, "HBEP", None),
            ("lip_contract", own, "LIP", None),
        )
    }
    for n, contract in enumerate(signed.values()):
        upload = Upload(factories.pdf_bytes(f"Signed {n}"), "signed.pdf")
        contracts.attach_document(visit.lead, contract, upload, max_bytes=10**6)
    pupils = {
        "pupil": factories.pupil(schools[("HBEP", 0)]),
        "hbep_pupil": factories.pupil(schools[("HBEP", 1)]),
        "lip_pupil": factories.pupil(schools[("LIP", 0)]),
    }
    hbep_head = factories.user("head", school=factories.school(STAFF_SCHOOL, 0))
    concern = factories.concern(factories.user("staff"), at=own)
    resolved = factories.resolve(factories.concern(hbep_head, at=own), factories.user("staff"))
    placements = {
        "placement": factories.placement(pupils["pupil"], own),
        "lip_placement": factories.placement(pupils["lip_pupil"], other_provider),
    }
    placements |= _returns(placements)
    db.session.commit()
    return {
        **signed,
        **pupils,
        "concern": concern,
        "lip_concern": factories.concern(lip_lead, at=own),
        "resolved_concern": resolved,
        **placements,
        "framework": framework,
        "visit": visit,
        "lip_visit": lip_visit,
        "signed_off": signed_off,
        "published": published,
        "draft": draft,
        "schools": schools,
        "other": other,
        "message": message,
        "own": own,
        "other_provider": other_provider,
        "item": item,
        "other_item": other_item,
    }


def _returns(placements: dict) -> dict:
    from qa_portal.returns.models import ReturnStatus, TermlyReturn

    term = terms.current_term()
    made = {
        f"{name}_return": TermlyReturn(
            placement=placements[key],
            term_year=term.year,
            term_season=term.season,
            status=ReturnStatus.SUBMITTED,
            submitted_at=datetime.now(UTC),
        )
        for name, key in (("own", "placement"), ("lip", "lip_placement"))
    }
    db.session.add_all(made.values())
    return made


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.endpoint} {c.note}".strip())
@pytest.mark.parametrize("role", ROLES)
def test_role_reaches_only_its_scope(app, login, records, case, role):
    if role == ANON:
        client = app.test_client()
    else:
        affiliation = {
            "head": {"school": factories.school(STAFF_SCHOOL, 0)},
            "provider": {"provider": records["own"]},
        }.get(role, {})
        user = factories.user(role, **affiliation)
        db.session.commit()
        client = login(user)
    url = case.url(records)
    response = client.open(url, method=case.method)
    expected = case.expected(role)
    assert response.status_code == expected, f"{role} {case.method} {url}"
    if expected == 302 and role == ANON:
        assert "/sign-in" in response.headers["Location"]


def test_every_route_is_classified(app):
    routed = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    classified = {case.endpoint for case in CASES}
    assert routed - classified == set(), "classify the new route(s) in CASES"
    assert classified - routed == set(), "CASES names a route that no longer exists"


def test_out_of_scope_pages_do_not_leak_names(login):
    staff = factories.user("staff")
    db.session.commit()
    client = login(staff)
    lip = factories.partnership("LIP")
    page = client.get(f"/partnerships/{lip.code}")
    assert page.status_code == 404
    assert lip.name.encode() not in page.data
    assert lip.schools[0].name.encode() not in client.get("/partnerships").data
