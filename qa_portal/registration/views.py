"""The providers the registration guard flags, for those who answer for providers."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from qa_portal import clock, policy
from qa_portal.pagination import paginate_rows
from qa_portal.registration import services

bp = Blueprint("registration", __name__)

PER_PAGE = 50


@bp.route("/providers/registration-check")
@policy.role_required(*policy.WATCHERS)
def index():
    today = clock.today()
    providers = policy.registration_watched_for(current_user)
    page = paginate_rows(services.flagged_providers(providers, today), per_page=PER_PAGE)
    return render_template(
        "registration/index.html",
        page=page,
        rule=services.rule(),
        hours=services.full_time_hours(),
        pupils=services.PUPILS,
    )
