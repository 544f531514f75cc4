"""The demo's registration guard: one provider that trips it.

Market Bosworth Farm School was registered with Ofsted when HBEP and LIP placed their
full-time pupils there; the demo records its registration as cancelled since, so the guard
flags it: an unregistered provider educating full-time pupils of compulsory school age from
two partnerships, which neither partnership sees on its own.
"""

from __future__ import annotations

from sqlalchemy import select

from qa_portal.db import db
from qa_portal.providers.models import Provider

FLAGGED = "Market Bosworth Farm School"


def seed_registration_guard() -> None:
    provider = db.session.scalars(select(Provider).where(Provider.name == FLAGGED)).first()
    if provider is None:
        return
    provider.ofsted_registered = False
    provider.ofsted_urn = None
    provider.ofsted_registration_type = None
    db.session.flush()
