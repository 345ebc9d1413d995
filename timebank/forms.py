"""Forms for the member's time-bank pages: the shape of input only.

Types, required fields, lengths and number ranges live here; whether a member
may do something (and the limits that depend on the ledger) is checked by the
services, which re-check amounts too.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from form_limits import CALENDAR_DAY, PERIOD
from timebank.categories import category_choices
from timebank.formatting import TRANSFER_KIND_LABELS
from timebank.ledger import MAX_TRANSFER_MINUTES
from timebank.visits import MAX_VISIT_MINUTES

MAX_HOURS = MAX_TRANSFER_MINUTES // 60


def _idempotency_key() -> HiddenField:
    return HiddenField(validators=[DataRequired(), Length(max=80)])


def _recipient(label) -> StringField:
    return StringField(
        label,
        validators=[
            DataRequired(_l("Enter who it is: phone number, username or member number.")),
            Length(max=40),
        ],
        render_kw={"autocomplete": "off"},
    )


class LogVisitForm(FlaskForm):
    """A visit a volunteer made: who, what, when, and for how long."""

    recipient = _recipient(_l("Who did you help?"))
    category = SelectField(
        _l("Kind of service"),
        choices=[SelectChoice("", _l("Choose…"))] + category_choices(),
        validators=[DataRequired(_l("Choose a kind of service."))],
    )
    service_date = DateField(
        _l("Date of the visit"),
        validators=[DataRequired(_l("Enter the date of the visit.")), CALENDAR_DAY],
    )
    started_at = TimeField(_l("Start time"), validators=[Optional()])
    ended_at = TimeField(_l("End time"), validators=[Optional()])
    minutes = IntegerField(
        _l("Or: how many minutes"),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=MAX_VISIT_MINUTES,
                message=_l(
                    "Enter between %(min)s and %(max)s minutes.", min=1, max=MAX_VISIT_MINUTES
                ),
            ),
        ],
        render_kw={"inputmode": "numeric"},
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=500)])
    idempotency_key = _idempotency_key()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.minutes.data is None and not (self.started_at.data or self.ended_at.data):
            self.minutes.errors.append(_l("Enter the start and end time, or the minutes."))
            return False
        return valid


class AmountForm(FlaskForm):
    """An amount of time entered as hours and minutes; ``total_minutes`` adds them up."""

    hours = IntegerField(
        _l("Hours"),
        validators=[
            Optional(),
            NumberRange(
                min=0,
                max=MAX_HOURS,
                message=_l("Enter between %(min)s and %(max)s hours.", min=0, max=MAX_HOURS),
            ),
        ],
        render_kw={"inputmode": "numeric"},
    )
    minutes = IntegerField(
        _l("Minutes"),
        validators=[
            Optional(),
            NumberRange(
                min=0,
                max=MAX_TRANSFER_MINUTES,
                message=_l("Minutes cannot be negative or that many."),
            ),
        ],
        render_kw={"inputmode": "numeric"},
    )

    @property
    def total_minutes(self) -> int:
        return (self.hours.data or 0) * 60 + (self.minutes.data or 0)

    def validate(self, extra_validators=None) -> bool:
        # Optional() stops a field's own validators when it is empty, so the
        # total is checked here, once both boxes have been read.
        valid = super().validate(extra_validators)
        if self.hours.errors or self.minutes.errors:
            return False
        if self.total_minutes <= 0:
            self.minutes.errors.append(_l("Enter how much time: more than zero."))
        elif self.total_minutes > MAX_TRANSFER_MINUTES:
            self.minutes.errors.append(_l("At most %(max)s hours can move at once.", max=MAX_HOURS))
        else:
            return valid
        return False


class GiftForm(AmountForm):
    recipient = _recipient(_l("Give to"))
    memo = StringField(_l("Message (optional)"), validators=[Optional(), Length(max=200)])
    idempotency_key = _idempotency_key()


class DonateForm(AmountForm):
    memo = StringField(_l("Message (optional)"), validators=[Optional(), Length(max=200)])
    idempotency_key = _idempotency_key()


class ConfirmVisitForm(FlaskForm):
    """Only the CSRF token: confirming needs no input."""


class TakeBackForm(FlaskForm):
    """Only the CSRF token: taking back one's own gift or donation needs no input."""


class RejectVisitForm(FlaskForm):
    reason = TextAreaField(_l("Why (optional)"), validators=[Optional(), Length(max=500)])


class DisputeVisitForm(FlaskForm):
    reason = TextAreaField(
        _l("What is wrong?"),
        validators=[
            DataRequired(_l("Say what is wrong, so the coordinator can help.")),
            Length(max=500),
        ],
    )


class StatementFilterForm(FlaskForm):
    """The statement's filters, read from the query string (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional(), PERIOD])
    end = DateField(_l("To"), validators=[Optional(), PERIOD])
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice("", _l("All kinds"))]
        + [SelectChoice(kind, label) for kind, label in TRANSFER_KIND_LABELS.items()],
        validators=[Optional()],
    )

    def validate_end(self, field) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The “to” date must not be before the “from” date."))
