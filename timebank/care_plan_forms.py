"""Forms for care plans: the shape of input only (timebank.care_plans checks the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from form_limits import CALENDAR_DAY
from timebank.categories import category_choices

WEEKDAY_LABELS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)


def _member_field(label) -> StringField:
    return StringField(
        label,
        validators=[
            DataRequired(_l("Enter who it is: phone number, username or member number.")),
            Length(max=40),
        ],
        render_kw={"autocomplete": "off"},
    )


class CarePlanForm(FlaskForm):
    """A plan: who is helped, by whom, with what, on which days and at what time."""

    elder = _member_field(_l("Person to help"))
    volunteer = _member_field(_l("Volunteer"))
    category = SelectField(
        _l("Kind of service"),
        choices=[SelectChoice("", _l("Choose…"))] + category_choices(),
        validators=[DataRequired(_l("Choose a kind of service."))],
    )
    weekdays = SelectMultipleField(
        _l("Which days of the week"),
        choices=[SelectChoice(str(day), label) for day, label in enumerate(WEEKDAY_LABELS)],
        coerce=int,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validators=[DataRequired(_l("Choose at least one day of the week."))],
    )
    time_of_day = TimeField(
        _l("Time"), validators=[DataRequired(_l("Enter the time of the visits."))]
    )
    start_date = DateField(
        _l("First day"),
        validators=[DataRequired(_l("Enter the first day of the plan.")), CALENDAR_DAY],
    )
    end_date = DateField(_l("Last day (optional)"), validators=[Optional(), CALENDAR_DAY])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=500)])


class PlanActionForm(FlaskForm):
    """A one-button action on a plan or one of its visits (pause, resume, end, skip)."""
