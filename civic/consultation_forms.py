"""Consultation forms: the shape of input only (the services check the rules)."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from civic.vote_services import MAX_PAPER_NUMBER
from form_limits import DateWindow, years

# A vote opens from today to a year ahead (the service says so in words if it is past).
VOTE_DAY = DateWindow(past=timedelta(0), ahead=years(1))


def electorate_choices():
    return [
        SelectChoice(
            "owners", _l("Owners (业主) of the building or compound, counted by floor area")
        ),
        SelectChoice("residents", _l("Residents aged 18 or more, one vote each")),
    ]


def matter_choices():
    return [
        SelectChoice(
            "rebuild", _l("Rebuilding or altering the building (such as adding a lift): 3/4")
        ),
        SelectChoice("raise_fund", _l("Raising the maintenance fund: 3/4")),
        SelectChoice("common_parts_use", _l("Changing the use of shared parts: 3/4")),
        SelectChoice("use_fund", _l("Using the maintenance fund: more than half")),
        SelectChoice("other", _l("Another matter: more than half")),
    ]


def vote_choices():
    return [
        SelectChoice("agree", _l("I agree")),
        SelectChoice("disagree", _l("I disagree")),
        SelectChoice("abstain", _l("I abstain")),
    ]


class ProposalForm(FlaskForm):
    """A proposal: what, where, who votes, under which rule, and when."""

    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give the proposal a title.")), Length(max=120)]
    )
    body = TextAreaField(
        _l("What is proposed"),
        validators=[DataRequired(_l("Say what is proposed.")), Length(max=10_000)],
        render_kw={"rows": 8},
    )
    links = TextAreaField(
        _l("Documents: links to plans, drawings and quotes (optional)"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 3, "autocomplete": "off"},
    )
    scope = SelectField(_l("Where"), validators=[DataRequired(_l("Choose a place."))])
    electorate = RadioField(
        _l("Who votes"),
        choices=electorate_choices(),
        default="owners",
        validators=[DataRequired(_l("Choose who votes."))],
    )
    matter = SelectField(
        _l("What is decided (the rule of 《民法典》 Article 278)"),
        choices=matter_choices(),
        default="other",
        validators=[DataRequired(_l("Choose what is decided."))],
    )
    secret = BooleanField(_l("Secret vote: nobody sees who voted what"))
    opens_on = DateField(
        _l("Vote opens on"),
        validators=[DataRequired(_l("Enter the day the vote opens.")), VOTE_DAY],
    )
    opens_at = TimeField(
        _l("Opens at (time)"), validators=[DataRequired(_l("Enter the time the vote opens."))]
    )
    closes_on = DateField(
        _l("Vote closes on"),
        validators=[DataRequired(_l("Enter the day the vote closes.")), VOTE_DAY],
    )
    closes_at = TimeField(
        _l("Closes at (time)"), validators=[DataRequired(_l("Enter the time the vote closes."))]
    )


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Your comment"),
        validators=[DataRequired(_l("Write your comment first.")), Length(max=1000)],
        render_kw={"rows": 4},
    )


class HideCommentForm(FlaskForm):
    reason = StringField(
        _l("Why hide it?"),
        validators=[DataRequired(_l("Say why the comment is hidden.")), Length(max=200)],
    )


class VoteForm(FlaskForm):
    choice = RadioField(
        _l("Your vote"), choices=vote_choices(), validators=[DataRequired(_l("Choose one."))]
    )
    receipt = StringField(
        _l("Your receipt (to change a secret vote)"),
        validators=[Optional(), Length(max=40)],
        render_kw={"autocomplete": "off"},
    )


class PaperBallotForm(FlaskForm):
    voter = SelectField(_l("Voter"), validators=[DataRequired(_l("Choose the voter."))])
    paper_number = IntegerField(
        _l("Number on the paper ballot"),
        validators=[
            DataRequired(_l("Enter the number printed on the paper ballot.")),
            NumberRange(
                min=1,
                max=MAX_PAPER_NUMBER,
                message=_l("Enter a number from 1 to %(max)s.", max=MAX_PAPER_NUMBER),
            ),
        ],
        render_kw={"inputmode": "numeric"},
    )
    choice = RadioField(
        _l("What the ballot says"),
        choices=vote_choices(),
        validators=[DataRequired(_l("Choose one."))],
    )
    receipt = StringField(
        _l("Receipt on the voter's slip (to change a secret vote)"),
        validators=[Optional(), Length(max=40)],
        render_kw={"autocomplete": "off"},
    )


class CouncilForm(FlaskForm):
    member = StringField(
        _l("Phone number, username or member number"),
        validators=[DataRequired(_l("Say who to name.")), Length(max=60)],
    )
