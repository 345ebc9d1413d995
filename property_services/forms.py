"""Forms of the 物业+服务站 glue (the shape of input only; the services check the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, SelectField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange


class StationForm(FlaskForm):
    """The street admin links an organisation to one of the street's providers."""

    provider = SelectField(
        _l("Its service provider in the market"),
        validate_choice=False,  # the service says which providers may be linked
        validators=[DataRequired(_l("Choose a service provider."))],
    )


class PayOnlineForm(FlaskForm):
    """The resident's side pays a repair's accepted price online."""

    payment_method = RadioField(
        _l("How to pay"),
        validate_choice=False,
        validators=[DataRequired(_l("Choose how to pay."))],
    )
    price_fen = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=1_000_000)])
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=80)])
