"""Every form of the portal shares the input guards: storable text, bounded lengths and numbers."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField, StringField
from wtforms.validators import Length, NumberRange

import qa_portal
from qa_portal.forms_base import PortalForm

# A new password is bounded by accounts.services.password_problem, which says so in its words.
BOUNDED_ELSEWHERE = {("SetPasswordForm", "password"), ("ChangePasswordForm", "password")}


def _all_form_classes() -> list[type]:
    for module in pkgutil.walk_packages(qa_portal.__path__, "qa_portal."):
        importlib.import_module(module.name)
    found, todo = [], [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("qa_portal.") and sub is not PortalForm:
                found.append(sub)
    return found


FORMS = _all_form_classes()


def _fields(form_class):
    form = form_class(formdata=None, meta={"csrf": False})
    return form, list(form)


def test_the_walk_finds_the_forms():
    names = {f.__name__ for f in FORMS}
    assert {"ProviderForm", "SignInForm", "PupilForm", "UserFilterForm"} <= names


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: c.__name__)
def test_every_form_is_a_portal_form(app, form_class):
    assert issubclass(form_class, PortalForm), f"{form_class.__name__} must inherit PortalForm"


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: c.__name__)
def test_every_text_field_has_a_maximum_length(app, form_class):
    with app.test_request_context():
        _, fields = _fields(form_class)
    for field in fields:
        if not isinstance(field, StringField):
            continue
        if (form_class.__name__, field.name) in BOUNDED_ELSEWHERE:
            continue
        limits = [v.max for v in field.validators if isinstance(v, Length) and v.max >= 0]
        assert limits, f"{form_class.__name__}.{field.name} needs Length(max=...)"
        assert max(limits) <= 10_000, f"{form_class.__name__}.{field.name} allows too much"


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: c.__name__)
def test_every_whole_number_field_has_a_range(app, form_class):
    with app.test_request_context():
        _, fields = _fields(form_class)
    for field in fields:
        if isinstance(field, IntegerField):
            ranges = [v for v in field.validators if isinstance(v, NumberRange)]
            assert ranges and ranges[0].max is not None, f"{form_class.__name__}.{field.name}"


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("bad", ["a\x00b", "caf\ud800", "bell\x07"])
def test_every_text_field_refuses_what_cannot_be_stored(app, form_class, bad):
    with app.test_request_context(method="POST"):
        probe, fields = _fields(form_class)
        names = [f.name for f in fields if isinstance(f, StringField)]
        if not names:
            pytest.skip("no text fields")
        form = form_class(formdata=MultiDict({n: bad for n in names}), meta={"csrf": False})
        for field in form:
            if getattr(field, "choices", ()) is None:
                field.choices = []  # filled in by the view
        assert not form.validate()
        for name in names:
            refused = [e for e in form[name].errors if "control characters" in e or "broken" in e]
            assert refused, f"{form_class.__name__}.{name}: {form[name].errors}"


def test_a_choice_of_only_spaces_is_no_choice_never_the_spaces(app):
    """WTForms' Optional() passes "   " for a select or radio field and clears the "not a valid
    choice" error: the form must then hold no choice, or a view would take the spaces for one."""
    from wtforms import RadioField, SelectField, SelectMultipleField
    from wtforms.validators import Optional

    class Choosing(PortalForm):
        one = SelectField(choices=[("", "Any"), ("a", "A")], validators=[Optional()])
        kind = RadioField(choices=[("a", "A")], validators=[Optional()])
        many = SelectMultipleField(choices=[("a", "A")], validators=[Optional()])

    with app.test_request_context():
        form = Choosing(
            formdata=MultiDict([("one", " "), ("kind", "\t"), ("many", " ")]),
            meta={"csrf": False},
        )
        assert form.validate()
        assert (form.one.data, form.kind.data, form.many.data) == ("", "", [])
