"""The group-session form: the shape of input only (the services check the rules)."""

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
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from form_limits import CALENDAR_DAY
from timebank.categories import category_choices
from timebank.visits import MAX_VISIT_MINUTES


class GroupSessionForm(FlaskForm):
    """One activity: what, when, how long each, and who took part (one per line)."""

    title = StringField(
        _l("What was it?"),
        validators=[DataRequired(_l("Give the session a title.")), Length(max=80)],
    )
    category = SelectField(
        _l("Kind of service"),
        choices=[SelectChoice("", _l("Choose…"))] + category_choices(),
        validators=[DataRequired(_l("Choose a kind of service."))],
    )
    held_on = DateField(
        _l("Date"), validators=[DataRequired(_l("Enter the date of the session.")), CALENDAR_DAY]
    )
    minutes = IntegerField(
        _l("Minutes for each participant"),
        validators=[
            DataRequired(_l("Enter how many minutes each participant gave.")),
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
    participants = TextAreaField(
        _l("Participants"),
        validators=[DataRequired(_l("Enter at least one participant.")), Length(max=10_000)],
        render_kw={"rows": 10, "autocomplete": "off"},
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=500)])
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=80)])
