"""Forms for contracts: adding and changing one (with its signed document), and the register's
filters."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    DecimalField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from qa_portal.accounts.forms import strip
from qa_portal.contracts.models import MAX_RATE, MAX_VALUE, ContractState, RateUnit
from qa_portal.forms_base import PortalForm
from qa_portal.inputs import query_id
from qa_portal.providers.forms import GovDateField


class MoneyField(DecimalField):
    """Pounds and pence, typed as people do: "1250", "1,250.50" or "£1,250.50"."""

    widget = GovTextInput()

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = valuelist[0].strip().replace(",", "").removeprefix("£").strip()
        if not text:
            self.data = None
            return
        try:
            value = Decimal(text)
        except (InvalidOperation, ValueError):
            value = None
        if value is None or not value.is_finite():
            self.data = None
            raise ValueError(f"{self.label.text} must be an amount in pounds, like 1250.00")
        if value.as_tuple().exponent < -2:
            self.data = None
            raise ValueError(f"{self.label.text} must be in pounds and pence, like 1250.50")
        self.data = value


class ScopedSelectField(SelectField):
    """A choice among records in the user's scope; anything else (an id typed into the request)
    is refused with `refused`, in the field's own words."""

    def __init__(self, label=None, validators=None, *, refused: str, **kwargs):
        super().__init__(label, validators, coerce=int, widget=GovSelect(), **kwargs)
        self.refused = refused

    def pre_validate(self, form):
        if self.data is not None and self.data not in {value for value, _ in self.choices}:
            raise ValidationError(self.refused)


def _money(label: str, maximum: Decimal, required: str):
    return MoneyField(
        label,
        validators=[
            InputRequired(message=required),
            NumberRange(min=0, message=f"{label} must be £0 or more"),
            NumberRange(max=maximum, message=f"{label} must be at most £{maximum:,}"),
        ],
        render_kw={"inputmode": "decimal"},
    )


class ContractForm(PortalForm):
    provider_id = ScopedSelectField(
        "Provider",
        validators=[InputRequired(message="Choose the provider")],
        refused="Choose one of the providers listed: those your partnership uses",
        description="The open providers your partnership uses, as the register shows them",
    )
    partnership_id = ScopedSelectField(
        "Partnership",
        validators=[InputRequired(message="Choose the partnership")],
        refused="Choose one of the partnerships listed",
    )
    school_id = ScopedSelectField(
        "Commissioned by",
        validators=[Optional()],
        refused="Choose the partnership itself or one of its member schools",
        description="A member school, or the partnership itself",
    )
    reference = StringField(
        "Contract reference",
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            InputRequired(message="Enter the contract's reference"),
            Length(max=100, message="The reference must be 100 characters or fewer"),
        ],
    )
    start_date = GovDateField(
        "Start date", validators=[InputRequired(message="Enter the start date")]
    )
    end_date = GovDateField("End date", validators=[InputRequired(message="Enter the end date")])
    value = _money("Value", MAX_VALUE, "Enter the contract's value in pounds")
    rate_amount = _money("Rate", MAX_RATE, "Enter the rate in pounds")
    rate_unit = RadioField(
        "Rate is charged",
        widget=GovRadioInput(),
        choices=[(unit.value, unit.label.capitalize()) for unit in RateUnit],
        validators=[InputRequired(message="Choose how the rate is charged")],
    )
    terms = TextAreaField(
        "Terms",
        widget=GovTextArea(),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=10_000, message="Terms must be 10,000 characters or fewer"),
        ],
        description="The main terms: what is provided, notice, cancellation, invoicing",
    )
    document = FileField(
        "Signed contract (optional)",
        widget=GovFileInput(),
        description="A PDF, JPG or PNG, up to 10 MB. A new file replaces the one kept.",
    )
    submit = SubmitField("Save contract", widget=GovSubmitInput())

    def validate_school_id(self, field):
        # The blank choice (0) is the partnership itself.
        if field.data == 0:
            field.data = None

    def uploaded(self):
        """The file sent, or None when none was."""
        data = self.document.data
        return data if data is not None and getattr(data, "filename", "") else None


class ContractFilterForm(PortalForm):
    class Meta:
        csrf = False

    q = StringField(
        "Reference or provider",
        widget=GovTextInput(),
        filters=[strip],
        validators=[Optional(), Length(max=100)],
    )
    partnership = SelectField(
        "Partnership", widget=GovSelect(), filters=[strip], validators=[Optional()]
    )
    status = SelectField(
        "Status",
        widget=GovSelect(),
        filters=[strip],
        validators=[Optional()],
        choices=[("", "Any")] + [(s.value, s.label) for s in ContractState],
    )
    # Set by the links from a provider's page; shown as the provider's name, not a list of
    # every provider on the register.
    provider = HiddenField("Provider", filters=[strip], validators=[Optional(), Length(max=12)])
    submit = SubmitField("Filter", widget=GovSubmitInput())

    def validate_provider(self, field):
        if field.data and query_id(field.data) is None:
            raise ValidationError("Choose a provider from its page")

    @property
    def provider_id(self) -> int | None:
        return query_id(self.provider.data) if self.provider.data else None
