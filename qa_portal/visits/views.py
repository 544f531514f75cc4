"""Visit pages: what is coming up and overdue, scheduling, a visit and its invitations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from qa_portal import audit, clock, inputs, links, policy, rules, storage
from qa_portal.accounts.forms import ConfirmForm
from qa_portal.accounts.models import Role, User
from qa_portal.concerns import services as concerns
from qa_portal.concerns.models import Concern
from qa_portal.db import db
from qa_portal.frameworks import outline as frameworks_outline
from qa_portal.frameworks.outline import outline
from qa_portal.pagination import Page, count
from qa_portal.partnerships.models import School
from qa_portal.providers.models import Provider, ProviderStatus
from qa_portal.visits import (
    amendments,
    checklist,
    entries,
    fieldwork,
    judgements,
    publication,
    recording,
    reports,
    responses,
    services,
    signoff,
    timeline,  # noqa: F401 (registers the pupils seen on a pupil's timeline)
)
from qa_portal.visits.forms import (
    ActionForm,
    AmendForm,
    CheckForm,
    InviteForm,
    LeadPartnershipForm,
    PeopleSearchForm,
    PlacedPupilsForm,
    PupilForm,
    ResponseForm,
    ScheduleForm,
    VisitFilterForm,
)
from qa_portal.visits.models import (
    Judgement,
    Photo,
    Visit,
    VisitStatus,
    VisitType,
)

bp = Blueprint("visits", __name__, url_prefix="/visits")

PLANNERS = (Role.ADMIN, Role.STAFF)
# The most people one invitation form may send to (a search shows 20 at a time).
INVITE_AT_ONCE = 100


def _link(visit: Visit) -> str:
    return links.external("visits.detail", visit_id=visit.id)


def _number(text: str | None) -> int | None:
    """A plain decimal id from a query string or form, else None ("²".isdigit() is true)."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdecimal() and len(text) < 12 else None


def _label(user: User) -> str:
    return f"{user.name} ({user.affiliation})"


# The overview shows the first few of each list; "See all" pages through one of them.
FIRST = 10
PER_PAGE = 50
SECTIONS = ("upcoming", "overdue", "past")


def _page(stmt, number: int, per_page: int, *, rows: bool = False) -> Page:
    """One page of a list and its length, in two queries whatever the list's size."""
    result = db.session.execute if rows else db.session.scalars
    items = result(stmt.limit(per_page).offset((number - 1) * per_page)).all()
    return Page(items=list(items), number=number, per_page=per_page, total=count(stmt))


def _visit_filter(form: VisitFilterForm) -> services.VisitFilter:
    if not form.validate():
        return services.VisitFilter()  # the page says what is wrong next to the filter
    return services.VisitFilter(
        provider=form.q.data or "",
        visit_type=VisitType(form.type.data) if form.type.data else None,
        status=VisitStatus(form.status.data) if form.status.data else None,
    )


def _section(name: str, chosen: services.VisitFilter):
    if name == "overdue":
        watched = policy.watched_providers_for(current_user)
        return services.overdue_providers(watched, clock.today(), chosen.provider)
    scope = policy.visits_for(current_user)
    return services.listed_visits(scope, chosen, upcoming=name == "upcoming")


@bp.route("")
@policy.role_required(*Role)
def index():
    """Visits coming up, providers overdue a visit, and earlier visits: the first few of each,
    or one of them page by page (`?show=past&page=2`), narrowed by the filters."""
    show = request.args.get("show") or None
    if show is not None and show not in SECTIONS:
        abort(404)
    try:
        number = inputs.page_number(request.args.get("page"))
    except rules.RuleBroken:
        abort(404)  # not a page of any list
    form = VisitFilterForm(request.args)
    chosen = _visit_filter(form)
    names = [show] if show else list(SECTIONS)
    if not show and (chosen.visit_type or chosen.status):
        names = [name for name in names if name != "overdue"]  # providers have neither
    size = PER_PAGE if show else FIRST
    lists = {
        name: _page(_section(name, chosen), number if show else 1, size, rows=name == "overdue")
        for name in names
    }
    return render_template(
        "visits/index.html", form=form, show=show, lists=lists, today=clock.today()
    ), (400 if form.errors else 200)


