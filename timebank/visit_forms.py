"""Forms for rounds, cards and call-backs: the shape of input only (the services check the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from form_limits import CALENDAR_DAY
from timebank.categories import category_choices


def _member_field(label) -> StringField:
    return StringField(
        label,
        validators=[
            DataRequired(_l("Enter who it is: phone number, username or member number.")),
            Length(max=40),
        ],
        render_kw={"autocomplete": "off"},
    )


class ScheduleVisitForm(FlaskForm):
    """A visit planned ahead: who visits whom, what for, and when."""

    volunteer = _member_field(_l("Volunteer"))
    recipient = _member_field(_l("Person to visit"))
    category = SelectField(
        _l("Kind of service"),
        choices=[SelectChoice("", _l("Choose…"))] + category_choices(),
        validators=[DataRequired(_l("Choose a kind of service."))],
    )
    scheduled_date = DateField(
        _l("Date"), validators=[DataRequired(_l("Enter the date of the visit.")), CALENDAR_DAY]
    )
    scheduled_time = TimeField(_l("Time (optional)"), validators=[Optional()])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=500)])


class VisitActionForm(FlaskForm):
    """A one-button action (check in, check out, skip, cancel, issue or revoke a card)."""

    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=200)])


class CardCodeForm(FlaskForm):
    """The number the elder reads out from the box of their card the page asks for."""

    code = StringField(
        _l("The number in the box"),
        validators=[
            DataRequired(_l("Enter the 6 digits the elder reads out.")),
            # printed as "123 456": the space in the middle may be typed too
            Regexp(r"^\s*\d{3} ?\d{3}\s*$", message=_l("The number has 6 digits.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 9},
    )


class RecordVisitForm(FlaskForm):
    started_at = TimeField(
        _l("Arrived at"), validators=[DataRequired(_l("Enter when the visit started."))]
    )
    ended_at = TimeField(
        _l("Left at"), validators=[DataRequired(_l("Enter when the visit ended."))]
    )


class CallbackForm(FlaskForm):
    note = TextAreaField(
        _l("When you called and what was said"),
        validators=[
            DataRequired(_l("Write down when you called and what was said.")),
            Length(max=500),
        ],
    )
