"""Forms for signing in and for members (shape only: services check the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from form_limits import BIRTH_DATE


class LoginForm(FlaskForm):
    login = StringField(
        _l("Phone number or username"),
        validators=[DataRequired(_l("Enter your phone number or username.")), Length(max=40)],
        render_kw={"autocomplete": "username", "inputmode": "text"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=128)],
        render_kw={"autocomplete": "current-password"},
    )
    # Off unless ticked: a shared or borrowed phone must not stay signed in.
    remember = BooleanField(_l("Keep me signed in on this device"), default=False)


def _blank_to_none(value):
    """Empty optional text arrives as None, so services see "not given"."""
    if isinstance(value, str):
        value = value.strip()
    return value or None


class NewMemberForm(FlaskForm):
    """A coordinator opens an account; phone, username and password are optional."""

    display_name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter the member's name.")), Length(max=60)],
        render_kw={"autocomplete": "off"},
    )
    birth_date = DateField(_l("Date of birth"), validators=[Optional(), BIRTH_DATE])
    phone = StringField(
        _l("Mobile number (leave empty if they have none)"),
        validators=[Optional(), Length(max=20)],
        filters=[_blank_to_none],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    username = StringField(
        _l("Username (optional)"),
        validators=[Optional(), Length(max=40)],
        filters=[_blank_to_none],
        render_kw={"autocomplete": "off"},
    )
    password = PasswordField(
        _l("Password (only if they will sign in themselves)"),
        validators=[Optional(), Length(max=128)],
        filters=[_blank_to_none],
        render_kw={"autocomplete": "new-password"},
    )
    is_volunteer = BooleanField(_l("Volunteer"))
    is_priority = BooleanField(_l("Priority elder (living alone, disabled or low income)"))
    has_hardship = BooleanField(_l("In hardship (may spend hours from a younger age)"))
    # shown with a warning of a likely duplicate (community.services.likely_duplicates)
    different_person = BooleanField(
        _l("I have checked: this is a different person. Open a new account anyway.")
    )


class MemberFlagsForm(FlaskForm):
    """Mark a member as volunteer, priority elder or in hardship; fix their birth date."""

    birth_date = DateField(_l("Date of birth"), validators=[Optional(), BIRTH_DATE])
    is_volunteer = BooleanField(_l("Volunteer"))
    is_priority = BooleanField(_l("Priority elder (living alone, disabled or low income)"))
    has_hardship = BooleanField(_l("In hardship (may spend hours from a younger age)"))


class FamilyLinkForm(FlaskForm):
    """Link a relative, found by phone number, username or member number, to an elder."""

    relative = StringField(
        _l("The relative's phone number, username or member number"),
        validators=[
            DataRequired(_l("Enter the relative's phone number or username.")),
            Length(max=40),
        ],
        render_kw={"autocomplete": "off"},
    )
    relation = StringField(
        _l("Relation (for example daughter, son, niece)"),
        validators=[Optional(), Length(max=20)],
        render_kw={"autocomplete": "off"},
    )
    may_book = BooleanField(_l("May book services for them"), default=True)
    may_confirm = BooleanField(_l("May confirm visits for them"), default=True)
    may_receive_gifts = BooleanField(_l("May receive hours as gifts"), default=True)
