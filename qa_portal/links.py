"""Absolute links for email, built on the configured PUBLIC_URL, never on a request's Host."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def external(endpoint: str, **values) -> str:
    """The full address of a page, e.g. external("visits.detail", visit_id=3); works outside a
    request too (the email worker, the daily reminders)."""
    parts = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path.rstrip("/") or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)
