"""Forms for requests and offers: the shape of input only (the rules are in the services)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from form_limits import CALENDAR_DAY
from timebank.aid_models import Urgency
from timebank.categories import category_choices
from timebank.requests import MAX_REQUEST_MINUTES, Need

WEEKDAY_LABELS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)


def _category_field(label, first=None) -> SelectField:
    choices = [SelectChoice("", first or _l("Choose…"))]
    return SelectField(
        label,
        choices=choices + category_choices(),
        validators=[DataRequired(_l("Choose a kind of help."))] if first is None else [Optional()],
    )


class NeedForm(FlaskForm):
    """What is needed, when and where (posting a need, or asking for an offer)."""

    category = _category_field(_l("What kind of help?"))
    needed_on = DateField(_l("Which day"), validators=[Optional(), CALENDAR_DAY])
    flexible = BooleanField(_l("Any day is fine"))
    window_start = TimeField(_l("From (time)"), validators=[Optional()])
    window_end = TimeField(_l("Until (time)"), validators=[Optional()])
    building = StringField(_l("Building"), validators=[Optional(), Length(max=20)])
    unit = StringField(_l("Flat"), validators=[Optional(), Length(max=20)])
    estimated_minutes = IntegerField(
        _l("About how many minutes"),
        validators=[
            DataRequired(_l("Enter about how many minutes.")),
            NumberRange(
                min=1,
                max=MAX_REQUEST_MINUTES,
                message=_l("Enter between %(min)s and %(max)s minutes.", min=1, max=720),
            ),
        ],
        render_kw={"inputmode": "numeric"},
    )
    urgent = BooleanField(_l("It is urgent"))
    private_notes = TextAreaField(
        _l("Notes for the volunteer only (optional)"), validators=[Optional(), Length(max=500)]
    )
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=80)])

    def need(self) -> Need:
        return Need(
            category=self.category.data,
            estimated_minutes=self.estimated_minutes.data,
            needed_on=self.needed_on.data,
            window_start=self.window_start.data,
            window_end=self.window_end.data,
            flexible=bool(self.flexible.data),
            building=(self.building.data or "").strip(),
            unit=(self.unit.data or "").strip(),
            urgency=Urgency.URGENT if self.urgent.data else Urgency.NORMAL,
            private_notes=(self.private_notes.data or "").strip(),
        )


class RequestFilterForm(FlaskForm):
    """The open list's filters, from the query string (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    category = _category_field(_l("Kind of help"), first=_l("All kinds"))
    community = SelectField(_l("Community"), coerce=str, validators=[Optional()])
    on_date = DateField(_l("Day"), validators=[Optional(), CALENDAR_DAY])


class ApproveForm(FlaskForm):
    """Approving a take: the day and time (prefilled from the request)."""

    scheduled_date = DateField(_l("Day of the visit"), validators=[Optional(), CALENDAR_DAY])
    scheduled_time = TimeField(_l("Time of the visit (optional)"), validators=[Optional()])


class ActionForm(FlaskForm):
    """Only the CSRF token: taking, declining or cancelling needs no input."""


class OfferForm(FlaskForm):
    category = _category_field(_l("What can you help with?"))
    description = TextAreaField(
        _l("Describe what you can do (optional)"), validators=[Optional(), Length(max=500)]
    )
    areas = StringField(
        _l("Where (buildings or communities, optional)"), validators=[Optional(), Length(max=500)]
    )
    weekdays = SelectMultipleField(
        _l("Which days"),
        choices=[SelectChoice(str(day), label) for day, label in enumerate(WEEKDAY_LABELS)],
        coerce=int,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validators=[Optional()],
    )
    available_from = TimeField(_l("From (time, optional)"), validators=[Optional()])
    available_until = TimeField(_l("Until (time, optional)"), validators=[Optional()])
