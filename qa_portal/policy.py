"""Who may see or do what: the one place where scope and permissions are decided.

Records are loaded through the scoped queries below, so a record outside a user's scope is
simply not found (404). Role checks on routes use `role_required` (403); per-record actions use
`can(user, action, record)`.
"""

from __future__ import annotations

from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Select, false, select

from qa_portal.accounts.models import Role, User
from qa_portal.db import db
from qa_portal.partnerships.models import Partnership, School
from qa_portal.providers.models import Provider

T = TypeVar("T")

COUNTY_WIDE = (Role.ADMIN, Role.OFFICER)


def role_required(*roles: Role):
    """Signed-in users of the given roles only; others get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return login_required(wrapped)

    return decorator


def partnerships_for(user: User) -> Select[tuple[Partnership]]:
    stmt = select(Partnership).order_by(Partnership.code)
    if user.role in COUNTY_WIDE:
        return stmt
    if user.role is Role.STAFF:
        return stmt.where(Partnership.id == user.partnership_id)
    if user.role is Role.HEAD:
        return stmt.join(School).where(School.id == user.school_id)
    return stmt.where(false())


def schools_for(user: User) -> Select[tuple[School]]:
    stmt = select(School).order_by(School.name)
    if user.role in COUNTY_WIDE:
        return stmt
    if user.role is Role.STAFF:
        return stmt.where(School.partnership_id == user.partnership_id)
    if user.role is Role.HEAD:
        return stmt.where(School.id == user.school_id)
    return stmt.where(false())


def providers_for(user: User) -> Select[tuple[Provider]]:
    """The register is county-wide; a provider user sees only its own entry."""
    stmt = select(Provider).order_by(Provider.name)
    if user.role is Role.PROVIDER:
        return stmt.where(Provider.id == user.provider_id)
    return stmt


def users_for(user: User) -> Select[tuple[User]]:
    stmt = select(User).order_by(User.name)
    if user.role is Role.ADMIN:
        return stmt
    return stmt.where(User.id == user.id)


def get_or_404(stmt: Select[tuple[T]], **filters: Any) -> T:
    """Load one record from a scoped query, or 404 when it is absent or out of scope."""
    entity = stmt.column_descriptions[0]["entity"]
    for name, value in filters.items():
        stmt = stmt.where(getattr(entity, name) == value)
    record = db.session.scalars(stmt.limit(1)).first()
    if record is None:
        abort(404)
    return record


def can(user: User, action: str, record: object) -> bool:
    """Per-record permission; `record` must already be in the user's scope."""
    if not getattr(user, "is_authenticated", False):
        return False
    rule = _RULES.get((type(record).__name__, action))
    return bool(rule and rule(user, record))


def _admin_only(user: User, record: object) -> bool:
    return user.role is Role.ADMIN


_RULES = {
    ("Partnership", "edit"): _admin_only,
    ("School", "edit"): _admin_only,
    ("User", "edit"): _admin_only,
}