def _lead_partnership(form: LeadPartnershipForm) -> int | None:
    """The partnership whose staff may lead: the planner's own, or one an admin picks."""
    partnerships = db.session.scalars(policy.partnerships_for(current_user)).all()
    form.partnership.choices = [(p.id, str(p)) for p in partnerships]
    if len(partnerships) == 1:
        return partnerships[0].id
    if request.args.get("partnership") and form.validate():
        return form.partnership.data
    return current_user.partnership_id


def _planned_concern() -> Concern | None:
    """The concern a visit is planned about (`?concern=`, then the form's hidden field): one
    the planner may read (else 404) and plan a visit about (else 403)."""
    raw = (
        request.form.get("concern_id") if request.method == "POST" else request.args.get("concern")
    )
    if not raw:
        return None
    concern_id = inputs.query_id(raw)
    if concern_id is None:
        abort(404)
    stmt = policy.concerns_for(current_user).options(
        joinedload(Concern.provider), joinedload(Concern.visit)
    )
    concern = policy.get_or_404(stmt, id=concern_id)
    policy.require(current_user, "plan_visit", concern)
    return concern


def _prefill(form: ScheduleForm, concern: Concern | None) -> None:
    form.lead_id.data = current_user.id
    form.visit_type.data = VisitType.ANNUAL.value
    if chosen := _number(request.args.get("provider")):
        form.provider_id.data = chosen
    if concern:
        form.provider_id.data = concern.provider_id
        form.visit_type.data = concerns.visit_type_for(concern).value
        form.purpose.data = concerns.visit_purpose(concern)
        form.concern_id.data = concern.id


def _schedule(form: ScheduleForm, leads: list[User], concern: Concern | None) -> Visit:
    provider = policy.get_or_404(policy.providers_for(current_user), id=form.provider_id.data)
    visit = services.schedule_visit(
        current_user,
        provider,
        visit_type=VisitType(form.visit_type.data),
        visit_date=form.visit_date.data,
        lead=next(u for u in leads if u.id == form.lead_id.data),
        invitees=[],
        purpose=form.purpose.data or "",
        today=clock.today(),
        link=_link,
    )
    if concern:
        concerns.link_visit(current_user, concern, visit)
    return visit


@bp.route("/new", methods=["GET", "POST"])
@policy.role_required(*PLANNERS)
def new():
    form = ScheduleForm()
    concern = _planned_concern()
    providers = db.session.scalars(
        policy.providers_for(current_user).where(Provider.status != ProviderStatus.CLOSED)
    ).all()
    form.provider_id.choices = [(p.id, p.name) for p in providers]
    chooser = LeadPartnershipForm(request.args)
    leads = db.session.scalars(services.leads_for(current_user, _lead_partnership(chooser))).all()
    form.lead_id.choices = [(u.id, _label(u)) for u in leads]
    if request.method == "GET":
        _prefill(form, concern)
    if (
        form.validate_on_submit()
        and (visit := rules.apply(form, lambda: _schedule(form, leads, concern)))
        is not rules.FAILED
    ):
        flash("Visit scheduled. Search below to invite heads and staff to join.", "success")
        return redirect(url_for("visits.detail", visit_id=visit.id, _anchor="invite"))
    many = len(chooser.partnership.choices) > 1
    return render_template(
        "visits/new.html", form=form, chooser=chooser if many else None, concern=concern
    )


@dataclass
class PeopleSearch:
    """The invitation search on a visit's page: what was asked and who matches it."""

    form: PeopleSearchForm
    matches: list[User] = field(default_factory=list)
    more: bool = False  # more than PEOPLE_SHOWN match: the search should be narrower

    @property
    def searched(self) -> bool:
        return bool(self.form.people.data) and not self.form.errors


