"""Forms for rounds, cards and call-backs: the shape of input only (the services check the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional, Regexp


class VisitActionForm(FlaskForm):
    """A one-button action (check in, check out, skip, cancel, issue or revoke a card)."""

    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=200)])


class CardCodeForm(FlaskForm):
    code = StringField(
        _l("The 6 digits on the elder's card"),
        validators=[
            DataRequired(_l("Enter the 6 digits on the card.")),
            Regexp(r"^\s*\d{6}\s*$", message=_l("The code has 6 digits.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 8},
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
