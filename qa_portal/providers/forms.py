"""Forms for the register: provider details, status, usage, compliance uploads and checks."""

from __future__ import annotations

from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    URL,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from qa_portal.accounts.forms import strip
from qa_portal.forms_base import PortalForm
from qa_portal.inputs import MAX_ID
from qa_portal.providers.models import (
    OfstedGrade,
    OfstedInspectionKind,
    OfstedJudgement,
    OfstedRegistrationType,
    OfstedSafeguarding,
    ProviderStatus,
    Requirement,
)


class GovDateField(DateField):
    """Day, month and year boxes, with the GOV.UK wording when the date is not real."""

    widget = GovDateInput()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%d %m %Y", **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or not "".join(valuelist).strip():
            self.data, self.raw_data = None, ["", "", ""]
            return
        if len(valuelist) != 3:
            self.data, self.raw_data = None, ["", "", ""]
            raise ValueError(f"{self.label.text} must be a real date, like 27 3 2026")
        try:
            super().process_formdata([" ".join(part.strip() for part in valuelist)])
        except ValueError as exc:
            raise ValueError(f"{self.label.text} must be a real date, like 27 3 2026") from exc


def _text(label, max_length=200, required: str | None = None, **kwargs):
    validators = [InputRequired(message=required)] if required else [Optional()]
    validators.append(
        Length(max=max_length, message=f"{label} must be {max_length} characters or fewer")
    )
    return StringField(
        label, widget=GovTextInput(), validators=validators, filters=[strip], **kwargs
    )


def _email(label):
    return StringField(
        label,
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=254),
            Email(
                message="Enter an email address in the correct format, like name@example.org",
                check_deliverability=False,
            ),
        ],
    )


def _count(label, low, high, **kwargs):
    return IntegerField(
        label,
        widget=GovTextInput(),
        validators=[
            Optional(),
            NumberRange(min=low, max=high, message=f"{label} must be between {low} and {high}"),
        ],
        render_kw={"inputmode": "numeric"},
        **kwargs,
    )


def _choices(enum_cls, blank: str):
    return [("", blank)] + [(member.value, member.label) for member in enum_cls]


def _grade(area: str):
    return SelectField(
        area,
        widget=GovSelect(),
        validators=[Optional()],
        choices=_choices(OfstedGrade, "Not graded"),
    )


class ContactForm(PortalForm):
    """What a provider may keep current itself."""

    address = TextAreaField(
        "Address", widget=GovTextArea(), validators=[Optional(), Length(max=500)], filters=[strip]
    )
    postcode = _text("Postcode", 10)
    contact_name = _text("Main contact")
    contact_email = _email("Contact email address")
    contact_phone = _text("Contact telephone", 40)
    website = _text("Website", 300)
    dsl_name = _text("Designated safeguarding lead")
    dsl_email = _email("Safeguarding lead's email address")
    dsl_phone = _text("Safeguarding lead's telephone", 40)
    submit = SubmitField("Save", widget=GovSubmitInput())

    def validate_website(self, field):
        if field.data and not field.data.startswith(("http://", "https://")):
            field.data = "https://" + field.data


class ProviderForm(ContactForm):
    name = _text("Provider name", required="Enter the provider's name")
    vocational_areas = SelectMultipleField(
        "Vocational areas", coerce=int, widget=GovCheckboxesInput()
    )
    age_from = _count("Youngest age taken", 5, 25)
    age_to = _count("Oldest age taken", 5, 25)
    capacity = _count("Places (pupils at a time)", 0, 1000)
    transports_pupils = BooleanField("The provider transports pupils", widget=GovCheckboxInput())
    ofsted_registered = RadioField(
        "Registered with Ofsted?",
        widget=GovRadioInput(),
        choices=[("yes", "Yes"), ("no", "No")],
        default="no",
        validators=[InputRequired(message="Say whether the provider is registered with Ofsted")],
    )
    ofsted_urn = _text("Ofsted URN", 10, description="For example 2500123 or EY123456")
    ofsted_registration_type = SelectField(
        "Registration type",
        widget=GovSelect(),
        validators=[Optional()],
        choices=_choices(OfstedRegistrationType, "Not registered"),
    )
    ofsted_inspection_date = GovDateField("Latest inspection date", validators=[Optional()])
    ofsted_judgement = SelectField(
        "Latest judgement",
        widget=GovSelect(),
        validators=[Optional()],
        choices=_choices(OfstedJudgement, "None"),
    )
    ofsted_inspection_kind = RadioField(
        "Kind of latest inspection",
        widget=GovRadioInput(),
        validators=[Optional()],
        choices=[(k.value, k.label) for k in OfstedInspectionKind],
    )
    ofsted_inclusion = _grade("Inclusion")
    ofsted_curriculum_teaching = _grade("Curriculum and teaching")
    ofsted_achievement = _grade("Achievement")
    ofsted_attendance_behaviour = _grade("Attendance and behaviour")
    ofsted_personal_development = _grade("Personal development and well-being")
    ofsted_leadership_governance = _grade("Leadership and governance")
    ofsted_safeguarding = RadioField(
        "Safeguarding",
        widget=GovRadioInput(),
        validators=[Optional()],
        choices=[(s.value, s.label) for s in OfstedSafeguarding],
    )
    ofsted_link = StringField(
        "Link to the Ofsted report",
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=300),
            URL(message="Enter the full web address, starting https://"),
        ],
    )
    lebc_check_date = GovDateField(
        "LEBC health and safety check",
        validators=[Optional()],
        description="The date of the latest check",
    )
    submit = SubmitField("Save provider", widget=GovSubmitInput())


