"""One error contract: every user-facing refusal is a RuleBroken, and one helper commits a
service call or rolls it back and shows the message where it belongs."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from wtforms import StringField

from qa_portal import rules, storage
from qa_portal.accounts.services import AccountError, SignInRefused
from qa_portal.db import db
from qa_portal.forms_base import PortalForm
from qa_portal.frameworks.services import FrameworkError
from qa_portal.partnerships.services import PartnershipError
from qa_portal.providers.models import Provider
from qa_portal.providers.services import RegisterError
from qa_portal.visits.fieldwork import FieldworkError
from qa_portal.visits.services import VisitError
from qa_portal.visits.signoff import SignOffError
from tests import factories


@pytest.mark.parametrize(
    "error",
    [
        AccountError,
        SignInRefused,
        PartnershipError,
        storage.UploadRefused,
        RegisterError,
        FrameworkError,
        VisitError,
        FieldworkError,
        SignOffError,
    ],
)
def test_every_user_facing_error_is_a_rule_broken(error):
    assert issubclass(error, rules.RuleBroken)
    assert str(error("Shown to the person")) == "Shown to the person"


def test_an_upload_refusal_keeps_its_message_and_is_still_a_value_error():
    refusal = storage.UploadRefused("The selected file is empty")
    assert isinstance(refusal, ValueError) and refusal.message == "The selected file is empty"


class NameForm(PortalForm):
    class Meta:
        csrf = False

    name = StringField("Name")


def _named(name: str):
    db.session.expire_all()
    return db.session.scalar(select(Provider.id).where(Provider.name == name))


def test_apply_commits_the_call_and_returns_its_result(app):
    with app.test_request_context():
        form = NameForm(formdata=None)
        made = rules.apply(form, lambda: factories.provider("Kept Provider"))
    assert made is not rules.FAILED and made.name == "Kept Provider"
    assert _named("Kept Provider") is not None
    assert form.errors == {}


def test_apply_rolls_back_and_puts_the_message_next_to_its_field(app):
    def refused():
        factories.provider("Rolled Back Provider")
        raise RegisterError("A provider with this name is already on the register", "name")

    with app.test_request_context():
        form = NameForm(formdata=None)
        assert rules.apply(form, refused) is rules.FAILED
    assert form.name.errors == ["A provider with this name is already on the register"]
    assert _named("Rolled Back Provider") is None


def test_apply_puts_a_message_for_no_field_of_the_form_in_the_error_summary(app):
    def refused():
        raise AccountError("You cannot disable your own account")

    with app.test_request_context():
        form = NameForm(formdata=None)
        assert rules.apply(form, refused) is rules.FAILED
    assert form.form_errors == ["You cannot disable your own account"]
    assert form.name.errors == ()
