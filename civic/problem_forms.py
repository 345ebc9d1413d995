"""Forms of the problem pages: the shape of input only (the services decide the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from civic.problem_flow import MAX_NOTE
from civic.problem_labels import URGENCY_LABELS
from civic.problems import MAX_DESCRIPTION, MAX_SPOT
from form_limits import CALENDAR_DAY

PHOTO_ACCEPT = {"accept": "image/jpeg,image/png,image/webp", "multiple": True}


class ReportForm(FlaskForm):
    """A report's details once its kind and compound are chosen (in the query string)."""

    building = SelectField(_l("Building (if it is in one)"), choices=[], validate_choice=False)
    spot = StringField(
        _l("Where exactly? (optional)"), validators=[Optional(), Length(max=MAX_SPOT)]
    )
    description = TextAreaField(
        _l("What is the problem?"),
        validators=[
            DataRequired(_l("Say in a few words what is wrong.")),
            Length(max=MAX_DESCRIPTION),
        ],
    )
    urgency = RadioField(
        _l("How urgent is it?"),
        choices=[SelectChoice(code, label) for code, label in URGENCY_LABELS.items()],
        default="normal",
        validators=[InputRequired(_l("Choose how urgent it is."))],
    )
    photos = MultipleFileField(_l("Photos (up to 4, optional)"), render_kw=PHOTO_ACCEPT)
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=80)])


class MeTooForm(FlaskForm):
    """ "我也遇到了": nothing but the button."""


class AcceptForm(FlaskForm):
    holder = RadioField(
        _l("Who will deal with it?"),
        choices=[],
        validate_choice=False,
        validators=[InputRequired(_l("Choose who will deal with it."))],
    )
    due_on = DateField(
        _l("Deadline"), validators=[InputRequired(_l("Choose a deadline.")), CALENDAR_DAY]
    )


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is it not taken up? (the reporter reads this)"),
        validators=[DataRequired(_l("Give the reason, for the reporter.")), Length(max=MAX_NOTE)],
    )


class MergeForm(FlaskForm):
    into = SelectField(
        _l("The same problem, already reported"),
        choices=[],
        validate_choice=False,
        validators=[InputRequired(_l("Choose the problem it is the same as."))],
    )


class AnswerForm(FlaskForm):
    note = TextAreaField(
        _l("Your answer to the reporter: what you will do, and when"),
        validators=[DataRequired(_l("Write your answer for the reporter.")), Length(max=MAX_NOTE)],
    )


class CloseForm(FlaskForm):
    note = TextAreaField(
        _l("What was done?"),
        validators=[DataRequired(_l("Say what was done.")), Length(max=MAX_NOTE)],
    )
    photos = MultipleFileField(_l("Photos of the work (up to 4, optional)"), render_kw=PHOTO_ACCEPT)


RATING_CHOICES = [
    SelectChoice(5, _l("5 stars — very well handled")),
    SelectChoice(4, _l("4 stars — well handled")),
    SelectChoice(3, _l("3 stars — all right")),
    SelectChoice(2, _l("2 stars — poorly handled")),
    SelectChoice(1, _l("1 star — very poorly handled")),
]


class ConfirmForm(FlaskForm):
    rating = RadioField(
        _l("How was it handled?"),
        choices=RATING_CHOICES,
        coerce=int,
        validators=[InputRequired(_l("Choose from 1 to 5 stars."))],
    )
    note = TextAreaField(
        _l("Anything to add? (optional)"), validators=[Optional(), Length(max=MAX_NOTE)]
    )


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        _l("What is still wrong?"),
        validators=[DataRequired(_l("Say what is still wrong.")), Length(max=MAX_NOTE)],
    )