def _people(visit: Visit) -> PeopleSearch:
    """At most PEOPLE_SHOWN of those who may be invited, matching `?people=`."""
    search = PeopleSearch(PeopleSearchForm(request.args))
    if search.form.validate() and search.form.people.data:
        stmt = services.find_people(services.invitable(visit), search.form.people.data)
        found = db.session.scalars(stmt.limit(services.PEOPLE_SHOWN + 1)).all()
        search.matches = found[: services.PEOPLE_SHOWN]
        search.more = len(found) > services.PEOPLE_SHOWN
    return search


def _invite_form(visit: Visit, people: list[User]) -> InviteForm:
    form = InviteForm()
    form.invitee_ids.choices = [(u.id, _label(u)) for u in people]
    return form


def _posted_people(visit: Visit) -> list[User]:
    """Those ticked on the invitation form who may still be invited (a bounded number)."""
    ids = {n for raw in request.form.getlist("invitee_ids")[:INVITE_AT_ONCE] if (n := _number(raw))}
    if not ids:
        return []
    return list(db.session.scalars(services.invitable(visit).where(User.id.in_(ids))))


def _pupil_form(form: PupilForm | None = None) -> PupilForm:
    form = form or PupilForm(formdata=None)
    schools = db.session.scalars(select(School).order_by(School.name))
    form.school_id.choices = [(0, "Not known")] + [(s.id, s.name) for s in schools]
    return form


def _again(visit_id: int, **loads) -> Visit:
    """The visit read again for a page that shows a refused form: a rollback forgets what was
    loaded, and a page may need more of the visit than the action did."""
    return policy.visit_or_404(current_user, visit_id, **loads)


def _placed_form(
    listed: list[fieldwork.Placed], form: PlacedPupilsForm | None = None
) -> PlacedPupilsForm:
    """The tick list of the pupils placed at the provider on the visit's date, those already
    seen ticked (or, after a refusal, what was sent)."""
    if form is None:
        form = PlacedPupilsForm(formdata=None, pupil_ids=[i.pupil.id for i in listed if i.seen])
    form.pupil_ids.choices = [(item.pupil.id, item.label) for item in listed]
    return form


def _listed(visit: Visit, forms: dict) -> list[fieldwork.Placed]:
    if "listed" in forms:  # the list a refused tick list was checked against
        return forms["listed"]
    return fieldwork.placed_pupils(visit, policy.pupils_for(current_user))


def _detail_page(visit: Visit, status: int = 200, **forms):
    can_answer = policy.can(current_user, "answer", visit)
    can_invite = policy.can(current_user, "invite", visit)
    people = _people(visit) if can_invite else None
    form = forms.get("form")
    if people and form is None:
        form = _invite_form(visit, people.matches)
    elif people:  # a refused invitation: what was ticked, and the search's matches again
        ticked = {value for value, _ in form.invitee_ids.choices}
        form.invitee_ids.choices += [
            (u.id, _label(u)) for u in people.matches if u.id not in ticked
        ]
    return render_template(
        "visits/detail.html",
        visit=visit,
        form=form,
        people=people,
        response_form=ResponseForm(),
        pupil_form=_pupil_form(forms.get("pupil_form")) if can_answer else None,
        placed_form=_placed_form(_listed(visit, forms), forms.get("placed_form"))
        if can_answer
        else None,
        check_form=CheckForm(formdata=None),
        check_errors=forms.get("check_errors", {}),
        pupils=policy.pupils_seen_for(current_user, visit),
        to_check=fieldwork.actions_to_check(visit, current_user),
        can_invite=can_invite,
        can_answer=can_answer,
        can_amend=policy.can(current_user, "amend", visit),
        can_sign=policy.can(current_user, "sign_off", visit),
        VisitStatus=VisitStatus,
    ), (400 if people and people.form.errors and status == 200 else status)


@bp.route("/<int:visit_id>", methods=["GET", "POST"])
@policy.role_required(*Role)
def detail(visit_id: int):
    visit = policy.visit_or_404(current_user, visit_id, with_page=True)
    if request.method == "GET":
        return _detail_page(visit)
    policy.require(current_user, "invite", visit)
    posted = _posted_people(visit)
    form = _invite_form(visit, posted)
    if form.validate_on_submit():
        chosen = [u for u in posted if u.id in set(form.invitee_ids.data)]
        services.invite(current_user, visit, chosen, _link)
        db.session.commit()
        flash(f"{len(chosen)} invitation(s) emailed.", "success")
        return redirect(url_for("visits.detail", visit_id=visit.id))
    return _detail_page(visit, form=form)


