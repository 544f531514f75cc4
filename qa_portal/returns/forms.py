"""Forms for termly returns: the provider's return for one pupil, the key worker's review, the
spreadsheet upload and the list's filters. Progress fields are named by the target's id
(progress_12, comment_12); the view keeps only those of the placement's own targets."""

from __future__ import annotations

from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import IntegerField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from qa_portal.accounts.forms import strip
from qa_portal.forms_base import PortalForm
from qa_portal.placements.models import Progress
from qa_portal.returns.models import MAX_SESSIONS, TEXT_LENGTH, AccreditationStatus, Behaviour
from qa_portal.returns.services import STATUS_CHOICES


def _text(label: str, limit: int = TEXT_LENGTH, **kwargs) -> TextAreaField:
    return TextAreaField(
        label,
        widget=GovTextArea(),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=limit, message=f"{label} must be {limit:,} characters or fewer"),
        ],
        **kwargs,
    )


def _sessions(label: str, description: str | None = None) -> IntegerField:
    return IntegerField(
        label,
        widget=GovTextInput(),
        validators=[
            Optional(),
            NumberRange(
                min=0, max=MAX_SESSIONS, message=f"{label} must be from 0 to {MAX_SESSIONS}"
            ),
        ],
        description=description,
        render_kw={"inputmode": "numeric", "class": "govuk-input--width-4"},
    )


class ReturnForm(PortalForm):
    sessions_possible = _sessions(
        "Sessions possible", "Half-day sessions the pupil was expected this term"
    )
    sessions_attended = _sessions("Sessions attended")
    sessions_authorised = _sessions("Authorised absence", "Sessions")
    sessions_unauthorised = _sessions("Unauthorised absence", "Sessions")
    behaviour = RadioField(
        "Behaviour this term",
        widget=GovRadioInput(),
        choices=[(b.value, b.label) for b in Behaviour],
        validators=[Optional()],
    )
    behaviour_comment = _text("Behaviour comment")
    qualification = StringField(
        "Qualification",
        widget=GovTextInput(),
        filters=[strip],
        validators=[Optional(), Length(max=200)],
        description="For example, BTEC Award in Vehicle Maintenance",
    )
    level = StringField(
        "Level",
        widget=GovTextInput(),
        filters=[strip],
        validators=[Optional(), Length(max=50)],
        description="For example, Entry 3 or Level 1",
    )
    accreditation_status = RadioField(
        "Accreditation",
        widget=GovRadioInput(),
        choices=[(a.value, a.label) for a in AccreditationStatus],
        validators=[Optional()],
    )
    wellbeing = _text("Wellbeing")
    pupil_voice = _text("Pupil voice", description="What the pupil says about the placement")
    comments = _text("General comments")
    save_draft = SubmitField("Save as draft", widget=GovSubmitInput())
    submit = SubmitField("Submit return", widget=GovSubmitInput())


def add_target_fields(form_class: type[ReturnForm], target_ids: list[int]) -> type[ReturnForm]:
    """A form class with a progress choice and comment for each of the placement's targets."""

    class WithTargets(form_class):
        pass

    for target_id in target_ids:
        setattr(
            WithTargets,
            f"progress_{target_id}",
            RadioField(
                "Progress",
                widget=GovRadioInput(),
                choices=[(p.value, p.label) for p in Progress],
                validators=[Optional()],
            ),
        )
        setattr(WithTargets, f"comment_{target_id}", _text("Comment"))
    return WithTargets


class ReviewForm(PortalForm):
    comment = _text(
        "Comment for the provider",
        description="Needed when you ask for a change: the provider reads it with the return",
    )
    accept = SubmitField("Accept the return", widget=GovSubmitInput())
    request_changes = SubmitField("Ask for a change", widget=GovSubmitInput())


class UploadForm(PortalForm):
    spreadsheet = FileField(
        "Upload the filled-in spreadsheet",
        widget=GovFileInput(),
        validators=[InputRequired(message="Choose the spreadsheet to upload")],
        description="The template downloaded here, as XLSX or CSV",
    )
    submit = SubmitField("Upload and submit", widget=GovSubmitInput())


class ReturnFilterForm(PortalForm):
    class Meta:
        csrf = False

    term = SelectField("Term", widget=GovSelect(), filters=[strip], validators=[Optional()])
    status = SelectField(
        "Status",
        widget=GovSelect(),
        filters=[strip],
        validators=[Optional()],
        choices=[("", "Any")] + STATUS_CHOICES,
    )
    provider = SelectField("Provider", widget=GovSelect(), filters=[strip], validators=[Optional()])
    partnership = SelectField(
        "Partnership", widget=GovSelect(), filters=[strip], validators=[Optional()]
    )
    submit = SubmitField("Filter", widget=GovSubmitInput())
