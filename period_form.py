"""The period a figures or report page reads: two local days from the query string.

Nothing is changed by it, so it carries no CSRF token and travels by GET. The time
bank's reports and civic's figures both use it.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import Optional, ValidationError

from form_limits import PERIOD


class PeriodForm(FlaskForm):
    """A period of local days; either end may be left empty for its default."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional(), PERIOD])
    end = DateField(_l("To"), validators=[Optional(), PERIOD])

    def validate_end(self, field) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The “to” date must not be before the “from” date."))