@bp.route("/<int:visit_id>/people")
@policy.role_required(*Role)
def people(visit_id: int):
    """The invitation search for the page's script: at most PEOPLE_SHOWN matches, as JSON."""
    visit = policy.visit_or_404(current_user, visit_id)
    if not policy.can(current_user, "invite", visit):
        return {"error": "You cannot invite people to this visit"}, 403
    try:
        search = inputs.clean_text(
            request.args.get("q"), field="q", label="The search", max_length=100
        )
    except rules.RuleBroken as exc:
        return {"error": str(exc)}, 400
    found = []
    if search:
        stmt = services.find_people(services.invitable(visit), search)
        found = db.session.scalars(stmt.limit(services.PEOPLE_SHOWN + 1)).all()
    return {
        "people": [{"id": u.id, "label": _label(u)} for u in found[: services.PEOPLE_SHOWN]],
        "more": len(found) > services.PEOPLE_SHOWN,
    }


@bp.route("/<int:visit_id>/pupils", methods=["POST"])
@policy.role_required(*Role)
def add_pupil(visit_id: int):
    """A pupil seen. Sent as an ordinary form, never queued: names stay off the phone."""
    visit = policy.visit_or_404(current_user, visit_id)
    policy.require(current_user, "answer", visit)
    form = _pupil_form(PupilForm())
    if form.validate_on_submit():
        school = db.session.get(School, form.school_id.data) if form.school_id.data else None
        try:
            fieldwork.add_pupil(current_user, visit, form.name.data, school, form.note.data or "")
        except fieldwork.FieldworkError as exc:
            db.session.rollback()
            getattr(form, exc.field, form.name).errors = [str(exc)]
        else:
            db.session.commit()
            flash("Pupil added to the visit.", "success")
            return redirect(url_for("visits.detail", visit_id=visit.id, _anchor="pupils"))
    return _detail_page(_again(visit_id, with_page=True), 400, pupil_form=form)


@bp.route("/<int:visit_id>/pupils/placed", methods=["POST"])
@policy.role_required(*Role)
def record_placed_pupils(visit_id: int):
    """The pupils ticked from the provider's placements, those the user may see. Sent as an
    ordinary form, never queued: names stay off the phone."""
    visit = policy.visit_or_404(current_user, visit_id, with_page=True)
    policy.require(current_user, "answer", visit)
    listed = fieldwork.placed_pupils(visit, policy.pupils_for(current_user))
    form = _placed_form(listed, PlacedPupilsForm())
    if form.validate_on_submit():
        try:
            added, removed = fieldwork.record_placed_pupils(
                current_user, visit, listed, set(form.pupil_ids.data or ())
            )
            db.session.commit()
        except fieldwork.FieldworkError as exc:
            db.session.rollback()
            form.pupil_ids.errors = [str(exc)]
        except IntegrityError:  # the same pupil ticked by someone else at the same moment
            db.session.rollback()
            form.pupil_ids.errors = ["Someone else saved pupils seen at the same time: try again"]
        else:
            flash(f"Pupils seen saved: {added} added, {removed} removed.", "success")
            return redirect(url_for("visits.detail", visit_id=visit.id, _anchor="pupils"))
    return _detail_page(visit, 400, placed_form=form, listed=listed)


@bp.route("/<int:visit_id>/pupils/<int:pupil_id>/remove", methods=["POST"])
@policy.role_required(*Role)
def remove_pupil(visit_id: int, pupil_id: int):
    visit = policy.visit_or_404(current_user, visit_id)
    policy.require(current_user, "answer", visit)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        fieldwork.remove_pupil(current_user, visit, pupil_id)
    except fieldwork.FieldworkError:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash("Pupil removed from the visit.", "success")
    return redirect(url_for("visits.detail", visit_id=visit.id, _anchor="pupils"))


