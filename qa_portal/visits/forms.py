"""Forms for scheduling a visit, inviting people, and recording what the visit found."""

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from qa_portal.accounts.forms import strip
from qa_portal.forms_base import PortalForm
from qa_portal.inputs import MAX_ID
from qa_portal.providers.forms import GovDateField
from qa_portal.visits.models import VisitStatus, VisitType


class ScheduleForm(PortalForm):
    provider_id = SelectField(
        "Provider",
        coerce=int,
        widget=GovSelect(),
        validators=[InputRequired(message="Choose the provider")],
    )
    visit_type = RadioField(
        "Type of visit",
        widget=GovRadioInput(),
        choices=[(t.value, t.label) for t in VisitType],
        validators=[InputRequired(message="Choose the type of visit")],
    )
    visit_date = GovDateField(
        "Date of the visit", validators=[InputRequired(message="Enter the date of the visit")]
    )
    lead_id = SelectField(
        "Lead",
        coerce=int,
        widget=GovSelect(),
        validators=[InputRequired(message="Choose who leads the visit")],
    )
    purpose = TextAreaField(
        "Purpose and focus (optional)",
        widget=GovTextArea(),
        filters=[strip],
        validators=[Optional(), Length(max=2000)],
    )
    # The concern the visit is planned about, if any (checked against the planner's scope).
    concern_id = IntegerField(
        widget=HiddenInput(), validators=[Optional(), NumberRange(min=1, max=MAX_ID)]
    )
    submit = SubmitField("Schedule visit", widget=GovSubmitInput())


class VisitFilterForm(PortalForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField(
        "Provider",
        widget=GovTextInput(),
        filters=[strip],
        validators=[Optional(), Length(max=100)],
    )
    type = SelectField(
        "Type of visit",
        widget=GovSelect(),
        choices=[("", "Any type")] + [(t.value, t.label) for t in VisitType],
        validators=[Optional()],
    )
    status = SelectField(
        "Status",
        widget=GovSelect(),
        choices=[("", "Any status")] + [(s.value, s.label) for s in VisitStatus],
        validators=[Optional()],
    )
    submit = SubmitField("Filter", widget=GovSubmitInput())


class PeopleSearchForm(PortalForm):
    class Meta:
        csrf = False  # a GET search form

    people = StringField(
        "Search by name, school or partnership",
        widget=GovTextInput(),
        filters=[strip],
        validators=[Optional(), Length(max=100)],
    )


class LeadPartnershipForm(PortalForm):
    class Meta:
        csrf = False  # a GET choice that narrows the lead's drop-down

    partnership = SelectField(
        "Partnership whose visit it is",
        coerce=int,
        widget=GovSelect(),
        validators=[Optional()],
    )
    submit = SubmitField("Show its staff", widget=GovSubmitInput())


class InviteForm(PortalForm):
    invitee_ids = SelectMultipleField(
        "Invite heads and staff to join",
        coerce=int,
        widget=GovCheckboxesInput(),
        validators=[InputRequired(message="Choose who to invite")],
    )
    submit = SubmitField("Send invitations", widget=GovSubmitInput())


class ActionForm(PortalForm):
    description = TextAreaField(
        "Action",
        widget=GovTextArea(),
        filters=[strip],
        validators=[InputRequired(message="Describe the action"), Length(max=2000)],
    )
    owner = StringField(
        "Who will do it",
        widget=GovTextInput(),
        filters=[strip],
        validators=[InputRequired(message="Say who owns the action"), Length(max=200)],
    )
    due_on = GovDateField("Due by", validators=[InputRequired(message="Enter the due date")])
    submit = SubmitField("Add action", widget=GovSubmitInput())


class ResponseForm(PortalForm):
    status = RadioField(
        "Where it stands",
        widget=GovRadioInput(),
        default="in_progress",
        choices=[("in_progress", "In progress"), ("done", "Done")],
    )
    response = TextAreaField(
        "Your response",
        widget=GovTextArea(),
        filters=[strip],
        validators=[InputRequired(message="Enter your response"), Length(max=2000)],
    )
    submit = SubmitField("Send response", widget=GovSubmitInput())


class PlacedPupilsForm(PortalForm):
    # The tick list is checked by the service against the pupils it was built from, so a
    # swapped id gets the service's message rather than WTForms' "not a valid choice".
    pupil_ids = SelectMultipleField(
        "Pupils placed here on the visit's date",
        coerce=int,
        widget=GovCheckboxesInput(),
        validate_choice=False,
        description="Tick those you saw. Unticking removes a pupil from those seen.",
    )
    submit = SubmitField("Save pupils seen", widget=GovSubmitInput())


class PupilForm(PortalForm):
    name = StringField(
        "Pupil's name or initials",
        widget=GovTextInput(),
        filters=[strip],
        validators=[InputRequired(message="Enter the pupil's name or initials"), Length(max=120)],
    )
    school_id = SelectField(
        "School whose roll they are on",
        coerce=int,
        widget=GovSelect(),
        validators=[Optional()],
    )
    note = StringField(
        "What you saw (optional)",
        widget=GovTextInput(),
        filters=[strip],
        validators=[Optional(), Length(max=500)],
    )
    submit = SubmitField("Add pupil", widget=GovSubmitInput())


class CheckForm(PortalForm):
    status = RadioField(
        "What you found",
        widget=GovRadioInput(),
        choices=[("open", "Not started"), ("in_progress", "In progress"), ("done", "Done")],
        validators=[InputRequired(message="Choose what you found")],
    )
    note = StringField(
        "Note (optional)",
        widget=GovTextInput(),
        filters=[strip],
        validators=[Optional(), Length(max=2000)],
    )
    submit = SubmitField("Save check", widget=GovSubmitInput())


class AmendForm(PortalForm):
    criterion_id = SelectField(
        "Criterion",
        coerce=int,
        widget=GovSelect(),
        validators=[InputRequired(message="Choose the criterion to amend")],
    )
    rating = RadioField("New rating", widget=GovRadioInput(), validators=[Optional()])
    note = TextAreaField(
        "New note",
        widget=GovTextArea(),
        filters=[strip],
        validators=[Optional(), Length(max=4000)],
    )
    reason = TextAreaField(
        "Why is it being amended?",
        widget=GovTextArea(),
        filters=[strip],
        validators=[InputRequired(message="Say why the answer is being amended"), Length(max=2000)],
    )
    submit = SubmitField("Record the amendment", widget=GovSubmitInput())
