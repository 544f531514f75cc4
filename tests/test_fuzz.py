"""Every route of `app.url_map`, every method, sent bad values in every form field and query
parameter by a role that can reach it: no 5xx, and no NUL stored anywhere.

Form fields are found on the pages that hold each form (their current values are the
baseline); each field gets every bad value once (all fields at once), then one bad value on
its own with the others as the page had them, so one refusal cannot hide another.
"""

from __future__ import annotations

import io
import itertools
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from PIL import Image
from sqlalchemy import String, Text, select

from qa_portal import terms
from qa_portal.contracts import services as contract_services
from qa_portal.db import db
from qa_portal.frameworks import services as frameworks
from qa_portal.providers.services import Upload
from qa_portal.returns import services as returns
from qa_portal.visits import reports
from qa_portal.visits.models import (
    FollowUpAction,
    Judgement,
    PupilSeen,
    VisitStatus,
)
from tests import factories
from tests.conftest import sign_in

BAD = [
    "a\x00b",
    "\ud800",
    "x" * 100_001,
    "99999999999999999999",
    "-1",
    " ",
    "²",
    "purple",
    "Infinity",
    "1e400",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31",
]
# Query parameters the pages read, besides those of the filter forms found on them; the pages
# that read any get every bad value in each, the others a sample (they read none).
QUERY_KEYS = (
    "page",
    "kind",
    "provider",
    "criterion",
    "scope",
    "next",
    "q",
    "status",
    "role",
    "concern",
    "category",
)
READS_QUERY = {
    "accounts.sign_in",
    "admin.audit_log",
    "admin.outbox_list",
    "admin.users",
    "concerns.index",
    "providers.expiring",
    "registration.index",
    "providers.index",
    "providers.kinds",
    "providers.upload",
    "pupils.index",
    "placements.index",
    "returns.index",
    "returns.template",
    "returns.upload",
    "visits.amend",
    "visits.index",
    "visits.new",
    "visits.people",
    "contracts.index",
    "contracts.new",
}


# --- forms, as a browser finds them --------------------------------------------------------------


