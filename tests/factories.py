"""Build valid records in one line."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from qa_portal.accounts.models import Role, User
from qa_portal.accounts.services import set_password
from qa_portal.db import db
from qa_portal.partnerships.models import Partnership, School
from qa_portal.providers.models import Provider

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def partnership(code: str = "HBEP") -> Partnership:
    return db.session.scalars(select(Partnership).where(Partnership.code == code)).one()


def school(code: str = "HBEP", index: int = 0) -> School:
    return partnership(code).schools[index]


def provider(name: str | None = None) -> Provider:
    record = Provider(name=name or f"Test Provider {next(_counter)}")
    db.session.add(record)
    db.session.flush()
    return record


def user(role: Role | str = Role.ADMIN, *, password: str | None = PASSWORD, **fields) -> User:
    """A user of the role, given the affiliation the role needs unless one is passed."""
    role = Role(role)
    n = next(_counter)
    fields.setdefault("email", f"{role.value}{n}@example.org")
    fields.setdefault("name", f"Test {role.label} {n}")
    if role is Role.STAFF and "partnership" not in fields:
        fields["partnership"] = partnership("HBEP")
    if role is Role.HEAD and "school" not in fields:
        fields["school"] = school("HBEP")
    if role is Role.PROVIDER and "provider" not in fields:
        fields["provider"] = provider()
    record = User(role=role, **fields)
    if password:
        set_password(record, password)
    db.session.add(record)
    db.session.flush()
    return record
