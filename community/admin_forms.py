"""The street admin's form for a community's time-bank policy (shape only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectChoice
from wtforms.validators import InputRequired, NumberRange

from community.models import ElderPayer, GiftPolicy

_number = _l("Enter a whole number.")


class PolicyForm(FlaskForm):
    floor_hours = IntegerField(
        _l("Credit limit (hours a member may go below zero)"),
        validators=[InputRequired(_number), NumberRange(0, 100, _l("Between 0 and 100 hours."))],
    )
    storage_cap_hours = IntegerField(
        _l("Storage cap (most hours one member may keep)"),
        validators=[
            InputRequired(_number),
            NumberRange(1, 10_000, _l("Between 1 and 10,000 hours.")),
        ],
    )
    daily_cap_hours = IntegerField(
        _l("Daily earning cap (hours)"),
        validators=[InputRequired(_number), NumberRange(1, 24, _l("Between 1 and 24 hours."))],
    )
    redeem_min_age = IntegerField(
        _l("Age from which stored hours can be spent"),
        validators=[InputRequired(_number), NumberRange(18, 100, _l("Between 18 and 100."))],
    )
    hardship_redeem_min_age = IntegerField(
        _l("Age from which members in hardship can spend hours"),
        validators=[InputRequired(_number), NumberRange(18, 100, _l("Between 18 and 100."))],
    )
    elder_services_paid_by = RadioField(
        _l("Who pays for services elders receive"),
        choices=[
            SelectChoice(ElderPayer.GUARANTEE.value, _l("The community guarantee account")),
            SelectChoice(ElderPayer.ELDER.value, _l("The elder's own account")),
        ],
        validators=[InputRequired(_l("Choose one."))],
    )
    gift_recipients = RadioField(
        _l("Who members may give hours to"),
        choices=[
            SelectChoice(GiftPolicy.FAMILY.value, _l("Linked family only")),
            SelectChoice(GiftPolicy.ANYONE.value, _l("Any member")),
        ],
        validators=[InputRequired(_l("Choose one."))],
    )
