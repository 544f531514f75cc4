"""The error every service raises when a rule is broken, naming the form field it concerns, and
the one helper a view uses to commit a service call or show why it was refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qa_portal.db import db


class RuleBroken(Exception):
    """The message is shown to the person; `field` names the form field it belongs next to."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


# What `apply` returns when the call broke a rule (None can be a call's real result).
FAILED: Any = object()


def apply(form, action: Callable[[], Any]) -> Any:
    """Run one service call and commit. When it breaks a rule, roll back, put the message
    next to its field (or in the page's error summary when the form has no such field) and
    return FAILED."""
    try:
        result = action()
    except RuleBroken as exc:
        db.session.rollback()
        show_error(form, exc)
        return FAILED
    db.session.commit()
    return result


def show_error(form, exc: RuleBroken) -> None:
    """The message next to the field it names, else at the top of the form."""
    field = form._fields.get(exc.field) if exc.field else None
    if field is None:
        form.form_errors.append(str(exc))
        return
    field.errors = [*field.errors, str(exc)] if isinstance(field.errors, list) else [str(exc)]
