"""Forms for signing in, setting and changing passwords, and two-step verification."""

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovPasswordInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import Email, EqualTo, InputRequired, Length, ValidationError

from qa_portal.accounts.services import PASSWORD_MAX_LENGTH, password_problem
from qa_portal.forms_base import PortalForm


def strip(value):
    return value.strip() if isinstance(value, str) else value


EMAIL_VALIDATORS = [
    InputRequired(message="Enter your email address"),
    Length(max=254, message="Email address must be 254 characters or fewer"),
    Email(
        message="Enter an email address in the correct format, like name@example.org",
        check_deliverability=False,
    ),
]


class SignInForm(PortalForm):
    email = EmailField(
        "Email address", widget=GovTextInput(), validators=EMAIL_VALIDATORS, filters=[strip]
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password"), Length(max=128)],
    )
    remember = BooleanField(
        "Keep me signed in on this device for 30 days",
        widget=GovCheckboxInput(),
        description="Only on a device that nobody else uses.",
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class NewPasswordMixin:
    password_email = ""

    def validate_password(self, field):
        problem = password_problem(field.data or "", self.password_email)
        if problem:
            raise ValidationError(problem)


class SetPasswordForm(NewPasswordMixin, PortalForm):
    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter a new password")],
        description="At least 10 characters. Three random words make a strong password.",
    )
    confirm = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Confirm your new password"),
            Length(max=PASSWORD_MAX_LENGTH),
            EqualTo("password", message="The passwords do not match"),
        ],
    )
    submit = SubmitField("Set password", widget=GovSubmitInput())


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Enter your current password"),
            Length(max=PASSWORD_MAX_LENGTH),
        ],
    )
    submit = SubmitField("Change password", widget=GovSubmitInput())


class ForgotPasswordForm(PortalForm):
    email = EmailField(
        "Email address", widget=GovTextInput(), validators=EMAIL_VALIDATORS, filters=[strip]
    )
    submit = SubmitField("Send me a reset link", widget=GovSubmitInput())


class ConfirmForm(PortalForm):
    """A bare POST form: a button with the CSRF token."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())


CODE_VALIDATORS = [
    InputRequired(message="Enter the code"),
    Length(max=40, message="Enter the 6-digit code, or a recovery code like abcd-efgh-jkmn"),
]


class SignInCodeForm(PortalForm):
    code = StringField(
        "Code",
        widget=GovTextInput(),
        validators=CODE_VALIDATORS,
        description="The 6-digit code from your authenticator app, or one of your recovery "
        "codes if you do not have your phone.",
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class TwoStepSetupForm(PortalForm):
    code = StringField(
        "Code from the app",
        widget=GovTextInput(),
        validators=CODE_VALIDATORS,
        description="The 6-digit code the app shows for the AP QA Portal.",
    )
    submit = SubmitField("Turn on two-step verification", widget=GovSubmitInput())


class TwoStepOffForm(PortalForm):
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password"), Length(max=128)],
    )
    code = StringField(
        "Code",
        widget=GovTextInput(),
        validators=CODE_VALIDATORS,
        description="The 6-digit code from your authenticator app, or a recovery code.",
    )
    submit = SubmitField("Turn off two-step verification", widget=GovSubmitInput())


class RecoveryCodesForm(PortalForm):
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password"), Length(max=128)],
    )
    submit = SubmitField("Make new recovery codes", widget=GovSubmitInput())
