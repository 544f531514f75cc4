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
from sqlalchemy.exc import IntegrityError

from qa_portal import audit, clock, policy, storage
from qa_portal.accounts.forms import ConfirmForm
from qa_portal.accounts.models import Role, User
from qa_portal.db import db
from qa_portal.frameworks.models import Criterion, FrameworkArea
from qa_portal.providers.models import Provider, ProviderStatus
from qa_portal.visits import checklist, photos, services, signoff
from qa_portal.visits.forms import ActionForm, InviteForm, ResponseForm, ScheduleForm
from qa_portal.visits.models import Answer, Judgement, Photo, Visit, VisitStatus, VisitType

bp = Blueprint("visits", __name__, url_prefix="/visits")

PLANNERS = (Role.ADMIN, Role.STAFF)


def _link(visit: Visit) -> str:
    return url_for("visits.detail", visit_id=visit.id, _external=True)


def _people(roles) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_(roles), User.disabled_at.is_(None))
            .order_by(User.role, User.name)
        )
    )


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
        if request.args.get("provider", "").isdigit():
            form.provider_id.data = int(request.args["provider"])
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


@bp.route("/<int:visit_id>", methods=["GET", "POST"])
@policy.role_required(*Role)
def detail(visit_id: int):
    visit = policy.get_or_404(policy.visits_for(current_user), id=visit_id)
    form = InviteForm()
    invited = {i.user_id for i in visit.invitees}
    candidates = [u for u in _people(services.INVITEE_ROLES) if u.id not in invited]
    form.invitee_ids.choices = [(u.id, _label(u)) for u in candidates]
    if request.method == "POST":
        policy.require(current_user, "invite", visit)
        if form.validate_on_submit():
            chosen = [u for u in candidates if u.id in set(form.invitee_ids.data)]
            services.invite(current_user, visit, chosen, _link)
            db.session.commit()
            flash(f"{len(chosen)} invitation(s) emailed.", "success")
            return redirect(url_for("visits.detail", visit_id=visit.id))
    return render_template(
        "visits/detail.html",
        visit=visit,
        form=form,
        response_form=ResponseForm(),
        can_invite=policy.can(current_user, "invite", visit),
        VisitStatus=VisitStatus,
    )


def _area_of(visit: Visit, number: int):
    areas = visit.framework.areas
    if not 1 <= number <= len(areas):
        abort(404)
    return areas, areas[number - 1]


def _previous_answers(visit: Visit) -> dict[tuple[str, str], Answer]:
    before = checklist.previous_visit(visit)
    if before is None:
        return {}
    rows = db.session.execute(
        select(Answer, Criterion.code, FrameworkArea.code)
        .join(Criterion, Criterion.id == Answer.criterion_id)
        .join(FrameworkArea, FrameworkArea.id == Criterion.area_id)
        .where(Answer.visit_id == before.id)
    )
    return {(area_code, code): answer for answer, code, area_code in rows}


@bp.route("/<int:visit_id>/checklist/<int:number>", methods=["GET", "POST"])
@policy.role_required(*Role)
def checklist_area(visit_id: int, number: int):
    visit = policy.get_or_404(policy.visits_for(current_user), id=visit_id)
    areas, area = _area_of(visit, number)
    can_answer = policy.can(current_user, "answer", visit)
    if request.method == "POST":
        policy.require(current_user, "answer", visit)
        if not ConfirmForm().validate_on_submit():
            abort(400)
        problems = _save_form(visit, area)
        if not problems:
            db.session.commit()
            target = number + 1 if number < len(areas) else None
            return redirect(
                url_for("visits.checklist_area", visit_id=visit.id, number=target)
                if target
                else url_for("visits.detail", visit_id=visit.id)
            )
        db.session.rollback()
        flash(" ".join(problems), "error")
    answers = checklist.answers_by_criterion(visit)
    answered = {a.id: sum(1 for c in a.criteria if c.id in answers) for a in areas}
    return render_template(
        "visits/checklist.html",
        visit=visit,
        areas=areas,
        area=area,
        number=number,
        answers=answers,
        answered=answered,
        previous=_previous_answers(visit),
        can_answer=can_answer,
        photos=photos.photos_by_criterion(visit),
        form=ConfirmForm(),
        new_id=lambda: str(uuid.uuid4()),
    )


def _save_form(visit: Visit, area) -> list[str]:
    """The no-JavaScript path: each changed criterion saved under the client id the page
    carried, so sending the same page twice stores each answer once."""
    problems, now = [], checklist.now_ms()
    current = checklist.answers_by_criterion(visit)
    for criterion in area.criteria:
        upload = request.files.get(f"photo-{criterion.id}")
        if upload and upload.filename:
            try:
                photos.add_photo(
                    current_user,
                    visit,
                    client_id=request.form.get(f"photo-client-{criterion.id}", ""),
                    criterion_id=criterion.id,
                    caption=request.form.get(f"caption-{criterion.id}", ""),
                    data=upload.read(),
                    max_bytes=current_app.config["UPLOAD_MAX_BYTES"],
                )
            except checklist.AnswerRefused as exc:
                problems.append(f"Photo for criterion {criterion.position}: {exc}")
        rating = request.form.get(f"rating-{criterion.id}") or None
        note = (request.form.get(f"note-{criterion.id}") or "").strip()
        old = current.get(criterion.id)
        if (rating, note) == (
            (old.rating.value if old and old.rating else None),
            old.note if old else "",
        ):
            continue
        payload = {
            "client_id": request.form.get(f"client-{criterion.id}"),
            "criterion_id": criterion.id,
            "rating": rating,
            "note": note,
            "answered_at": now.isoformat(),
        }
        try:
            checklist.save_answer(current_user, visit, checklist.parse(payload, now))
        except checklist.AnswerRefused as exc:
            problems.append(str(exc))
    return problems


