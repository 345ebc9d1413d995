"""The booking form: the shape of input only (the rules are in marketplace.bookings)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from form_limits import id_range
from marketplace.bookings import MAX_QUANTITY

FULFILMENT_LABELS = {"pickup": _l("I collect it at the canteen"), "delivery": _l("Bring it to me")}


class BookingForm(FlaskForm):
    """One booking: the time, how many, for whom, how to pay, and the details an item needs.

    The time, the people and the payment choices are set by the view from the
    item's openings; an unknown value is the service's to refuse.
    """

    slot = IntegerField(
        _l("Time"), validators=[InputRequired(_l("Choose a time.")), id_range(_l("Choose a time."))]
    )
    quantity = IntegerField(
        _l("How many"),
        validators=[
            InputRequired(_l("Enter how many.")),
            NumberRange(
                min=1,
                max=MAX_QUANTITY,
                message=_l("Book between %(min)s and %(max)s at a time.", min=1, max=MAX_QUANTITY),
            ),
        ],
        render_kw={"inputmode": "numeric"},
    )
    for_member = RadioField(_l("Who is it for?"), validate_choice=False, default="")
    member = StringField(
        _l("Or another member: phone number, username or member number (#12)"),
        validators=[Optional(), Length(max=40)],
    )
    payment_method = RadioField(
        _l("How to pay"),
        validate_choice=False,
        validators=[DataRequired(_l("Choose how to pay."))],
    )
    fulfilment = RadioField(
        _l("Pickup or delivery"),
        choices=[SelectChoice(code, label) for code, label in FULFILMENT_LABELS.items()],
        validate_choice=False,
        validators=[Optional()],
    )
    child_age_months = IntegerField(
        _l("The child's age in months"),
        validators=[
            Optional(),
            NumberRange(min=0, max=216, message=_l("Enter the age in months, e.g. 18.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    address = StringField(
        _l("Address (for delivery or a home visit)"), validators=[Optional(), Length(max=200)]
    )
    note = TextAreaField(
        _l("Note for the provider (optional)"), validators=[Optional(), Length(max=500)]
    )
    expected_price_fen = HiddenField(validators=[DataRequired()])
    expected_price_minutes = HiddenField()
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=80)])

    def expected_prices(self) -> tuple[int, int | None] | None:
        """The prices the page showed (fen, minutes), or None if they were tampered with."""
        fen, minutes = self.expected_price_fen.data or "", self.expected_price_minutes.data or ""
        if not _is_price(fen) or (minutes and not _is_price(minutes)):
            return None
        return int(fen), int(minutes) if minutes else None


def _is_price(text: str) -> bool:
    """Plain digits of a price the page could have shown (not 5000 of them)."""
    return text.isascii() and text.isdigit() and len(text) <= 12