@bp.route("/<int:visit_id>/previous-actions/<int:action_id>", methods=["POST"])
@policy.role_required(*Role)
def check_action(visit_id: int, action_id: int):
    """What this visit found of an action the provider's last visit left."""
    visit = policy.visit_or_404(current_user, visit_id)
    policy.require(current_user, "answer", visit)
    if action_id not in {
        item.action.id for item in fieldwork.actions_to_check(visit, current_user)
    }:
        abort(404)
    form = CheckForm()
    if form.validate_on_submit():
        try:
            fieldwork.check_action(
                current_user, visit, action_id, form.status.data, form.note.data or ""
            )
        except fieldwork.FieldworkError as exc:
            db.session.rollback()
            visit = _again(visit_id, with_page=True)
            return _detail_page(visit, 400, check_errors={action_id: str(exc)})
        db.session.commit()
        flash("Check saved.", "success")
        return redirect(url_for("visits.detail", visit_id=visit.id, _anchor="to-check"))
    problems = " ".join(e for errors in form.errors.values() for e in errors)
    return _detail_page(_again(visit_id, with_page=True), 400, check_errors={action_id: problems})


@bp.route("/<int:visit_id>/amend", methods=["GET", "POST"])
@policy.role_required(*Role)
def amend(visit_id: int):
    """Changing a signed-off visit: one answer at a time, with the reason recorded."""
    visit = policy.visit_or_404(current_user, visit_id)
    policy.require(current_user, "amend", visit)
    form = AmendForm()
    criteria = [c for area in visit.framework.areas for c in area.criteria]
    form.criterion_id.choices = [
        (c.id, f"{area_number}.{c.position} {c.prompt}"[:120])
        for area_number, area in enumerate(visit.framework.areas, 1)
        for c in area.criteria
    ]
    form.rating.choices = [("", "No rating")] + [
        (r.value, r.label) for r in dict.fromkeys(r for c in criteria for r in c.scale)
    ]
    answers = checklist.answers_by_criterion(visit)
    if request.method == "GET" and (chosen := _number(request.args.get("criterion"))):
        form.criterion_id.data = chosen
        current = answers.get(form.criterion_id.data)
        if current:
            form.rating.data = current.rating.value if current.rating else ""
            form.note.data = current.note
    if form.validate_on_submit():
        try:
            amendments.amend(
                current_user,
                visit,
                form.criterion_id.data,
                form.rating.data or None,
                form.note.data or "",
                form.reason.data,
            )
        except signoff.SignOffError as exc:
            db.session.rollback()
            visit = _again(visit_id)
            getattr(form, exc.field, form.reason).errors = [str(exc)]
        else:
            db.session.commit()
            flash("Amendment recorded. The report has been made again.", "success")
            return redirect(url_for("visits.detail", visit_id=visit.id, _anchor="amendments"))
    return render_template("visits/amend.html", visit=visit, form=form, answers=answers), (
        400 if form.errors else 200
    )


@bp.route("/<int:visit_id>/checklist/<int:number>", methods=["GET", "POST"])
@policy.role_required(*Role)
def checklist_area(visit_id: int, number: int):
    """One area of the checklist. Three queries whatever the framework's size: the session,
    the visit, and everything recorded against it (published frameworks are kept in memory)."""
    visit = policy.visit_or_404(current_user, visit_id, with_team=True)
    # A published version is in memory after its first page; a draft is read each time.
    areas = (frameworks_outline.published(visit.framework_id) or outline(visit.framework)).areas
    if not 1 <= number <= len(areas):
        abort(404)
    area = areas[number - 1]
    can_answer = policy.can(current_user, "answer", visit)
    can_observe = policy.can(current_user, "observe", visit)
    if request.method == "POST":
        if not (can_answer or can_observe):
            abort(403)
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            recording.save_area(
                current_user,
                visit,
                area,
                request.form,
                {name: f.stream for name, f in request.files.items() if f.filename},
                observing=can_observe,
                max_bytes=current_app.config["UPLOAD_MAX_BYTES"],
            )
        except checklist.AnswerRefused as exc:
            db.session.rollback()
            visit = _again(visit_id, with_team=True)
            flash(str(exc), "error")
        else:
            db.session.commit()
            return redirect(
                url_for("visits.checklist_area", visit_id=visit.id, number=number + 1)
                if number < len(areas)
                else url_for("visits.detail", visit_id=visit.id)
            )
    recorded = entries.load(visit, current_user)
    return render_template(
        "visits/checklist.html",
        visit=visit,
        areas=areas,
        area=area,
        number=number,
        area_urls=_area_urls(visit.id, len(areas)),
        answers=recorded.answers,
        answered={a.id: recorded.answered(a.criteria) for a in areas},
        previous=recorded.previous,
        photos=recorded.photos,
        observations=recorded.observations,
        can_answer=can_answer,
        can_observe=can_observe,
        new_id=lambda: str(uuid.uuid4()),
    )


