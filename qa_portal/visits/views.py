"""Visit pages: what is coming up and overdue, scheduling, a visit and its invitations."""

from __future__ import annotations

import uuid

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

from qa_portal import audit, clock, links, policy, rules, storage
from qa_portal.accounts.forms import ConfirmForm
from qa_portal.accounts.models import Role, User
from qa_portal.db import db
from qa_portal.frameworks import outline as frameworks_outline
from qa_portal.frameworks.outline import outline
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
)
from qa_portal.visits.forms import (
    ActionForm,
    AmendForm,
    CheckForm,
    InviteForm,
    PupilForm,
    ResponseForm,
    ScheduleForm,
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


def _link(visit: Visit) -> str:
    return links.external("visits.detail", visit_id=visit.id)


def _people(roles) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_(roles), User.disabled_at.is_(None))
            .order_by(User.role, User.name)
        )
    )


def _number(text: str | None) -> int | None:
    """A plain decimal id from a query string or form, else None ("²".isdigit() is true)."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdecimal() and len(text) < 12 else None


def _label(user: User) -> str:
    return f"{user.name} ({user.affiliation})"


@bp.route("")
@policy.role_required(*Role)
def index():
    today = clock.today()
    visits = db.session.scalars(policy.visits_for(current_user)).all()
    upcoming = sorted((v for v in visits if v.is_open), key=lambda v: v.visit_date)
    past = [v for v in visits if not v.is_open]
    watched = (
        db.session.scalars(policy.watched_providers_for(current_user)).all()
        if current_user.role in (Role.ADMIN, Role.OFFICER, Role.STAFF)
        else []
    )
    return render_template(
        "visits/index.html",
        upcoming=upcoming,
        past=past[:50],
        today=today,
        overdue=services.overdue(watched, today),
    )


@bp.route("/new", methods=["GET", "POST"])
@policy.role_required(*PLANNERS)
def new():
    form = ScheduleForm()
    providers = db.session.scalars(
        policy.providers_for(current_user).where(Provider.status != ProviderStatus.CLOSED)
    ).all()
    form.provider_id.choices = [(p.id, p.name) for p in providers]
    leads = _people(services.LEAD_ROLES)
    form.lead_id.choices = [(u.id, _label(u)) for u in leads]
    invitable = _people(services.INVITEE_ROLES)
    form.invitee_ids.choices = [(u.id, _label(u)) for u in invitable]
    if request.method == "GET":
        form.lead_id.data = current_user.id
        form.visit_type.data = VisitType.ANNUAL.value
        if chosen := _number(request.args.get("provider")):
            form.provider_id.data = chosen
    if form.validate_on_submit():
        provider = policy.get_or_404(policy.providers_for(current_user), id=form.provider_id.data)
        chosen = [u for u in invitable if u.id in set(form.invitee_ids.data or [])]
        lead = next(u for u in leads if u.id == form.lead_id.data)
        try:
            visit = services.schedule_visit(
                current_user,
                provider,
                visit_type=VisitType(form.visit_type.data),
                visit_date=form.visit_date.data,
                lead=lead,
                invitees=chosen,
                purpose=form.purpose.data or "",
                today=clock.today(),
                link=_link,
            )
        except services.VisitError as exc:
            db.session.rollback()
            getattr(form, exc.field, form.visit_date).errors = [str(exc)]
        else:
            db.session.commit()
            flash(f"Visit scheduled. {len(visit.invitees)} invitation(s) emailed.", "success")
            return redirect(url_for("visits.detail", visit_id=visit.id))
    return render_template("visits/new.html", form=form)


def _invite_form(visit: Visit) -> tuple[InviteForm, list[User]]:
    form = InviteForm()
    invited = {i.user_id for i in visit.invitees}
    candidates = [u for u in _people(services.INVITEE_ROLES) if u.id not in invited]
    form.invitee_ids.choices = [(u.id, _label(u)) for u in candidates]
    return form, candidates


def _pupil_form(form: PupilForm | None = None) -> PupilForm:
    form = form or PupilForm(formdata=None)
    schools = db.session.scalars(select(School).order_by(School.name))
    form.school_id.choices = [(0, "Not known")] + [(s.id, s.name) for s in schools]
    return form


def _detail_page(visit: Visit, status: int = 200, **forms):
    can_answer = policy.can(current_user, "answer", visit)
    return render_template(
        "visits/detail.html",
        visit=visit,
        form=forms.get("form") or _invite_form(visit)[0],
        response_form=ResponseForm(),
        pupil_form=_pupil_form(forms.get("pupil_form")) if can_answer else None,
        check_form=CheckForm(formdata=None),
        check_errors=forms.get("check_errors", {}),
        pupils=policy.pupils_seen_for(current_user, visit),
        to_check=fieldwork.actions_to_check(visit, current_user),
        can_invite=policy.can(current_user, "invite", visit),
        can_answer=can_answer,
        can_amend=policy.can(current_user, "amend", visit),
        can_sign=policy.can(current_user, "sign_off", visit),
        VisitStatus=VisitStatus,
    ), status


@bp.route("/<int:visit_id>", methods=["GET", "POST"])
@policy.role_required(*Role)
def detail(visit_id: int):
    visit = policy.visit_or_404(current_user, visit_id)
    form, candidates = _invite_form(visit)
    if request.method == "POST":
        policy.require(current_user, "invite", visit)
        if form.validate_on_submit():
            chosen = [u for u in candidates if u.id in set(form.invitee_ids.data)]
            services.invite(current_user, visit, chosen, _link)
            db.session.commit()
            flash(f"{len(chosen)} invitation(s) emailed.", "success")
            return redirect(url_for("visits.detail", visit_id=visit.id))
    return _detail_page(visit, form=form)


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
    return _detail_page(visit, 400, pupil_form=form)


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
            return _detail_page(visit, 400, check_errors={action_id: str(exc)})
        db.session.commit()
        flash("Check saved.", "success")
        return redirect(url_for("visits.detail", visit_id=visit.id, _anchor="to-check"))
    problems = " ".join(e for errors in form.errors.values() for e in errors)
    return _detail_page(visit, 400, check_errors={action_id: problems})


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
    policy.require(current_user, "answer", visit)
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
        return _summary_page(visit, ActionForm(), 400, errors={exc.field: str(exc)})
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
    if current_user.id != visit.lead_id and current_user.role is not Role.ADMIN:
        abort(403)
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
