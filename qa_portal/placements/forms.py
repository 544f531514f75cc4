"""Forms for placements: the placement and its agreement, a review, the ending, the list's
filters. Targets, review dates, progress and outcomes are numbered fields (target_1_area,
review_date_2, ...), so each error sits next to its own box."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from qa_portal.accounts.forms import strip
from qa_portal.contracts.forms import MoneyField, ScopedSelectField
from qa_portal.forms_base import PortalForm
from qa_portal.inputs import LONG_TEXT, SHORT_TEXT, query_id
from qa_portal.placements.models import (
    MAX_COST,
    MAX_HOURS,
    Destination,
    PlacementState,
    Progress,
    TargetArea,
    Transport,
)
from qa_portal.placements.services import MAX_TARGETS
from qa_portal.providers.forms import GovDateField

REVIEW_SLOTS = 8


def _long(label: str, required: str | None = None, **kwargs) -> TextAreaField:
    validators = [InputRequired(message=required)] if required else [Optional()]
    validators.append(
        Length(max=LONG_TEXT, message=f"{label} must be {LONG_TEXT:,} characters or fewer")
    )
    return TextAreaField(
        label, widget=GovTextArea(), filters=[strip], validators=validators, **kwargs
    )


def _count(label: str, low: int, high: int, required: str) -> IntegerField:
    return IntegerField(
        label,
        widget=GovTextInput(),
        validators=[
            InputRequired(message=required),
            NumberRange(min=low, max=high, message=f"{label} must be from {low} to {high}"),
        ],
        render_kw={"inputmode": "numeric"},
    )


class _Hours(DecimalField):
    widget = GovTextInput()

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("Hours per week must be a number, like 12.5") from None
        if self.data is not None and (
            not self.data.is_finite() or self.data.as_tuple().exponent < -1
        ):
            self.data = None
            raise ValueError("Hours per week must be a number with at most one decimal, like 12.5")


class PlacementForm(PortalForm):
    provider_id = ScopedSelectField(
        "Provider",
        validators=[InputRequired(message="Choose the provider")],
        refused="Choose one of the providers listed: those your partnership uses",
    )
    contract_id = ScopedSelectField(
        "Contract",
        validators=[Optional()],
        refused="Choose one of the contracts listed, or none yet",
        description="The written contract with this provider that covers the placement",
    )
    provider_reason = _long(
        "Reason to place the pupil with this provider",
        description="Needed only when the provider is suspended, closed or non-compliant",
    )
    start_date = GovDateField(
        "Start date", validators=[InputRequired(message="Enter the start date")]
    )
    planned_end_date = GovDateField(
        "Planned end date", validators=[Optional()], description="Leave blank if open-ended"
    )
    days_per_week = _count("Days per week", 1, 5, "Enter the days per week")
    sessions_per_week = _count("Sessions per week", 1, 10, "Enter the sessions per week")
    hours_per_week = _Hours(
        "Hours per week",
        validators=[
            InputRequired(message="Enter the hours per week"),
            NumberRange(min=0.5, max=MAX_HOURS, message="Hours per week must be from 0.5 to 99.9"),
        ],
        render_kw={"inputmode": "decimal"},
    )
    cost = MoneyField(
        "Cost (optional)",
        validators=[
            Optional(),
            NumberRange(min=0, message="Cost must be £0 or more"),
            NumberRange(max=MAX_COST, message=f"Cost must be at most £{MAX_COST:,}"),
        ],
        description="The agreed cost of the placement, in pounds",
        render_kw={"inputmode": "decimal"},
    )
    transport = RadioField(
        "Transport",
        widget=GovRadioInput(),
        choices=[(t.value, t.label) for t in Transport],
        validators=[InputRequired(message="Choose how the pupil gets there")],
    )
    intervention = _long(
        "Intervention", "Enter the intervention", description="What the provider will deliver"
    )
    objectives = _long("Objectives", "Enter the objectives")
    reintegration_plan = _long(
        "Reintegration plan and timeline", "Enter the reintegration plan and timeline"
    )
    off_site_direction = BooleanField(
        "The pupil is directed off-site by the school", widget=GovCheckboxInput()
    )
    off_site_max_weeks = IntegerField(
        "Longest the direction may last, in weeks",
        widget=GovTextInput(),
        validators=[
            Optional(),
            NumberRange(min=1, max=52, message="Enter a number of weeks from 1 to 52"),
        ],
        render_kw={"inputmode": "numeric"},
    )
    shared_needs = BooleanField("Special educational needs shared", widget=GovCheckboxInput())
    shared_needs_note = _long("What was shared about needs")
    shared_ehcp = BooleanField("Education, health and care plan shared", widget=GovCheckboxInput())
    shared_ehcp_note = _long("What was shared from the EHC plan")
    shared_health = BooleanField("Health or care plan shared", widget=GovCheckboxInput())
    shared_health_note = _long("What was shared about health")
    reporting = _long(
        "How and how often the provider reports",
        "Enter how and how often the provider reports",
        description="For example: attendance daily by email, a termly return on the portal",
    )
    submit = SubmitField("Save placement", widget=GovSubmitInput())

    def validate_contract_id(self, field):
        if field.data == 0:  # the blank choice: no contract yet
            field.data = None


for _n in range(1, MAX_TARGETS + 1):
    setattr(
        PlacementForm,
        f"target_{_n}_area",
        SelectField(
            f"Target {_n}: area",
            widget=GovSelect(),
            choices=[(a.value, a.label) for a in TargetArea],
            validators=[Optional()],
        ),
    )
    setattr(
        PlacementForm,
        f"target_{_n}_description",
        _long(f"Target {_n}", description="What the pupil will achieve" if _n == 1 else None),
    )
    setattr(
        PlacementForm,
        f"target_{_n}_baseline",
        StringField(
            f"Target {_n}: baseline",
            widget=GovTextInput(),
            filters=[strip],
            validators=[Optional(), Length(max=SHORT_TEXT)],
            description="Where the pupil starts" if _n == 1 else None,
        ),
    )
for _n in range(1, REVIEW_SLOTS + 1):
    setattr(PlacementForm, f"review_date_{_n}", GovDateField(f"Review {_n}", [Optional()]))
PlacementForm.review_slots = REVIEW_SLOTS


def placement_form(planned: int = 0) -> type[PlacementForm]:
    """The placement form with a box for each planned review and two more (at least
    REVIEW_SLOTS): reviews held add their next date to the plan, so a long placement can have
    more than the form's usual number."""
    slots = max(REVIEW_SLOTS, planned + 2)
    if slots == REVIEW_SLOTS:
        return PlacementForm
    more = {
        f"review_date_{n}": GovDateField(f"Review {n}", [Optional()])
        for n in range(REVIEW_SLOTS + 1, slots + 1)
    }
    return type("PlacementForm", (PlacementForm,), {**more, "review_slots": slots})


