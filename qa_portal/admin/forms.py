"""Forms for managing users and filtering the audit log."""

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from qa_portal.accounts.forms import strip
from qa_portal.accounts.models import Role
from qa_portal.forms_base import PortalForm
from qa_portal.inputs import MAX_ID


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class UserForm(PortalForm):
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the person's full name"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter an email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(
                message="Enter an email address in the correct format, like name@example.org",
                check_deliverability=False,
            ),
        ],
    )
    job_title = StringField(
        "Job title (optional)",
        widget=GovTextInput(),
        validators=[Length(max=200, message="Job title must be 200 characters or fewer")],
    )
    role = SelectField(
        "Role",
        widget=GovSelect(),
        choices=[(r.value, r.label) for r in Role],
        validators=[InputRequired(message="Choose a role")],
    )
    partnership_id = SelectField(
        "Partnership (partnership staff only)",
        widget=GovSelect(),
        coerce=_optional_int,
        validate_choice=True,
    )
    school_id = SelectField("School (heads only)", widget=GovSelect(), coerce=_optional_int)
    provider_id = SelectField(
        "Provider (provider users only)", widget=GovSelect(), coerce=_optional_int
    )
    send_invitation = BooleanField(
        "Email an invitation to set a password now", widget=GovCheckboxInput(), default=True
    )
    submit = SubmitField("Save user", widget=GovSubmitInput())


class UserFilterForm(PortalForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField(
        "Name or email", widget=GovTextInput(), validators=[Optional(), Length(max=100)]
    )
    role = SelectField(
        "Role",
        widget=GovSelect(),
        choices=[("", "Any role")] + [(r.value, r.label) for r in Role],
        filters=[strip],
        validators=[Optional()],
    )
    status = SelectField(
        "Status",
        widget=GovSelect(),
        choices=[
            ("", "Any status"),
            ("active", "Active"),
            ("invited", "Invited, no password yet"),
            ("disabled", "Disabled"),
        ],
        filters=[strip],
        validators=[Optional()],
    )
    submit = SubmitField("Filter", widget=GovSubmitInput())


class AuditFilterForm(PortalForm):
    class Meta:
        csrf = False  # a GET search form

    actor = StringField(
        "Who (email address)", widget=GovTextInput(), validators=[Optional(), Length(max=254)]
    )
    action = SelectField("Action", widget=GovSelect(), filters=[strip], validators=[Optional()])
    target_type = SelectField(
        "Record type", widget=GovSelect(), filters=[strip], validators=[Optional()]
    )
    target_id = IntegerField(
        "Record number (with its type)",
        widget=GovTextInput(),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_ID, message="Enter a record number, like 42"),
        ],
        render_kw={"inputmode": "numeric"},
    )
    pupil = StringField(
        "Pupil (UPN)",
        widget=GovTextInput(),
        filters=[strip],
        validators=[Optional(), Length(max=20, message="A UPN is 13 characters")],
        description="Everything done with one pupil's record",
    )
    date_from = DateField(
        "From date",
        widget=GovTextInput(),
        validators=[Optional()],
        format="%Y-%m-%d",
        render_kw={"type": "date"},
    )
    date_to = DateField(
        "To date",
        widget=GovTextInput(),
        validators=[Optional()],
        format="%Y-%m-%d",
        render_kw={"type": "date"},
    )
    submit = SubmitField("Filter", widget=GovSubmitInput())
