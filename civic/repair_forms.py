"""Forms for repairs: the request, and each step after it (the shape of input only)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from civic.errors import InvalidInput
from form_limits import CALENDAR_DAY, yuan_field

PHOTO_ACCEPT = {"accept": "image/jpeg,image/png,image/webp", "multiple": True}


def yuan_to_fen(amount: Decimal | None) -> int | None:
    """A yuan amount as whole fen (None stays None). Raises InvalidInput for a fraction of a fen."""
    if amount is None:
        return None
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise InvalidInput(_l("Enter yuan with at most two decimals."))
    return int(fen)


class RepairForm(FlaskForm):
    """A repair request: where, what, and when someone is home."""

    where = SelectField(_l("Where is it?"), validators=[DataRequired(_l("Choose where."))])
    place_detail = StringField(
        _l("Which building and door, or which spot (e.g. 3幢 2单元 stair light)"),
        validators=[Optional(), Length(max=80)],
    )
    description = TextAreaField(
        _l("What needs repairing?"),
        validators=[DataRequired(_l("Say what needs repairing.")), Length(max=1000)],
    )
    day = DateField(
        _l("Which day is someone home?"),
        validators=[DataRequired(_l("Choose a day.")), CALENDAR_DAY],
    )
    start = TimeField(_l("Home from"), validators=[DataRequired(_l("Enter a time."))])
    end = TimeField(_l("Home until"), validators=[DataRequired(_l("Enter a time."))])
    photos = MultipleFileField(_l("Photos (up to 4, optional)"), render_kw=PHOTO_ACCEPT)
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=80)])


CHARGES = [
    SelectChoice("free", _l("Free: inside the property fee")),
    SelectChoice("priced", _l("Costs extra")),
]


class AssignForm(FlaskForm):
    """The manager sends a worker, at a time, free or for a price."""

    worker = SelectField(_l("Worker"), validators=[DataRequired(_l("Choose a worker."))])
    day = DateField(
        _l("Day of the visit"), validators=[DataRequired(_l("Choose a day.")), CALENDAR_DAY]
    )
    at = TimeField(_l("Time of the visit"), validators=[DataRequired(_l("Enter a time."))])
    note = StringField(
        _l("Note to the resident (needed if they are not home then)"),
        validators=[Optional(), Length(max=200)],
    )
    charge = RadioField(_l("Cost"), choices=CHARGES, default="free")
    price_yuan = yuan_field(
        _l("Price in yuan (if it costs extra)"),
        minimum="0.01",
        maximum="10000",
        validators=[Optional()],
    )


class PriceForm(FlaskForm):
    """A new price before the resident accepts it."""

    charge = RadioField(_l("Cost"), choices=CHARGES, default="priced")
    price_yuan = yuan_field(
        _l("Price in yuan (if it costs extra)"),
        minimum="0.01",
        maximum="10000",
        validators=[Optional()],
    )


class AcceptPriceForm(FlaskForm):
    """The resident accepts the price they were shown."""

    price_fen = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=1_000_000)])


class VisitForm(FlaskForm):
    """The worker's record of the visit."""

    work_done = TextAreaField(
        _l("What was done?"), validators=[DataRequired(_l("Say what was done.")), Length(max=1000)]
    )
    paid_on_site = BooleanField(_l("The resident paid on site"))
    photos = MultipleFileField(_l("Photos of the work (up to 4, optional)"), render_kw=PHOTO_ACCEPT)


RATINGS = [SelectChoice(str(n), "★" * n + f" {n}") for n in range(5, 0, -1)]


class ConfirmForm(FlaskForm):
    """The resident confirms and rates the repair."""

    rating = RadioField(
        _l("How well was it done? (5 is best)"),
        choices=RATINGS,
        validators=[DataRequired(_l("Choose from 1 to 5 stars."))],
    )
    comment = TextAreaField(
        _l("Anything to add (optional)"), validators=[Optional(), Length(max=500)]
    )


class NotFixedForm(FlaskForm):
    """The resident says the repair is not fixed."""

    comment = TextAreaField(
        _l("What is still wrong?"),
        validators=[DataRequired(_l("Say what is still wrong.")), Length(max=500)],
    )