@dataclass
class FoundForm:
    action: str
    method: str
    pairs: list[tuple[str, str]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


class _Forms(HTMLParser):
    """Each <form> with its fields' names and the values the page gave them."""

    def __init__(self, url: str):
        super().__init__(convert_charrefs=True)
        self.url, self.forms = url, []
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            action = urljoin(self.url, a.get("action") or self.url)
            self.forms.append(FoundForm(urlsplit(action).path, (a.get("method") or "get").upper()))
        elif not self.forms or "name" not in a:
            return
        elif tag == "input":
            self._input(a)
        elif tag == "select":
            self._select = a["name"]
            self._note(self._select)
        elif tag == "option" and self._select and "selected" in a:
            self.forms[-1].pairs.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea = a["name"]
            self._note(self._textarea)
            self.forms[-1].pairs.append((self._textarea, ""))

    def _input(self, a):
        kind = a.get("type", "text")
        if kind in ("submit", "button", "file", "image", "reset"):
            return
        self._note(a["name"])
        if kind in ("checkbox", "radio") and "checked" not in a:
            return
        self.forms[-1].pairs.append((a["name"], a.get("value", "")))

    def _note(self, name):
        if name not in self.forms[-1].names:
            self.forms[-1].names.append(name)

    def handle_data(self, data):
        if self._textarea and self.forms and self.forms[-1].pairs:
            name, value = self.forms[-1].pairs[-1]
            self.forms[-1].pairs[-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_on(client, url: str) -> list[FoundForm]:
    response = client.get(url)
    assert response.status_code < 500, url
    parser = _Forms(url)
    if response.mimetype == "text/html":
        parser.feed(response.get_data(as_text=True))
    return parser.forms


def _body(pairs) -> str:
    # What a browser sends; a lone surrogate goes as the bytes it would encode to.
    return urlencode(pairs, encoding="utf-8", errors="surrogatepass")


# --- the routes, each with a role that reaches it ----------------------------------------------


@dataclass(frozen=True)
class Target:
    endpoint: str
    method: str
    role: str
    url: str
    page: str = ""  # where its form is shown; "" = the url itself (GET) or no form
    fields: tuple[str, ...] = ()  # fields the page does not show (sent by script)


def _targets(s) -> list[Target]:
    v, pv, fw, dr = s["visit"], s["published"], s["framework"], s["draft"]
    own, item, other = s["own"], s["item"], s["other"]
    first, second = dr.areas[0].criteria[0], dr.areas[0].criteria[1]
    kind = factories.kind("public_liability")
    school = factories.school("HBEP", 0)
    pl = s["placement"]
    get = [
        ("main.home", "staff", "/"),
        ("main.follow_up_actions", "staff", "/visits/actions?due=now"),
        ("main.health", "anon", "/healthz"),
        ("main.accessibility", "anon", "/accessibility"),
        ("main.privacy", "anon", "/privacy"),
        ("accounts.sign_in", "anon", "/sign-in"),
        ("accounts.sign_out", "staff", "/sign-out"),
        ("accounts.account", "staff", "/account"),
        ("accounts.change_password", "staff", "/account/password"),
        ("accounts.set_password", "anon", "/account/set-password/not-a-token"),
        ("accounts.forgot_password", "anon", "/account/forgot-password"),
        ("accounts.sign_in_code", "anon", "/sign-in/code"),
        ("accounts.two_step_setup", "staff", "/account/two-step"),
        ("accounts.recovery_codes", "staff", "/account/two-step/recovery-codes"),
        ("accounts.two_step_off", "staff", "/account/two-step/turn-off"),
        ("admin.reset_two_step", "admin", f"/admin/users/{other.id}/two-step"),
        ("partnerships.index", "admin", "/partnerships"),
        ("partnerships.detail", "admin", "/partnerships/HBEP"),
        ("partnerships.edit", "admin", "/partnerships/HBEP/edit"),
        ("partnerships.school", "admin", f"/schools/{school.id}"),
        ("partnerships.new_school", "admin", "/schools/new"),
        ("partnerships.edit_school", "admin", f"/schools/{school.id}/edit"),
        ("admin.users", "admin", "/admin/users"),
        ("admin.new_user", "admin", "/admin/users/new"),
        ("admin.user", "admin", f"/admin/users/{other.id}"),
        ("admin.edit_user", "admin", f"/admin/users/{other.id}/edit"),
        ("admin.audit_log", "admin", "/admin/audit"),
        ("admin.outbox_list", "admin", "/admin/outbox"),
        ("admin.outbox_message", "admin", f"/admin/outbox/{s['message'].id}"),
        ("providers.index", "staff", "/providers"),
        ("providers.new", "staff", "/providers/new"),
        ("providers.detail", "staff", f"/providers/{own.id}"),
        ("providers.edit", "staff", f"/providers/{own.id}/edit"),
        ("providers.edit", "provider", f"/providers/{own.id}/edit"),
        ("providers.upload", "staff", f"/providers/{own.id}/compliance/new"),
        ("providers.item", "staff", f"/providers/{own.id}/compliance/{item.id}"),
        ("providers.document", "staff", f"/providers/{own.id}/compliance/{item.id}/document"),
        ("providers.expiring", "staff", "/compliance/expiring"),
        ("registration.index", "officer", "/providers/registration-check"),
        ("providers.kinds", "admin", "/admin/compliance-kinds"),
        ("providers.edit_kind", "admin", "/admin/compliance-kinds/new"),
        ("providers.edit_kind", "admin", f"/admin/compliance-kinds/{kind.id}/edit"),
        ("visits.index", "staff", "/visits"),
        ("visits.new", "staff", "/visits/new"),
        ("visits.new", "staff", f"/visits/new?concern={s['concern'].id}"),
        ("concerns.index", "staff", "/concerns"),
        ("concerns.detail", "staff", f"/concerns/{s['concern'].id}"),
        ("concerns.new", "head", f"/providers/{own.id}/concerns/new"),
        ("visits.detail", "staff", f"/visits/{v.id}"),
        ("visits.detail", "provider", f"/visits/{pv.id}"),
        ("visits.checklist_area", "staff", f"/visits/{v.id}/checklist/1"),
        ("visits.photo", "staff", f"/visits/{v.id}/photos/{s['photo_id']}/thumbnail"),
        ("visits.summary", "staff", f"/visits/{v.id}/summary"),
        ("visits.report", "staff", f"/visits/{pv.id}/report.pdf"),
        ("visits.amend", "staff", f"/visits/{pv.id}/amend"),
        ("contracts.index", "staff", "/contracts"),
        ("contracts.index", "admin", "/contracts"),
        ("contracts.new", "staff", "/contracts/new"),
        ("contracts.detail", "staff", f"/contracts/{s['contract'].id}"),
        ("contracts.edit", "staff", f"/contracts/{s['contract'].id}/edit"),
        ("contracts.document", "provider", f"/contracts/{s['contract'].id}/document"),
        ("pupils.index", "staff", "/pupils"),
        ("pupils.index", "officer", "/pupils"),
        ("pupils.new", "staff", "/pupils/new"),
        ("pupils.detail", "staff", f"/pupils/{s['a_pupil'].id}"),
        ("pupils.edit", "staff", f"/pupils/{s['a_pupil'].id}/edit"),
        ("placements.index", "staff", "/placements"),
        ("placements.index", "admin", "/placements"),
        ("placements.index", "provider", "/placements"),
        ("placements.new", "staff", f"/pupils/{s['a_pupil'].id}/placements/new"),
        ("placements.detail", "staff", f"/placements/{pl.id}"),
        ("placements.detail", "provider", f"/placements/{pl.id}"),
        ("placements.agreement", "provider", f"/placements/{pl.id}/agreement.pdf"),
        ("placements.edit", "staff", f"/placements/{pl.id}/edit"),
        ("placements.review", "staff", f"/placements/{pl.id}/reviews/new"),
        ("placements.end", "staff", f"/placements/{pl.id}/end"),
        ("frameworks.index", "admin", "/frameworks"),
        ("frameworks.detail", "admin", f"/frameworks/{fw.id}"),
        ("frameworks.edit_criterion", "admin", f"/frameworks/{dr.id}/criteria/{first.id}"),
        (
            "frameworks.new_criterion",
            "admin",
            f"/frameworks/{dr.id}/areas/{dr.areas[0].id}/criteria/new",
        ),
    ]
    post = [
        Target(
            "accounts.sign_out_others",
            "POST",
            "staff",
            "/account/sign-out-other-devices",
            "/account",
        ),
        Target("accounts.change_password", "POST", "staff", "/account/password"),
        Target("accounts.sign_in_code", "POST", "anon", "/sign-in/code", fields=("code",)),
        Target("accounts.two_step_setup", "POST", "staff", "/account/two-step"),
        Target(
            "accounts.recovery_codes",
            "POST",
            "staff",
            "/account/two-step/recovery-codes",
            fields=("password",),
        ),
        Target(
            "accounts.two_step_off",
            "POST",
            "staff",
            "/account/two-step/turn-off",
            fields=("password", "code"),
        ),
        Target(
            "admin.reset_two_step",
            "POST",
            "admin",
            f"/admin/users/{other.id}/two-step",
            fields=("submit",),
        ),
        Target("partnerships.edit", "POST", "admin", "/partnerships/HBEP/edit"),
        Target("partnerships.new_school", "POST", "admin", "/schools/new"),
        Target("partnerships.edit_school", "POST", "admin", f"/schools/{school.id}/edit"),
        Target("admin.new_user", "POST", "admin", "/admin/users/new"),
        Target("admin.edit_user", "POST", "admin", f"/admin/users/{other.id}/edit"),
        Target(
            "admin.user_action",
            "POST",
            "admin",
            f"/admin/users/{other.id}/invite",
            f"/admin/users/{other.id}",
        ),
        Target("providers.new", "POST", "staff", "/providers/new"),
        Target("providers.edit", "POST", "staff", f"/providers/{own.id}/edit"),
        Target("providers.edit", "POST", "provider", f"/providers/{own.id}/edit"),
        Target(
            "providers.change_status",
            "POST",
            "staff",
            f"/providers/{own.id}/status",
            f"/providers/{own.id}",
        ),
        Target(
            "providers.usage",
            "POST",
            "staff",
            f"/providers/{own.id}/usage/add",
            f"/providers/{own.id}",
        ),
        Target("providers.upload", "POST", "staff", f"/providers/{own.id}/compliance/new"),
        Target("providers.item", "POST", "staff", f"/providers/{own.id}/compliance/{item.id}"),
        Target("providers.edit_kind", "POST", "admin", "/admin/compliance-kinds/new"),
        Target("providers.edit_kind", "POST", "admin", f"/admin/compliance-kinds/{kind.id}/edit"),
        Target("contracts.new", "POST", "staff", "/contracts/new"),
        Target("contracts.new", "POST", "admin", "/contracts/new"),
        Target("contracts.edit", "POST", "staff", f"/contracts/{s['contract'].id}/edit"),
        Target("pupils.new", "POST", "staff", "/pupils/new"),
        Target("pupils.edit", "POST", "staff", f"/pupils/{s['a_pupil'].id}/edit"),
        Target("placements.new", "POST", "staff", f"/pupils/{s['a_pupil'].id}/placements/new"),
        Target("placements.edit", "POST", "staff", f"/placements/{s['placement'].id}/edit"),
        Target(
            "placements.review", "POST", "staff", f"/placements/{s['placement'].id}/reviews/new"
        ),
        Target("placements.end", "POST", "staff", f"/placements/{s['placement'].id}/end"),
        Target("visits.new", "POST", "staff", "/visits/new"),
        Target(
            "visits.new",
            "POST",
            "staff",
            "/visits/new",
            f"/visits/new?concern={s['concern'].id}",
        ),
        Target("concerns.new", "POST", "head", f"/providers/{own.id}/concerns/new"),
        Target("concerns.new", "POST", "staff", f"/providers/{own.id}/concerns/new"),
        Target(
            "concerns.resolve",
            "POST",
            "staff",
            f"/concerns/{s['concern'].id}/resolve",
            f"/concerns/{s['concern'].id}",
        ),
        Target("visits.detail", "POST", "staff", f"/visits/{v.id}"),
        Target("visits.add_pupil", "POST", "staff", f"/visits/{v.id}/pupils", f"/visits/{v.id}"),
        Target(
            "visits.record_placed_pupils",
            "POST",
            "staff",
            f"/visits/{v.id}/pupils/placed",
            f"/visits/{v.id}",
            fields=("pupil_ids",),
        ),
        Target(
            "visits.check_action",
            "POST",
            "staff",
            f"/visits/{v.id}/previous-actions/{s['old_action'].id}",
            f"/visits/{v.id}",
        ),
        Target("visits.checklist_area", "POST", "staff", f"/visits/{v.id}/checklist/1"),
        Target(
            "visits.add_photo",
            "POST",
            "staff",
            f"/visits/{v.id}/photos",
            fields=("client_id", "criterion_id", "caption"),
        ),
        Target("visits.summary", "POST", "staff", f"/visits/{v.id}/summary"),
        Target(
            "visits.add_action",
            "POST",
            "staff",
            f"/visits/{v.id}/actions",
            f"/visits/{v.id}/summary",
        ),
        Target("visits.publish", "POST", "staff", f"/visits/{v.id}/publish", fields=("submit",)),
        Target(
            "visits.respond",
            "POST",
            "provider",
            f"/visits/{pv.id}/actions/{s['action'].id}",
            f"/visits/{pv.id}",
        ),
        Target("visits.amend", "POST", "staff", f"/visits/{pv.id}/amend"),
        Target(
            "frameworks.draft", "POST", "admin", f"/frameworks/{fw.id}/draft", fields=("submit",)
        ),
        Target(
            "frameworks.edit_criterion", "POST", "admin", f"/frameworks/{dr.id}/criteria/{first.id}"
        ),
        Target(
            "frameworks.new_criterion",
            "POST",
            "admin",
            f"/frameworks/{dr.id}/areas/{dr.areas[0].id}/criteria/new",
        ),
        Target(
            "frameworks.publish",
            "POST",
            "admin",
            f"/frameworks/{fw.id}/publish",
            fields=("submit",),
        ),
        # Last of the signed-in ones: these change what the pages above show.
        Target(
            "visits.remove_pupil",
            "POST",
            "staff",
            f"/visits/{v.id}/pupils/{s['pupil'].id}/remove",
            f"/visits/{v.id}",
        ),
        Target(
            "frameworks.remove_criterion",
            "POST",
            "admin",
            f"/frameworks/{dr.id}/criteria/{second.id}/remove",
            f"/frameworks/{dr.id}/criteria/{second.id}",
        ),
        # The invitation search, in the page and as JSON.
        Target("visits.detail", "GET", "staff", f"/visits/{v.id}?people=a"),
        Target("visits.people", "GET", "staff", f"/visits/{v.id}/people?q=a"),
        Target("accounts.sign_out", "POST", "staff", "/sign-out"),
        Target(
            "accounts.set_password",
            "POST",
            "anon",
            "/account/set-password/not-a-token",
            fields=("password", "confirm"),
        ),
        Target("accounts.forgot_password", "POST", "anon", "/account/forgot-password"),
        # Sign-in failures are throttled per address: the very last.
        Target("accounts.sign_in", "POST", "anon", "/sign-in"),
    ]
    return [Target(e, "GET", r, u) for e, r, u in get] + post + _return_targets(s)


def _return_targets(s) -> list[Target]:
    placement, ret = s["placement"], s["return"]
    form = f"/placements/{placement.id}/returns/{returns.key_of(terms.current_term())}"
    return [
        Target("returns.index", "GET", "staff", "/returns"),
        Target("returns.index", "GET", "provider", "/returns"),
        Target("returns.detail", "GET", "staff", f"/returns/{ret.id}"),
        Target("returns.template", "GET", "provider", "/returns/template.xlsx"),
        Target("returns.template", "GET", "provider", "/returns/template.csv"),
        Target("returns.upload", "GET", "provider", "/returns/upload"),
        Target("returns.form", "GET", "provider", form),
        Target(
            "returns.review", "POST", "staff", f"/returns/{ret.id}/review", f"/returns/{ret.id}"
        ),
        Target("returns.upload", "POST", "provider", "/returns/upload"),
        Target("returns.form", "POST", "provider", form),
    ]


# --- the records the routes need -----------------------------------------------------------------


@pytest.fixture
def scene(app):
    from qa_portal import outbox

    own = factories.provider("Fuzz Provider")
    people = {
        "admin": factories.user("admin"),
        "officer": factories.user("officer"),
        "staff": factories.user("staff"),
        "head": factories.user("head"),
        "provider": factories.user("provider", provider=own),
    }
    lead = people["staff"]
    framework = frameworks.current_framework()
    published = factories.visit(
        lead,
        at=own,
        visit_date=date.today() - timedelta(days=60),
        status=VisitStatus.PUBLISHED,
        overall=Judgement.GREEN,
        signed_off_by_id=lead.id,
    )
    action = FollowUpAction(
        visit_id=published.id, description="Fix the gate", owner="Manager", due_on=date.today()
    )
    visit = factories.visit(lead, at=own)
    pupil = PupilSeen(visit_id=visit.id, name="A. B.", note="", recorded_by_id=lead.id)
    db.session.add_all([action, pupil])
    db.session.flush()
    reports.store_report(published)
    contract = factories.contract(own, "HBEP", factories.school("HBEP", 0))
    contract_services.attach_document(
        lead, contract, Upload(factories.pdf_bytes(), "signed.pdf"), max_bytes=10**6
    )
    records = {
        "contract": contract,
        "people": people,
        "own": own,
        "other": factories.user("staff", partnership=factories.partnership("LIP")),
        "message": outbox.queue("someone@example.org", "Subject", "Body"),
        "item": factories.item(own, "public_liability", stored=True),
        "framework": framework,
        "draft": frameworks.new_draft(people["admin"], framework),
        "visit": visit,
        "published": published,
        "action": action,
        "old_action": action,
        "pupil": pupil,
        "a_pupil": factories.pupil(factories.school("HBEP"), key_worker=lead),
        "concern": factories.concern(people["head"], at=own),
    }
    records["placement"] = factories.placement(records["a_pupil"], own)
    records["return"] = _submitted_return(records["placement"])
    db.session.commit()
    return records


def _submitted_return(placement):
    from datetime import UTC, datetime

    from qa_portal.returns.models import ReturnStatus, TermlyReturn

    term = terms.current_term()
    ret = TermlyReturn(
        placement=placement,
        term_year=term.year,
        term_season=term.season,
        status=ReturnStatus.SUBMITTED,
        submitted_at=datetime.now(UTC),
    )
    db.session.add(ret)
    return ret


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((64, 48), 40).convert("RGB").save(buffer, "JPEG")
    return buffer.getvalue()


def _add_photo(client, visit) -> int:
    response = client.post(
        f"/visits/{visit.id}/photos",
        data={
            "client_id": str(uuid.uuid4()),
            "criterion_id": str(visit.framework.areas[0].criteria[0].id),
            "caption": "",
            "photo": (io.BytesIO(_jpeg()), "IMG.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.data
    return int(response.json["thumbnail"].split("/photos/")[1].split("/")[0])


# --- the walk ----------------------------------------------------------------------------------


class Walk:
    def __init__(self, app, people):
        self.app, self.people, self.failures, self.sent = app, people, [], 0
        self.clients = {role: self._signed_in(user) for role, user in people.items()}
        self.clients["anon"] = app.test_client()
        self.pages: dict[tuple[str, str], list[FoundForm]] = {}
        self.values = itertools.cycle(BAD)

    def _signed_in(self, user):
        client = self.app.test_client()
        assert sign_in(client, user).status_code == 302
        return client

    def client(self, target: Target):
        if target.endpoint == "accounts.sign_out" and target.method == "POST":
            return self._signed_in(self.people["staff"])  # each sign-out ends its session
        return self.clients[target.role]

    def forms(self, role: str, page: str) -> list[FoundForm]:
        if (role, page) not in self.pages:
            self.pages[role, page] = forms_on(self.clients[role], page)
        return self.pages[role, page]

    def send(self, target: Target, what: str, **kwargs):
        self.sent += 1
        try:  # the suite runs with TESTING on: an unhandled error arrives here, not as a 500
            status = self.client(target).open(method=target.method, **kwargs).status_code
        except Exception as exc:  # noqa: BLE001  (every failure is listed, not just the first)
            status = f"{type(exc).__name__}: {str(exc)[:120]}"
        if not isinstance(status, int) or status >= 500:
            self.failures.append(f"{target.role} {target.method} {target.url} {what}: {status}")

    def get(self, target: Target) -> None:
        filters = [f for f in self.forms(target.role, target.url) if f.method == "GET"]
        keys = list(dict.fromkeys([*QUERY_KEYS, *(n for f in filters for n in f.names)]))
        rounds = len(BAD) if target.endpoint in READS_QUERY else 2
        for first in range(rounds):
            values = [BAD[(first + i) % len(BAD)] for i in range(len(keys))]
            query = _body(list(zip(keys, values, strict=True)))
            self.send(target, f"{query[:60]}...", path=f"{target.url}?{query}")
        for form in filters:
            for name in form.names:
                self._one_field(target, form.pairs, name, query_string=True)

    def post(self, target: Target) -> None:
        page = target.page or target.url
        found = [f for f in self.forms(target.role, page) if f.action == target.url]
        if target.page or not target.fields:
            assert found or target.fields, f"no form posts to {target.url} on {page}"
        pairs = found[0].pairs if found else []
        names = list(dict.fromkeys([*(found[0].names if found else ()), *target.fields]))
        names = names or ["submit"]
        for value in BAD:
            self._post(target, [(n, value) for n in names], f"all={value[:30]!r}")
        for name in names:
            self._one_field(target, pairs, name)

    def _one_field(self, target, pairs, name, query_string=False):
        value = next(self.values)
        changed = [(n, value if n == name else v) for n, v in pairs]
        if name not in dict(pairs):
            changed.append((name, value))
        what = f"{name}={value[:30]!r} (others as shown)"
        if query_string:
            self.send(target, what, path=f"{target.url}?{_body(changed)}")
        else:
            self._post(target, changed, what)

    def _post(self, target, pairs, what):
        self.send(
            target,
            what,
            path=target.url,
            data=_body(pairs),
            content_type="application/x-www-form-urlencoded",
        )


def _nul_stored() -> list[str]:
    db.session.expire_all()
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text)]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            found += [
                f"{table.name}.{c.name}"
                for c, value in zip(columns, row, strict=True)
                if isinstance(value, str) and "\x00" in value
            ]
    return found


def test_every_route_and_method_is_walked(app, scene):
    routed = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    walked = {(t.endpoint, t.method) for t in _targets({**scene, "photo_id": 1})}
    walked |= {("visits.save_answer", "POST"), ("static", "GET")}  # walked below
    assert routed - walked == set(), "add the new route(s) to _targets"


def test_no_bad_value_in_any_field_or_parameter_gets_a_5xx(app, scene):
    walk = Walk(app, scene["people"])
    scene["photo_id"] = _add_photo(walk.clients["staff"], scene["visit"])
    for target in _targets(scene):
        (walk.get if target.method == "GET" else walk.post)(target)
    walk.get(Target("static", "GET", "anon", "/static/css/portal.css"))
    print(f"fuzz: {walk.sent} requests")
    assert walk.failures == [], "\n".join(walk.failures)
    assert _nul_stored() == []


# --- the JSON endpoints ---------------------------------------------------------------------------

JSON_BAD = [
    *BAD,
    10**30,
    -(2**63) - 1,
    1.5,
    float("inf"),
    True,
    None,
    [],
    [1, "a"],
    {},
    {"nested": {"deeper": [1, 2, 3]}},
]
DEEP = ["[" * 100_000, '{"a":' * 100_000, "[" * 100_000 + "]" * 100_000]


def _answer(visit, **change):
    return {
        "client_id": str(uuid.uuid4()),
        "criterion_id": visit.framework.areas[0].criteria[0].id,
        "rating": "green",
        "note": "Seen",
        "answered_at": (date.today()).isoformat() + "T09:00:00+00:00",
        **change,
    }


def _json_failures(client, url, visit) -> list[str]:
    failures = []

    def send(body: str, what: str):
        try:
            status = client.post(url, data=body, content_type="application/json").status_code
        except Exception as exc:  # noqa: BLE001  (every failure is listed, not just the first)
            status = f"{type(exc).__name__}: {str(exc)[:100]}"
        if not isinstance(status, int) or status >= 500:
            failures.append(f"{what}: {status}")

    dump = lambda value: json.dumps(value, ensure_ascii=True)  # noqa: E731  (keeps \ud800 as text)
    for value in JSON_BAD:
        send(dump(value), f"body={value!r:.40}")
    for key in _answer(visit):
        for value in JSON_BAD:
            send(dump(_answer(visit, **{key: value})), f"{key}={value!r:.40}")
    for body in DEEP:
        send(body, f"nested {body[:8]}...")
    send("{not json", "broken JSON")
    return failures


def test_no_bad_json_answer_gets_a_5xx(login, scene):
    visit = scene["visit"]
    client = login(scene["people"]["staff"])
    failures = _json_failures(client, f"/visits/{visit.id}/answers", visit)
    assert failures == [], "\n".join(failures)
    assert _nul_stored() == []


def test_no_bad_photo_field_gets_a_5xx(login, scene):
    visit = scene["visit"]
    client = login(scene["people"]["staff"])
    failures = []
    for name in ("client_id", "criterion_id", "caption"):
        for value in BAD:
            data = {"client_id": str(uuid.uuid4()), "criterion_id": "1", "caption": ""}
            # A browser cannot send a lone surrogate in a multipart form: what the server reads
            # of one is the replacement character.
            data[name] = value.replace("\ud800", "\ufffd")
            try:
                status = client.post(
                    f"/visits/{visit.id}/photos",
                    data={**data, "photo": (io.BytesIO(_jpeg()), "a.jpg")},
                    content_type="multipart/form-data",
                ).status_code
            except Exception as exc:  # noqa: BLE001  (every failure is listed)
                status = f"{type(exc).__name__}: {str(exc)[:100]}"
            if not isinstance(status, int) or status >= 500:
                failures.append(f"{name}={value[:30]!r}: {status}")
    assert failures == [], "\n".join(failures)
    assert _nul_stored() == []
