"""Request plumbing shared by every page: the page template's loader and menu, security
headers, caching rules and error pages."""

from __future__ import annotations

import re
from functools import cache

from flask import Flask, current_app, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2 import BaseLoader, Environment, TemplateError
from markupsafe import Markup
from werkzeug.exceptions import SecurityError

from qa_portal import policy
from qa_portal.db import db
from qa_portal.visits import fragments

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

ERRORS = {
    400: ("There is a problem with your request", "Go back, refresh the page and try again."),
    403: (
        "You do not have access to this page",
        "Your role does not include this page. If you think it should, ask your administrator.",
    ),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. The record may not exist, or may "
        "not be shared with you.",
    ),
    405: ("There is a problem with your request", "Go back and try again."),
    410: ("This link no longer works", "Ask for a new link."),
    413: ("What you sent is too large", "Go back and send less, or a smaller file."),
    429: ("Too many requests", "Wait a minute, then try again."),
    500: (
        "Sorry, there is a problem with the service",
        "Try again later. What you entered has not been saved.",
    ),
}


# (endpoint, label, section of the service whose readers see the link (policy.SECTIONS),
#  endpoint prefix that marks the link as the current section)
NAVIGATION = (
    ("main.home", "Home", "home", "main.home"),
    ("partnerships.index", "Partnerships", "partnerships", "partnerships."),
    ("partnerships.index", "My partnership", "own_partnership", "partnerships."),
    ("providers.index", "Providers", "register", "providers."),
    ("providers.index", "Your organisation", "own_provider", "providers."),
    ("providers.expiring", "Expiring", "expiring", "providers.expiring"),
    ("visits.index", "Visits", "visits", "visits."),
    ("pupils.index", "Pupils", "pupils", "pupils."),
    ("placements.index", "Placements", "placements", "placements."),
    ("returns.index", "Returns", "returns", "returns."),
    ("contracts.index", "Contracts", "contracts", "contracts."),
    ("concerns.index", "Concerns", "concerns", "concerns."),
    ("frameworks.index", "QA framework", "frameworks", "frameworks."),
    ("admin.users", "Users", "users", "admin.user"),
    ("providers.kinds", "Documents", "documents", "providers.kind"),
    ("admin.audit_log", "Audit log", "audit", "admin.audit"),
    ("admin.outbox_list", "Outbox", "outbox", "admin.outbox"),
    ("accounts.account", "Your account", "account", "accounts."),
)


def navigation() -> list[dict]:
    """The current user's menu, as govukServiceNavigation's items."""
    links = _links(current_app._get_current_object(), request.script_root, current_user.role)
    endpoint = request.endpoint or ""
    current = max(
        (prefix for *_, prefix in links if endpoint.startswith(prefix)), key=len, default=""
    )
    return [
        {"href": href, "text": label, "current": prefix == current} for href, label, prefix in links
    ]


@cache
def _links(app: Flask, script_root: str, role) -> tuple[tuple[str, str, str], ...]:
    """The menu's links a role sees (policy.SECTIONS), with their addresses."""
    sections = policy.sections_of(role)
    return tuple(
        (url_for(target), label, prefix)
        for target, label, section, prefix in NAVIGATION
        if section in sections
    )


def same_on_every_page(name: str) -> Markup:
    """A template whose markup is the same on every page (the footer), rendered once per
    application and root URL: every page, the checklist first, shows it."""
    if current_app.debug:
        return _render(name)
    return _rendered_once(current_app._get_current_object(), request.script_root, name)


@cache
def _rendered_once(app: Flask, script_root: str, name: str) -> Markup:
    return _render(name)


def _render(name: str) -> Markup:
    return Markup(render_template(name))  # noqa: S704 - our own template, escaped as it renders


PAGE_TEMPLATE = "govuk_frontend_jinja/template.html"
# The one inline script of GOV.UK Frontend's page template, which a strict
# Content-Security-Policy refuses; static/js/enabled.js does the same from a file.
INLINE_SCRIPT = re.compile(r"<script\b[^>]*>document\.body\.className[^<]*</script>")


