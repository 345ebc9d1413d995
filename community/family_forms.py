"""Forms for family link requests and their answers (shape only: community.family checks the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional


class FamilyRequestForm(FlaskForm):
    """A relative asks to be linked to an elder, found by phone, username or member number."""

    elder = StringField(
        _l("The elder's phone number, username or member number"),
        validators=[
            DataRequired(_l("Enter the elder's phone number or member number.")),
            Length(max=40),
        ],
        render_kw={"autocomplete": "off"},
    )
    relation = StringField(
        _l("You are their (for example daughter, son, niece)"),
        validators=[Optional(), Length(max=20)],
        render_kw={"autocomplete": "off"},
    )
    may_book = BooleanField(_l("Book services for them"), default=True)
    may_confirm = BooleanField(_l("Confirm visits for them"), default=True)
    may_receive_gifts = BooleanField(_l("Receive hours they give me"), default=True)


class FamilyAnswerForm(FlaskForm):
    """The elder or a coordinator agrees (perhaps to less than was asked) or declines."""

    may_book = BooleanField(_l("May book services for the elder"))
    may_confirm = BooleanField(_l("May confirm visits for the elder"))
    may_receive_gifts = BooleanField(_l("May receive hours the elder gives"))
    checked_in_person = BooleanField(_l("I have checked with the elder in person"))
