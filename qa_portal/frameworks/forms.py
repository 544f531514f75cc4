"""Forms for editing a draft framework."""

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from qa_portal.accounts.forms import strip
from qa_portal.forms_base import PortalForm


def _area(label, required=None, description=None):
    validators = [InputRequired(message=required)] if required else [Optional()]
    return TextAreaField(
        label,
        widget=GovTextArea(),
        filters=[strip],
        description=description,
        validators=[*validators, Length(max=4000)],
    )


class CriterionForm(PortalForm):
    kind = RadioField(
        "How it is judged",
        widget=GovRadioInput(),
        default="rating",
        choices=[
            ("rating", "Green, amber or red"),
            ("compliance", "Compliance check: met or not met"),
        ],
    )
    prompt = _area("What the visitor checks", "Enter what the visitor checks")
    guidance = _area("Guidance for the visitor")
    descriptor_green = _area("Green (or met) looks like")
    descriptor_amber = _area("Amber looks like", description="Leave empty for a compliance check")
    descriptor_red = _area("Red (or not met) looks like")
    evidence_required = BooleanField("A photo is required as evidence", widget=GovCheckboxInput())
    source = StringField(
        "Source",
        widget=GovTextInput(),
        filters=[strip],
        description="The clause of the agreement or the guidance it comes from",
        validators=[Optional(), Length(max=300)],
    )
    submit = SubmitField("Save criterion", widget=GovSubmitInput())
