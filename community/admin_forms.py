"""The street admin's forms: a community's time-bank policy, the audit log's filters (shape only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from community.models import ElderPayer, GiftPolicy
from form_limits import PERIOD
from input_guard import as_id

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


class AuditFilterForm(FlaskForm):
    """The audit log's filters, read from the query string (no CSRF: it changes nothing).

    Shape only: the service says whether the dates, the action, the community and the
    people make sense for this street admin.
    """

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional(), PERIOD])
    end = DateField(_l("To"), validators=[Optional(), PERIOD])
    action = SelectField(_l("What was done"), validate_choice=False)
    actor = StringField(
        _l("Who did it"),
        validators=[Optional(), Length(max=60, message=_l("At most 60 characters."))],
    )
    subject = StringField(
        _l("For whom"),
        validators=[Optional(), Length(max=60, message=_l("At most 60 characters."))],
    )
    community = SelectField(_l("Community"), validate_choice=False)
    # the keyset cursor: the last entry of the page before
    older_than = HiddenField()

    def set_choices(self, actions: list[tuple[str, str]], communities: list[tuple[int, str]]):
        """Fill the two lists (each starting with "all")."""
        self.action.choices = [("", _l("Everything"))] + actions
        self.community.choices = [("", _l("All communities"))] + [
            (str(community_id), name) for community_id, name in communities
        ]

    @staticmethod
    def _id_or_nothing(field, message) -> int | None:
        text = (field.data or "").strip()
        if not text:
            return None
        number = as_id(text)
        if number is None:
            raise ValidationError(message)
        return number

    def validate_community(self, field) -> None:
        self._id_or_nothing(field, _l("Choose a community from the list."))

    def validate_older_than(self, field) -> None:
        self._id_or_nothing(field, _l("That page of the log does not exist."))

    def validate_end(self, field) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The “to” date must not be before the “from” date."))

    @property
    def community_id(self) -> int | None:
        return as_id(self.community.data or "")

    @property
    def older_than_id(self) -> int | None:
        return as_id(self.older_than.data or "")
