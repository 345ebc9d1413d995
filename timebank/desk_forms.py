"""Forms of the coordinator's desk (shape only: the services check the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from timebank.models import AccountKind

MAX_HOURS_FIELD = 500


class IdempotentForm(FlaskForm):
    """A form that moves hours: its hidden key makes a double click or replay post once."""

    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=80)])


class HoursAndMinutesMixin:
    """Two small number fields instead of one large sum of minutes."""

    hours = IntegerField(
        _l("Hours"),
        validators=[
            Optional(),
            NumberRange(0, MAX_HOURS_FIELD, _l("Enter between 0 and %(max)s hours.")),
        ],
        render_kw={"inputmode": "numeric", "min": 0},
    )
    minutes = IntegerField(
        _l("Minutes"),
        validators=[Optional(), NumberRange(0, 59, _l("Enter between 0 and 59 minutes."))],
        render_kw={"inputmode": "numeric", "min": 0, "max": 59},
    )

    def total_minutes(self) -> int:
        """Hours and minutes as one number of minutes (0 when both are empty)."""
        return (self.hours.data or 0) * 60 + (self.minutes.data or 0)


class GrantForm(HoursAndMinutesMixin, IdempotentForm):
    source = RadioField(
        _l("Where the hours come from"),
        choices=[
            SelectChoice(AccountKind.FUND.value, _l("The community fund (donated hours)")),
            SelectChoice(
                AccountKind.GUARANTEE.value, _l("The guarantee account (issued by the community)")
            ),
        ],
        default=AccountKind.FUND.value,
        validators=[InputRequired(_l("Choose where the hours come from."))],
    )
    reason = TextAreaField(
        _l("Why the hours are granted"),
        validators=[DataRequired(_l("Write down why the hours are granted.")), Length(max=200)],
    )


class ReverseForm(IdempotentForm):
    reason = TextAreaField(
        _l("Why this transfer is reversed"),
        validators=[
            DataRequired(_l("Write down why this transfer is reversed.")),
            Length(max=200),
        ],
    )


SETTLE_POST_ALL = "post_all"
SETTLE_POST_FEWER = "post_fewer"
SETTLE_REJECT = "reject"


class SettleForm(HoursAndMinutesMixin, FlaskForm):
    decision = RadioField(
        _l("Your decision"),
        choices=[
            SelectChoice(SETTLE_POST_ALL, _l("The visit happened as logged: post all its time")),
            SelectChoice(SETTLE_POST_FEWER, _l("Post less time (enter it below)")),
            SelectChoice(SETTLE_REJECT, _l("It did not happen: post nothing")),
        ],
        validators=[InputRequired(_l("Choose a decision."))],
    )
    note = TextAreaField(
        _l("The reason for the decision"),
        validators=[DataRequired(_l("Write down the reason for the decision.")), Length(max=300)],
    )
