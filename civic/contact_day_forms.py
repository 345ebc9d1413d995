"""Contact-day forms: the shape of input only (civic.contact_days checks the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, Optional

from form_limits import CALENDAR_DAY


class ScheduleForm(FlaskForm):
    held_on = DateField(_l("Date"), validators=[DataRequired(_l("Enter the date.")), CALENDAR_DAY])
    starts_at = TimeField(_l("Starts at"), validators=[DataRequired(_l("Enter the time."))])
    place = StringField(
        _l("Place"),
        validators=[DataRequired(_l("Say where it is held.")), Length(max=120)],
    )
    organisations = SelectMultipleField(_l("Organisations asked to attend"), coerce=int)
    guests = TextAreaField(
        _l("Others attending (optional)"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 4},
    )


class SignUpForm(FlaskForm):
    resident = SelectField(_l("Who raises it"), validate_choice=False)
    # a coordinator signs a resident up by phone number, login or member number
    who = StringField(_l("Resident"), validators=[Optional(), Length(max=60)])
    topic = TextAreaField(
        _l("What do you want to raise?"),
        validators=[DataRequired(_l("Say what you want to raise.")), Length(max=500)],
        render_kw={"rows": 4},
    )


class TopicOutcomeForm(FlaskForm):
    outcome = RadioField(
        _l("What did the meeting do?"),
        choices=[
            SelectChoice("answered", _l("Answered it on the spot")),
            SelectChoice("followed", _l("Handed it to someone responsible, with a deadline")),
        ],
        validators=[DataRequired(_l("Choose what the meeting did."))],
    )
    answer = TextAreaField(
        _l("The answer, or what was agreed"),
        validators=[DataRequired(_l("Write the answer or what was agreed.")), Length(max=5000)],
        render_kw={"rows": 5},
    )
    # handed on: the problem it becomes, who holds it and by when
    category = SelectField(_l("What kind of problem"), validate_choice=False)
    compound = SelectField(_l("Where"), validate_choice=False)
    holder = SelectField(_l("Who is responsible"), validate_choice=False)
    due_on = DateField(_l("Answer due by"), validators=[Optional(), CALENDAR_DAY])


class HeldForm(FlaskForm):
    summary = TextAreaField(
        _l("Summary of the meeting"),
        validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 6},
    )


class CancelForm(FlaskForm):
    reason = StringField(
        _l("Why is it cancelled?"),
        validators=[DataRequired(_l("Say why it is cancelled.")), Length(max=200)],
    )
