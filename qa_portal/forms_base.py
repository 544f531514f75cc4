"""The base of every form: text fields refuse what cannot be stored, whole numbers stay bounded."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectFieldBase, StringField
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
        valid = super().validate(extra)
        for field in self._fields.values():
            if isinstance(field, SelectFieldBase):
                _blank_is_no_choice(field)
        return valid


def _blank_is_no_choice(field: SelectFieldBase) -> None:
    """`Optional()` takes a choice of only spaces for no choice, and clears the "not a valid
    choice" error; the field's data must then say no choice too, never the spaces."""
    if isinstance(field.data, str) and not field.data.strip():
        field.data = ""
    elif isinstance(field.data, list):
        field.data = [
            item for item in field.data if not (isinstance(item, str) and not item.strip())
        ]