def _area_urls(visit_id: int, count: int) -> list[str]:
    """The address of each area's page. The route ends in the area's number, so one url_for
    serves them all (the page lists every area, and is opened all day long)."""
    stem = url_for("visits.checklist_area", visit_id=visit_id, number=1).removesuffix("1")
    return [f"{stem}{number}" for number in range(1, count + 1)]


@bp.route("/<int:visit_id>/answers", methods=["POST"])
@policy.role_required(*Role)
def save_answer(visit_id: int):
    """One answer from the checklist's script, possibly replayed from the phone's queue."""
    visit = policy.visit_or_404(current_user, visit_id)
    observing = not policy.can(current_user, "answer", visit)
    if observing and not policy.can(current_user, "observe", visit):
        return {"error": "You cannot change this visit's answers"}, (
            409 if not visit.is_open else 403
        )
    try:
        outcome, client_id = recording.save_answer(
            current_user, visit, request.get_data(cache=False), observing=observing
        )
        db.session.commit()
    except checklist.AnswerRefused as exc:
        db.session.rollback()
        return {"error": str(exc)}, exc.status
    return {"status": outcome, "client_id": client_id}


@bp.route("/<int:visit_id>/photos", methods=["POST"])
@policy.role_required(*Role)
def add_photo(visit_id: int):
    """One evidence photo, downscaled on the phone first; a repeat of its client id is one."""
    visit = policy.visit_or_404(current_user, visit_id)
    if not (
        policy.can(current_user, "answer", visit) or policy.can(current_user, "observe", visit)
    ):
        return {"error": "You cannot add photos to this visit"}, (409 if not visit.is_open else 403)
    upload = request.files.get("photo")
    criterion = request.form.get("criterion_id", "")
    try:
        outcome, photo = recording.add_photo(
            current_user,
            visit,
            client_id=request.form.get("client_id", ""),
            criterion_id=_number(criterion),
            caption=request.form.get("caption", ""),
            data=upload.read() if upload else b"",
            max_bytes=current_app.config["UPLOAD_MAX_BYTES"],
        )
        db.session.commit()
    except checklist.AnswerRefused as exc:
        db.session.rollback()
        return {"error": str(exc)}, exc.status
    return {
        "status": outcome,
        "client_id": photo.client_id,
        "thumbnail": url_for(
            "visits.photo", visit_id=visit.id, photo_id=photo.id, size="thumbnail"
        ),
    }


@bp.route("/<int:visit_id>/photos/<int:photo_id>/<any(image, thumbnail):size>")
@policy.role_required(*Role)
def photo(visit_id: int, photo_id: int, size: str):
    visit = policy.visit_or_404(current_user, visit_id)
    record = db.session.scalars(
        select(Photo).where(Photo.id == photo_id, Photo.visit_id == visit.id)
    ).first() or abort(404)
    key = record.thumbnail_key if size == "thumbnail" else record.image_key
    stream = storage.get_storage().open_stream(key)
    response = Response(stream, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})
    response.call_on_close(stream.close)
    return response


