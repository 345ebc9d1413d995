"""The limits every form holds its dates and numbers to (the shape of input, not the rules).

A date a thousand years away or a number past what the database can hold is
refused by the form, with a message in the reader's language, before any
service or query sees it. Every DateField and MonthField carries a DateWindow;
every IntegerField and DecimalField a NumberRange with both ends; money is a
YuanField (tests/test_form_limits.py checks every form of the app). The
services still check their own rules (a visit not in the future, a budget not
below what is spent) and say so in their own words.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import format_date, get_timezone
from flask_babel import lazy_gettext as _l
from wtforms import DecimalField
from wtforms.validators import NumberRange, ValidationError

from input_guard import MAX_ID

EARLIEST = date(1900, 1, 1)  # no one alive was born earlier; no record is older


def years(count: int) -> timedelta:
    """About ``count`` years, leap days included."""
    return timedelta(days=365 * count + count // 4)


def local_today() -> date:
    """Today where the app's people live (Flask-Babel's zone: Asia/Shanghai by default)."""
    return datetime.now(get_timezone()).date()


class DateWindow:
    """A date no earlier than 1900 (or ``past`` before today) and no later than ``ahead``
    after today. Empty dates are left to Optional/DataRequired."""

    field_flags = {}

    def __init__(self, *, past: timedelta | None = None, ahead: timedelta) -> None:
        self.past, self.ahead = past, ahead

    def bounds(self, today: date | None = None) -> tuple[date, date]:
        """The first and last date allowed, counted from ``today`` (local)."""
        today = today or local_today()
        first = EARLIEST if self.past is None else max(EARLIEST, today - self.past)
        return first, today + self.ahead

    def refusal(self, day: date, today: date | None = None):
        """None if ``day`` is inside the window, else the message saying which dates are
        (services use it too, for callers that come without a form)."""
        first, last = self.bounds(today)
        if first <= day <= last:
            return None
        return _l(
            "Enter a date from %(first)s to %(last)s.",
            first=format_date(first, "long"),
            last=format_date(last, "long"),
        )

    def __call__(self, form, field) -> None:
        if field.data is None:
            return
        day = field.data.date() if isinstance(field.data, datetime) else field.data
        message = self.refusal(day)
        if message is not None:
            raise ValidationError(message)


# A birth date: since 1900, never in the future.
BIRTH_DATE = DateWindow(ahead=timedelta(0))
# A day on the calendar of care (a visit, a session, a need, a plan, a menu, an
# opening): within two years back and five years ahead.
CALENDAR_DAY = DateWindow(past=years(2), ahead=years(5))
# The ends of a period to read (statements, reports): since 1900, up to ten years ahead.
PERIOD = DateWindow(ahead=years(10))


def id_range(message=None) -> NumberRange:
    """An id typed or chosen in a form: 1 to the database's largest."""
    return NumberRange(min=1, max=MAX_ID, message=message)


class YuanField(DecimalField):
    """An amount of yuan with at most two decimals' worth of sense: NaN, infinities and
    exponents beyond any price are not a valid amount (DecimalField lets them through,
    and a signalling NaN breaks NumberRange)."""

    def process_formdata(self, valuelist) -> None:
        super().process_formdata(valuelist)
        amount = self.data
        if not isinstance(amount, Decimal) or amount.is_zero():
            return
        if not amount.is_finite() or not -15 < amount.adjusted() < 15:
            self.data = None
            raise ValueError(_l("Enter an amount in yuan, for example 12.50."))


def yuan_field(label, *, minimum: str, maximum: str, validators=(), **kwargs) -> YuanField:
    """A YuanField from ¥``minimum`` to ¥``maximum``, after ``validators`` (e.g. required)."""
    low, high = Decimal(minimum), Decimal(maximum)
    shown_max = f"{high:,}"  # outside the call: the extractor reads f-strings there as msgids
    message = _l("Enter an amount from ¥%(min)s to ¥%(max)s.", min=minimum, max=shown_max)
    return YuanField(
        label,
        places=2,
        validators=[*validators, NumberRange(min=low, max=high, message=message)],
        **kwargs,
    )
