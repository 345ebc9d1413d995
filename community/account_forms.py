"""Forms for passwords and account decisions (shape only: services check the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length

from community.passwords import MAX_LENGTH


def _new_password_fields():
    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Enter a new password.")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )
    again = PasswordField(
        _l("The new password again"),
        validators=[
            DataRequired(_l("Enter the new password a second time.")),
            EqualTo("new_password", _l("The two new passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return new, again


class NewPasswordForm(FlaskForm):
    """A new password, twice (after a one-time code, or through a reset link)."""

    new_password, new_password_again = _new_password_fields()


class ChangePasswordForm(FlaskForm):
    """The current password, then the new one twice."""

    current_password = PasswordField(
        _l("Your current password"),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password, new_password_again = _new_password_fields()


class ForgotPasswordForm(FlaskForm):
    """The phone number, username or email of an account whose password is forgotten."""

    login = StringField(
        _l("Phone number, username or email"),
        validators=[
            DataRequired(_l("Enter your phone number, username or email.")),
            Length(max=254),
        ],
        render_kw={"autocomplete": "username"},
    )


class SuspendForm(FlaskForm):
    """Why a member's account is suspended (kept in the audit log)."""

    reason = TextAreaField(
        _l("Why is the account suspended?"),
        validators=[DataRequired(_l("Say why the account is suspended.")), Length(max=200)],
        render_kw={"rows": 3},
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
