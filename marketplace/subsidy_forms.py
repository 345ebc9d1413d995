"""Forms for community subsidies: a new rule, a new budget, and which report to show."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    MonthField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from form_limits import PERIOD, yuan_field
from marketplace.errors import InvalidInput
from marketplace.formatting import CATEGORY_LABELS
from marketplace.subsidies import MAX_MONTHLY_BUDGET_FEN

MAX_BUDGET_YUAN = str(MAX_MONTHLY_BUDGET_FEN // 100)
MAX_YUAN_PER_UNIT = "10000"


def yuan_to_fen(amount: Decimal) -> int:
    """A yuan amount as whole fen. Raises InvalidInput for a fraction of a fen."""
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise InvalidInput(_l("Enter yuan with at most two decimals."))
    return int(fen)


def _yuan_field(label, minimum: str, maximum: str):
    return yuan_field(
        label,
        minimum=minimum,
        maximum=maximum,
        validators=[InputRequired(_l("Enter an amount in yuan."))],
    )


class RuleForm(FlaskForm):
    """A new subsidy rule for one community."""

    community = SelectField(_l("Community"), validators=[DataRequired(_l("Choose a community."))])
    name = StringField(
        _l("Name of the subsidy"),
        validators=[DataRequired(_l("Give the subsidy a name.")), Length(max=80)],
    )
    category = SelectField(
        _l("For which kind of service"),
        choices=[SelectChoice("", _l("All kinds"))]
        + [SelectChoice(code, label) for code, label in CATEGORY_LABELS.items()],
        validators=[Optional()],
    )
    min_age = IntegerField(
        _l("For residents aged at least (leave empty for every age)"),
        validators=[
            Optional(),
            NumberRange(min=0, max=150, message=_l("Enter an age between 0 and 150.")),
        ],
    )
    yuan_per_unit = _yuan_field(_l("Yuan off each meal, visit or hour"), "0.01", MAX_YUAN_PER_UNIT)
    monthly_budget_yuan = _yuan_field(_l("Budget each month, in yuan"), "0", MAX_BUDGET_YUAN)
    idempotency_key = HiddenField()


class BudgetForm(FlaskForm):
    """A new monthly budget for one rule, from this month on."""

    monthly_budget_yuan = _yuan_field(_l("Budget each month, in yuan"), "0", MAX_BUDGET_YUAN)


class StopForm(FlaskForm):
    """Stopping a rule: the button and its CSRF token only."""


class ReportForm(FlaskForm):
    """Which community and month to report (read from the query string)."""

    class Meta:
        csrf = False

    community = SelectField(_l("Community"), validators=[Optional()])
    month = MonthField(_l("Month"), validators=[Optional(), PERIOD])
