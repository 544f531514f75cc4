"""Forms for editing partnerships and schools."""

from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from qa_portal.forms_base import PortalForm


class PartnershipForm(PortalForm):
    name = StringField(
        "Name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the partnership's name"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )
    area = StringField(
        "Area",
        widget=GovTextInput(),
        validators=[Length(max=200, message="Area must be 200 characters or fewer")],
    )
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class SchoolForm(PortalForm):
    name = StringField(
        "School name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the school's name"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )
    partnership_id = SelectField(
        "Partnership",
        coerce=int,
        widget=GovSelect(),
        validators=[InputRequired(message="Choose the partnership")],
    )
    submit = SubmitField("Save school", widget=GovSubmitInput())
