"""Forms for the street admin's organisation pages (the shape of input only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

KIND_LABELS = {
    "property_company": _l("Property company (物业公司)"),
    "self_management": _l("Residents' self-management group (自管小组)"),
    "street_department": _l("Street department (街道科室)"),
}
ROLE_LABELS = {"manager": _l("Manager"), "worker": _l("Worker")}


class OrganisationForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Give the organisation a name.")), Length(max=80)]
    )
    kind = RadioField(
        _l("Kind"),
        choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()],
        default="property_company",
    )
    phone = StringField(_l("Phone (optional)"), validators=[Optional(), Length(max=20)])


class LinkForm(FlaskForm):
    compound = SelectField(_l("Compound"), validators=[DataRequired(_l("Choose a compound."))])


class StaffForm(FlaskForm):
    who = StringField(
        _l("Member's phone, username or number"),
        validators=[DataRequired(_l("Say who.")), Length(max=60)],
    )
    role = RadioField(
        _l("Role"), choices=[SelectChoice(k, v) for k, v in ROLE_LABELS.items()], default="worker"
    )
