"""The base of every form: text fields refuse what cannot be stored, whole numbers stay bounded."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import ValidationError

from qa_portal import inputs


def storable_text(form, field) -> None:
    """No NUL or other control character, no half an emoji: PostgreSQL refuses them and
    SQLite would keep them silently."""
    for value in (field.data, *(field.raw_data or ())):
        if isinstance(value, str) and (problem := inputs.text_problem(value)):
            raise ValidationError(problem)


def bounded_whole_number(form, field) -> None:
    """A number no column can hold is refused here, before the database overflows."""
    if isinstance(field.data, int) and not -inputs.MAX_ID <= field.data <= inputs.MAX_ID:
        raise ValidationError(f"{field.label.text} must be {inputs.MAX_ID:,} or less")


class PortalForm(FlaskForm):
    """Every form of the portal inherits this (a test walks them all): each text field gets
    `storable_text`, each whole number `bounded_whole_number`, after its own validators."""

    def validate(self, extra_validators=None):
        extra = {name: list(checks) for name, checks in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            if isinstance(field, StringField):
                extra.setdefault(name, []).append(storable_text)
            elif isinstance(field, IntegerField):
                extra.setdefault(name, []).append(bounded_whole_number)
        return super().validate(extra)
