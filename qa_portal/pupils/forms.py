"""Forms for pupils: their record, and the list's search and filters."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import BooleanField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional

from qa_portal.accounts.forms import strip
from qa_portal.forms_base import PortalForm
from qa_portal.providers.forms import GovDateField
from qa_portal.pupils.models import YEAR_GROUPS, Ethnicity, Gender


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) < 10):
        raise ValueError("Not a choice")
    return int(value)


def _name(label: str, message: str):
    return StringField(
        label,
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            InputRequired(message=message),
            Length(max=100, message=f"{label} must be 100 characters or fewer"),
        ],
        render_kw={"autocomplete": "off", "spellcheck": False},
    )


class PupilForm(PortalForm):
    first_names = _name("First names", "Enter the pupil's first name")
    last_name = _name("Last name", "Enter the pupil's last name")
    upn = StringField(
        "Unique pupil number (UPN)",
        widget=GovTextInput(),
        filters=[strip],
        description="13 characters, from the school: for example H801200001001. A temporary "
        "UPN ends in a letter.",
        validators=[
            InputRequired(message="Enter the pupil's UPN"),
            Length(max=20, message="A UPN is 13 characters"),
        ],
        render_kw={"autocomplete": "off", "spellcheck": False},
    )
    date_of_birth = GovDateField(
        "Date of birth",
        description="For example, 27 3 2013",
        validators=[InputRequired(message="Enter the pupil's date of birth")],
    )
    year_group = SelectField(
        "Year group",
        widget=GovSelect(),
        coerce=_optional_int,
        description="Leave as by date of birth unless the pupil is taught out of their year group",
        choices=[(None, "By date of birth")] + [(y, f"Year {y}") for y in YEAR_GROUPS],
    )
    gender = RadioField(
        "Gender",
        widget=GovRadioInput(),
        choices=[(g.value, g.label) for g in Gender],
        validators=[InputRequired(message="Choose the pupil's gender")],
    )
    ethnicity = SelectField(
        "Ethnicity",
        widget=GovSelect(),
        description="As the school census records it",
        choices=[("", "Choose")] + [(e.value, f"{e.label} ({e.value})") for e in Ethnicity],
        validators=[InputRequired(message="Choose the pupil's ethnicity")],
    )
    school_id = SelectField(
        "School (on roll)",
        widget=GovSelect(),
        coerce=_optional_int,
        validators=[InputRequired(message="Choose the school whose roll the pupil is on")],
    )
    key_worker_id = SelectField(
        "Key worker", widget=GovSelect(), coerce=_optional_int, validators=[Optional()]
    )
    ehcp = BooleanField("Education, health and care plan (EHCP)", widget=GovCheckboxInput())
    sen_support = BooleanField("SEN support", widget=GovCheckboxInput())
    looked_after = BooleanField("Looked after", widget=GovCheckboxInput())
    pupil_premium = BooleanField("Pupil premium", widget=GovCheckboxInput())
    submit = SubmitField("Save pupil", widget=GovSubmitInput())


class PupilFilterForm(PortalForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField(
        "Name or UPN",
        widget=GovTextInput(),
        filters=[strip],
        validators=[Optional(), Length(max=100, message="Search for 100 characters or fewer")],
    )
    partnership = SelectField(
        "Partnership", widget=GovSelect(), filters=[strip], validators=[Optional()]
    )
    school = SelectField("School", widget=GovSelect(), filters=[strip], validators=[Optional()])
    key_worker = SelectField(
        "Key worker", widget=GovSelect(), filters=[strip], validators=[Optional()]
    )
    submit = SubmitField("Filter", widget=GovSubmitInput())