@bp.route("/<int:visit_id>/answers", methods=["POST"])
@policy.role_required(*Role)
def save_answer(visit_id: int):
    """One answer from the checklist's script, possibly replayed from the phone's queue."""
    visit = policy.get_or_404(policy.visits_for(current_user), id=visit_id)
    if not policy.can(current_user, "answer", visit):
        return {"error": "You cannot change this visit's answers"}, (
            409 if not visit.is_open else 403
        )
    try:
        answer = checklist.parse(request.get_json(silent=True), checklist.now_ms())
        outcome = checklist.save_answer(current_user, visit, answer)
        db.session.commit()
    except checklist.AnswerRefused as exc:
        db.session.rollback()
        return {"error": str(exc)}, exc.status
    except IntegrityError:
        # The same queued answer arrived twice at once: the other request stored it.
        db.session.rollback()
        try:
            outcome = checklist.repeat_of(answer) or "stored"
        except checklist.AnswerRefused as exc:
            return {"error": str(exc)}, exc.status
    return {"status": outcome, "client_id": answer.client_id}


@bp.route("/<int:visit_id>/photos", methods=["POST"])
@policy.role_required(*Role)
def add_photo(visit_id: int):
    """One evidence photo, downscaled on the phone first; a repeat of its client id is one."""
    visit = policy.get_or_404(policy.visits_for(current_user), id=visit_id)
    if not policy.can(current_user, "answer", visit):
        return {"error": "You cannot add photos to this visit"}, (409 if not visit.is_open else 403)
    upload = request.files.get("photo")
    criterion = request.form.get("criterion_id", "")
    try:
        outcome, photo = photos.add_photo(
            current_user,
            visit,
            client_id=request.form.get("client_id", ""),
            criterion_id=int(criterion) if criterion.isdigit() else None,
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
    visit = policy.get_or_404(policy.visits_for(current_user), id=visit_id)
    record = db.session.scalars(
        select(Photo).where(Photo.id == photo_id, Photo.visit_id == visit.id)
    ).first() or abort(404)
    key = record.thumbnail_key if size == "thumbnail" else record.image_key
    stream = storage.get_storage().open_stream(key)
    response = Response(
        stream, mimetype="image/jpeg", headers={"Cache-Control": "private, max-age=86400"}
    )
    response.call_on_close(stream.close)
    return response


def _summary_page(visit: Visit, action_form, status: int = 200):
    proposed = signoff.proposals(visit)
    return render_template(
        "visits/summary.html",
        visit=visit,
        proposed=proposed,
        action_form=action_form,
        overall=signoff.overall_proposal(list(proposed.values())),
        form=ConfirmForm(),
        Judgement=Judgement,
        can_sign=visit.is_open
        and (current_user.id == visit.lead_id or current_user.role is Role.ADMIN),
        can_answer=policy.can(current_user, "answer", visit),
    ), status


@bp.route("/<int:visit_id>/summary", methods=["GET", "POST"])
@policy.role_required(*Role)
def summary(visit_id: int):
    visit = policy.get_or_404(policy.visits_for(current_user), id=visit_id)
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
    except signoff.SignOffError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _summary_page(visit, ActionForm(), 400)
    db.session.commit()
    flash("Visit signed off. The report is ready.", "success")
    return redirect(url_for("visits.detail", visit_id=visit.id))


@bp.route("/<int:visit_id>/actions", methods=["POST"])
@policy.role_required(*Role)
def add_action(visit_id: int):
    visit = policy.get_or_404(policy.visits_for(current_user), id=visit_id)
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
    visit = policy.get_or_404(policy.visits_for(current_user), id=visit_id)
    if current_user.id != visit.lead_id and current_user.role is not Role.ADMIN:
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        signoff.publish(current_user, visit, _link)
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
    visit = policy.get_or_404(policy.visits_for(current_user), id=visit_id)
    data = (
        storage.get_storage().get(visit.report_key)
        if visit.report_key
        else signoff.render_report(visit)
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
    visit = policy.get_or_404(policy.visits_for(current_user), id=visit_id)
    action = next((a for a in visit.actions if a.id == action_id), None) or abort(404)
    form = ResponseForm()
    if form.validate_on_submit():
        signoff.respond(current_user, action, form.response.data, form.status.data)
        db.session.commit()
        flash("Response sent.", "success")
    else:
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("visits.detail", visit_id=visit.id))