class ReviewForm(PortalForm):
    held_on = GovDateField("Date of the review", [InputRequired(message="Enter the date")])
    attended = _long(
        "Who attended", "Enter who attended", description="Names and roles: pupil, family, ..."
    )
    decisions = _long("Decisions")
    next_review_on = GovDateField(
        "Next review", [Optional()], description="At least half-termly: within 7 weeks"
    )
    submit = SubmitField("Record the review", widget=GovSubmitInput())


for _n in range(1, MAX_TARGETS + 1):
    setattr(
        ReviewForm,
        f"progress_{_n}",
        RadioField(
            f"Progress against target {_n}",
            widget=GovRadioInput(),
            choices=[(p.value, p.label) for p in Progress],
            validators=[Optional()],
        ),
    )
    setattr(
        ReviewForm,
        f"comment_{_n}",
        StringField(
            f"Comment on target {_n}",
            widget=GovTextInput(),
            filters=[strip],
            validators=[Optional(), Length(max=SHORT_TEXT)],
        ),
    )


class EndForm(PortalForm):
    finish_date = GovDateField("Finish date", [InputRequired(message="Enter the finish date")])
    destination = RadioField(
        "Where the pupil went next",
        widget=GovRadioInput(),
        choices=[(d.value, d.label) for d in Destination],
        validators=[InputRequired(message="Choose where the pupil went next")],
    )
    destination_note = _long("Destination: more detail", description="Needed for other")
    end_reason = _long("Why the placement ended", "Enter why the placement ended")
    submit = SubmitField("End the placement", widget=GovSubmitInput())


for _n in range(1, MAX_TARGETS + 1):
    setattr(EndForm, f"outcome_{_n}", _long(f"Outcome of target {_n}"))


def trim(form, prefix: str, kept: int) -> None:
    """Remove the numbered fields beyond the first `kept` (a placement's own targets)."""
    for name in [n for n in form._fields if n.startswith(prefix)]:
        number = int(name[len(prefix) :].split("_", 1)[0])
        if number > kept:
            delattr(form, name)


class PlacementFilterForm(PortalForm):
    class Meta:
        csrf = False

    q = StringField(
        "Pupil's name",
        widget=GovTextInput(),
        filters=[strip],
        validators=[Optional(), Length(max=100, message="Search for 100 characters or fewer")],
    )
    status = SelectField(
        "Status",
        widget=GovSelect(),
        filters=[strip],
        validators=[Optional()],
        choices=[("", "Any")] + [(s.value, s.label) for s in PlacementState],
    )
    reviews = SelectField(
        "Reviews",
        widget=GovSelect(),
        filters=[strip],
        validators=[Optional()],
        choices=[("", "Any"), ("due", "Due within 7 days"), ("overdue", "Overdue")],
    )
    # Set by the link from a provider's page; shown as the provider's name, not a list of
    # every provider on the register.
    provider = HiddenField("Provider", filters=[strip], validators=[Optional(), Length(max=12)])
    partnership = SelectField(
        "Partnership", widget=GovSelect(), filters=[strip], validators=[Optional()]
    )
    key_worker = SelectField(
        "Key worker", widget=GovSelect(), filters=[strip], validators=[Optional()]
    )
    submit = SubmitField("Filter", widget=GovSubmitInput())

    def validate_provider(self, field):
        if field.data and query_id(field.data) is None:
            raise ValidationError("Choose a provider from its page")

    @property
    def provider_id(self) -> int | None:
        return query_id(self.provider.data) if self.provider.data else None
