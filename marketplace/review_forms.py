"""Forms for rating a booking, replying, reporting and hiding: the shape of input only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from marketplace.reviews import MAX_REASON, MAX_TEXT

STAR_CHOICES = [
    SelectChoice(5, _l("5 stars — excellent")),
    SelectChoice(4, _l("4 stars — good")),
    SelectChoice(3, _l("3 stars — all right")),
    SelectChoice(2, _l("2 stars — poor")),
    SelectChoice(1, _l("1 star — very poor")),
]


class ReviewForm(FlaskForm):
    stars = RadioField(
        _l("How was it?"),
        choices=STAR_CHOICES,
        coerce=int,
        validators=[InputRequired(_l("Choose from 1 to 5 stars."))],
    )
    text = TextAreaField(
        _l("What would you tell a neighbour? (optional)"),
        validators=[Optional(), Length(max=MAX_TEXT)],
    )


class ReplyForm(FlaskForm):
    text = TextAreaField(
        _l("Your reply"),
        validators=[DataRequired(_l("Write your reply.")), Length(max=MAX_TEXT)],
    )


class ReportForm(FlaskForm):
    reason = TextAreaField(
        _l("What is wrong with this review?"),
        validators=[
            DataRequired(_l("Say briefly what is wrong with this review.")),
            Length(max=MAX_REASON),
        ],
    )


class HideForm(FlaskForm):
    reason = TextAreaField(
        _l("Why must this review be hidden?"),
        validators=[
            DataRequired(_l("Give the reason for hiding this review.")),
            Length(max=MAX_REASON),
        ],
    )


class ActionForm(FlaskForm):
    """A button that posts (CSRF only)."""
