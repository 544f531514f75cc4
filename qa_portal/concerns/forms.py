"""Forms for raising a concern, resolving it, and narrowing the list of concerns."""

from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import IntegerField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from qa_portal.accounts.forms import strip
from qa_portal.concerns.models import ConcernCategory
from qa_portal.forms_base import PortalForm
from qa_portal.inputs import MAX_ID
from qa_portal.providers.forms import GovDateField


class RaiseConcernForm(PortalForm):
    category = RadioField(
        "What is the concern about?",
        widget=GovRadioInput(),
        choices=[(c.value, c.label) for c in ConcernCategory],
        validators=[InputRequired(message="Choose what the concern is about")],
    )
    happened_on = GovDateField(
        "When did it happen?",
        validators=[InputRequired(message="Enter the date it happened")],
    )
    description = TextAreaField(
        "What happened?",
        widget=GovTextArea(),
        filters=[strip],
        validators=[
            InputRequired(message="Say what happened"),
            Length(max=5000, message="What happened must be 5,000 characters or fewer"),
        ],
    )
    pupils_involved = StringField(
        "Pupils involved (optional)",
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=200, message="Pupils involved must be 200 characters or fewer"),
        ],
    )
    submit = SubmitField("Raise the concern", widget=GovSubmitInput())


class ResolveConcernForm(PortalForm):
    resolution = TextAreaField(
        "How was it resolved?",
        widget=GovTextArea(),
        filters=[strip],
        validators=[
            InputRequired(message="Say how the concern was resolved"),
            Length(max=5000, message="How it was resolved must be 5,000 characters or fewer"),
        ],
    )
    resolved_on = GovDateField(
        "Date resolved", validators=[InputRequired(message="Enter the date it was resolved")]
    )
    submit = SubmitField("Record the resolution", widget=GovSubmitInput())


class ConcernFilterForm(PortalForm):
    class Meta:
        csrf = False  # a GET search form

    status = SelectField(
        "Status",
        widget=GovSelect(),
        filters=[strip],
        choices=[("", "Open and resolved"), ("open", "Open"), ("resolved", "Resolved")],
        validators=[Optional()],
    )
    category = SelectField(
        "Category",
        widget=GovSelect(),
        filters=[strip],
        choices=[("", "Any category")] + [(c.value, c.label) for c in ConcernCategory],
        validators=[Optional()],
    )
    q = StringField(
        "Provider",
        widget=GovTextInput(),
        filters=[strip],
        validators=[Optional(), Length(max=100)],
    )
    # Set by the provider's page link ("all concerns about this provider"), kept as hidden.
    provider = IntegerField(
        widget=HiddenInput(),
        validators=[Optional(), NumberRange(min=1, max=MAX_ID)],
    )
    submit = SubmitField("Filter", widget=GovSubmitInput())