class PageTemplateLoader(BaseLoader):
    """Templates as `loader` finds them, GOV.UK Frontend's page template without its inline
    script. That script sits outside every block of the template, so a page cannot override it."""

    def __init__(self, loader: BaseLoader) -> None:
        self.loader = loader

    def get_source(self, environment: Environment, template: str):
        source, filename, uptodate = self.loader.get_source(environment, template)
        if template == PAGE_TEMPLATE:
            source, found = INLINE_SCRIPT.subn("", source)
            if found != 1:
                raise TemplateError(f"{PAGE_TEMPLATE}: its inline script has changed, check it")
        return source, filename, uptodate

    def list_templates(self) -> list[str]:
        return self.loader.list_templates()


# Pages that take files accept up to UPLOAD_MAX_BYTES; every other form stays small.
UPLOAD_ENDPOINTS = frozenset(
    {
        "providers.upload",
        "visits.add_photo",
        "visits.checklist_area",
        "contracts.new",
        "contracts.edit",
        "returns.upload",
    }
)


def allow_uploads() -> None:
    """Raise the body limit for upload pages. Registered before CSRF protection, which reads
    the form, so the larger limit already applies when it does."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = current_app.config["UPLOAD_MAX_BYTES"] + 64 * 1024


def init_app(app: Flask) -> None:
    app.jinja_loader = PageTemplateLoader(app.jinja_loader)
    app.add_template_global(policy.can, "policy_can")
    app.add_template_global(navigation)
    app.add_template_global(same_on_every_page)
    app.add_template_global(fragments.legend, "criterion_legend")
    app.add_template_global(fragments.ratings, "criterion_ratings")
    app.after_request(_security_headers)
    for code in ERRORS:
        app.register_error_handler(code, _error_page)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(SecurityError, _untrusted_host)


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=(self)")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    # The checklist's service worker (static/js/sw.js) is kept with the other scripts but
    # must control the visit pages so they reopen with no signal: the browser allows a scope
    # beyond the script's own folder only when the script's response says so.
    if request.endpoint == "static" and (request.view_args or {}).get("filename") == "js/sw.js":
        headers["Service-Worker-Allowed"] = url_for("visits.index") + "/"
    # Signing out leaves no page of the session in the browser's HTTP cache. Not "storage": it
    # would delete checklist answers and photos still waiting on the phone, which the sign-out
    # warning promises to keep (static/js/portal.js clears the offline pages itself). Not
    # "cookies": the session has ended on the server, and the new cookie this response sets
    # carries the "You have signed out" message.
    if request.endpoint == "accounts.sign_out" and request.method == "POST":
        headers["Clear-Site-Data"] = '"cache"'
    # Pages may hold personal data: never keep them in a shared or browser cache. (The
    # service worker keeps its own copy of the checklist pages, in Cache Storage.)
    if request.endpoint != "static" and not headers.get("Cache-Control"):
        headers["Cache-Control"] = "no-store"
        headers["Vary"] = "Cookie"
    return response


def _error_page(error):
    code = getattr(error, "code", 500) or 500
    if code >= 500:
        db.session.rollback()
    title, advice = ERRORS.get(code, ERRORS[500])
    if code == 413:
        limit_mb = (request.max_content_length or 0) / 1_048_576
        advice = f"The largest you can send is {limit_mb:.0f} MB. {advice}"
    return render_template(
        "errors/error.html",
        code=code,
        title=title,
        advice=advice,
        signed_in=current_user.is_authenticated,
    ), code


def _untrusted_host(error):
    # A Host outside TRUSTED_HOSTS: no page to render (no URLs can be built for it).
    return "This server does not answer to that host name.\n", 400, {"Content-Type": "text/plain"}


def _csrf_error(error):
    return render_template(
        "errors/error.html",
        code=400,
        title="Your form has expired",
        advice="For your security, forms stop working after you sign out or when a page was "
        "open too long. Go back, refresh the page and send it again.",
        signed_in=current_user.is_authenticated,
    ), 400