class StatusForm(PortalForm):
    status = RadioField(
        "New status",
        widget=GovRadioInput(),
        choices=[(s.value, s.label) for s in ProviderStatus],
        validators=[InputRequired(message="Choose the new status")],
    )
    reason = TextAreaField(
        "Reason",
        widget=GovTextArea(),
        filters=[strip],
        validators=[InputRequired(message="Enter the reason for the change"), Length(max=2000)],
    )
    effective_on = GovDateField(
        "From", validators=[InputRequired(message="Enter the date the status applies from")]
    )
    submit = SubmitField("Change status", widget=GovSubmitInput())


class UploadForm(PortalForm):
    kind_id = SelectField(
        "Document",
        coerce=int,
        widget=GovSelect(),
        validators=[InputRequired(message="Choose what the document is")],
    )
    document = FileField(
        "Upload the document",
        widget=GovFileInput(),
        description="A PDF, JPG or PNG, up to 10 MB. A photo of a certificate "
        "is fine if it is sharp.",
    )
    reference = _text("Reference or policy number")
    issue_date = GovDateField("Issue date (or date of the policy)", validators=[Optional()])
    expiry_date = GovDateField("Expiry or review date", validators=[Optional()])
    cover_amount = IntegerField(
        "Cover in pounds (insurance only)",
        widget=GovTextInput(),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_ID, message="Enter the cover in whole pounds"),
        ],
        render_kw={"inputmode": "numeric"},
        description="For example 5000000 for £5 million",
    )
    notes = TextAreaField(
        "Notes (optional)",
        widget=GovTextArea(),
        filters=[strip],
        validators=[Optional(), Length(max=2000)],
    )
    verify_now = BooleanField(
        "I have checked this document: mark it verified", widget=GovCheckboxInput()
    )
    submit = SubmitField("Upload", widget=GovSubmitInput())

    def validate_document(self, field):
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError("Select the document to upload")


class VerifyForm(PortalForm):
    decision = RadioField(
        "Is the document acceptable?",
        widget=GovRadioInput(),
        choices=[("verify", "Yes, verify it"), ("reject", "No, reject it")],
        validators=[InputRequired(message="Choose whether to verify or reject the document")],
    )
    note = TextAreaField(
        "Note",
        widget=GovTextArea(),
        filters=[strip],
        validators=[Optional(), Length(max=2000)],
        description="Required when rejecting: the provider sees it",
    )
    submit = SubmitField("Save check", widget=GovSubmitInput())


class ProviderFilterForm(PortalForm):
    class Meta:
        csrf = False

    q = _text("Name", 100)
    area = SelectField(
        "Vocational area", widget=GovSelect(), filters=[strip], validators=[Optional()]
    )
    partnership = SelectField(
        "Used by", widget=GovSelect(), filters=[strip], validators=[Optional()]
    )
    status = SelectField(
        "Status",
        widget=GovSelect(),
        filters=[strip],
        validators=[Optional()],
        choices=_choices(ProviderStatus, "Any status"),
    )
    compliance = SelectField(
        "Compliance",
        widget=GovSelect(),
        filters=[strip],
        validators=[Optional()],
        choices=[("", "Any"), ("0", "Compliant"), ("1", "Due soon"), ("2", "Non-compliant")],
    )
    ofsted = SelectField(
        "Ofsted",
        widget=GovSelect(),
        filters=[strip],
        validators=[Optional()],
        choices=[
            ("", "Any"),
            ("report_card", "Report card"),
            (
                "report_card_concern",
                "Report card: an area needs attention or urgent improvement, "
                "or safeguarding not met",
            ),
            ("judgement", "Single judgement"),
            ("judgement_concern", "Single judgement: requires improvement or inadequate"),
        ],
    )
    sort = SelectField(
        "Sort by",
        widget=GovSelect(),
        filters=[strip],
        validators=[Optional()],
        choices=[("", "Name"), ("state", "Compliance, most urgent first")],
    )
    submit = SubmitField("Filter", widget=GovSubmitInput())


class ComplianceKindForm(PortalForm):
    name = _text("Name", required="Enter the name of the document")
    code = _text(
        "Code",
        40,
        required="Enter a short code, like public_liability",
        description="Lower case letters, digits and underscores",
    )
    guidance = TextAreaField(
        "Guidance for providers and staff",
        widget=GovTextArea(),
        filters=[strip],
        validators=[Optional(), Length(max=2000)],
    )
    requirement = SelectField(
        "Required of", widget=GovSelect(), choices=[(r.value, r.label) for r in Requirement]
    )
    expires = BooleanField("Has an expiry or review date", widget=GovCheckboxInput())
    needs_cover_amount = BooleanField("Records an amount of cover", widget=GovCheckboxInput())
    min_cover_amount = IntegerField(
        "Minimum cover in pounds (optional)",
        widget=GovTextInput(),
        validators=[Optional(), NumberRange(min=1, max=MAX_ID)],
    )
    position = _count("Order in lists", 0, 1000)
    active = BooleanField("In use", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save", widget=GovSubmitInput())

    def validate_code(self, field):
        import re

        if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", field.data or ""):
            raise ValidationError("Use lower case letters, digits and underscores only")