def _summary_page(visit: Visit, action_form, status: int = 200, errors: dict | None = None):
    proposed = judgements.proposals(visit)
    return render_template(
        "visits/summary.html",
        visit=visit,
        errors=errors or {},
        proposed=proposed,
        action_form=action_form,
        overall=judgements.overall_proposal(list(proposed.values())),
        form=ConfirmForm(),
        Judgement=Judgement,
        can_sign=policy.can(current_user, "sign_off", visit),
        can_answer=policy.can(current_user, "answer", visit),
    ), status


@bp.route("/<int:visit_id>/summary", methods=["GET", "POST"])
@policy.role_required(*Role)
def summary(visit_id: int):
    visit = policy.visit_or_404(current_user, visit_id)
    if request.method == "GET":
        return _summary_page(visit, ActionForm())
    policy.require(current_user, "sign_off", visit)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    decisions = {
        area.id: signoff.AreaDecision(
            request.form.get(f"area-{area.id}") or None, request.form.get(f"reason-{area.id}", "")
        )
        for area in visit.framework.areas
    }
    try:
        signoff.sign_off(
            current_user,
            visit,
            decisions,
            request.form.get("overall"),
            request.form.get("strengths", ""),
            request.form.get("development", ""),
        )
    except rules.RuleBroken as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _summary_page(_again(visit_id), ActionForm(), 400, errors={exc.field: str(exc)})
    db.session.commit()
    flash("Visit signed off. The report is ready.", "success")
    return redirect(url_for("visits.detail", visit_id=visit.id))


@bp.route("/<int:visit_id>/actions", methods=["POST"])
@policy.role_required(*Role)
def add_action(visit_id: int):
    visit = policy.visit_or_404(current_user, visit_id)
    policy.require(current_user, "answer", visit)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            signoff.add_action(
                current_user,
                visit,
                form.description.data,
                form.owner.data,
                form.due_on.data,
                clock.today(),
            )
        except signoff.SignOffError as exc:
            db.session.rollback()
            visit = _again(visit_id)
            getattr(form, exc.field, form.description).errors = [str(exc)]
        else:
            db.session.commit()
            flash("Action added.", "success")
            return redirect(url_for("visits.summary", visit_id=visit.id))
    return _summary_page(visit, form, 400)


@bp.route("/<int:visit_id>/publish", methods=["POST"])
@policy.role_required(Role.ADMIN, Role.STAFF)
def publish(visit_id: int):
    visit = policy.visit_or_404(current_user, visit_id)
    policy.require(current_user, "publish", visit)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        publication.publish(current_user, visit, _link)
    except signoff.SignOffError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("Published: the provider can now read the report and answer its actions.", "success")
    return redirect(url_for("visits.detail", visit_id=visit.id))


@bp.route("/<int:visit_id>/report.pdf")
@policy.role_required(*Role)
def report(visit_id: int):
    visit = policy.visit_or_404(current_user, visit_id)
    data = (
        storage.get_storage().get(visit.report_key)
        if visit.report_key
        else reports.render_report(visit)
    )
    audit.record(
        "visit_report_downloaded",
        actor=current_user,
        target=visit,
        summary=f"Report of {visit} downloaded",
    )
    db.session.commit()
    filename = f"qa-visit-{visit.visit_date:%Y-%m-%d}-{visit.id}.pdf"
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": storage.attachment_disposition(filename),
            "Cache-Control": "no-store",
        },
    )


@bp.route("/<int:visit_id>/actions/<int:action_id>", methods=["POST"])
@policy.role_required(Role.PROVIDER)
def respond(visit_id: int, action_id: int):
    visit = policy.visit_or_404(current_user, visit_id)
    policy.require(current_user, "respond", visit)
    action = next((a for a in visit.actions if a.id == action_id), None) or abort(404)
    form = ResponseForm()
    if form.validate_on_submit() and (
        rules.apply(
            form,
            lambda: responses.respond(current_user, action, form.response.data, form.status.data),
        )
        is not rules.FAILED
    ):
        flash("Response sent.", "success")
    else:
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("visits.detail", visit_id=visit.id))
