"""Forms for the figures and reports pages: dates and choices read from the query string.

Nothing here changes anything, so the forms carry no CSRF token and travel by GET
(asking the worker to write a big export posts ExportForm's fields, and the app's
CSRF protection checks that post's token).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from period_form import PeriodForm
from timebank.reports import REPORT_LABELS


class ExportForm(PeriodForm):
    """Which CSV report to download, and for which period."""

    report = SelectField(
        _l("Report"),
        choices=[SelectChoice(code, label) for code, label in REPORT_LABELS.items()],
        validators=[DataRequired(_l("Choose a report."))],
    )


class CertificateLookupForm(PeriodForm):
    """Whose certificate a coordinator wants to open."""

    volunteer = StringField(
        _l("Volunteer: phone number, username or member number"),
        validators=[DataRequired(_l("Enter who it is.")), Length(max=40)],
        render_kw={"autocomplete": "off"},
    )
