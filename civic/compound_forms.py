"""Forms for the coordinator's compounds and homes (the shape of input only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from form_limits import YuanField


class CompoundForm(FlaskForm):
    community = SelectField(_l("Community"), validators=[DataRequired(_l("Choose a community."))])
    name = StringField(
        _l("Name of the compound"),
        validators=[DataRequired(_l("Give the compound a name.")), Length(max=80)],
    )
    address = StringField(_l("Address (optional)"), validators=[Optional(), Length(max=160)])


class BuildingForm(FlaskForm):
    name = StringField(
        _l("Building (e.g. 3幢)"),
        validators=[DataRequired(_l("Give the building a name, e.g. 3幢.")), Length(max=40)],
    )


class HomeForm(FlaskForm):
    building = SelectField(_l("Building"), validators=[DataRequired(_l("Choose a building."))])
    unit = StringField(
        _l("Unit and door (e.g. 2单元301)"),
        validators=[DataRequired(_l("Give the unit and door, e.g. 2单元301.")), Length(max=40)],
    )
    # YuanField: a decimal that refuses NaN, infinities and absurd exponents (not only money)
    area_m2 = YuanField(
        _l("Floor area in m²"),
        places=2,
        validators=[
            DataRequired(_l("Enter the floor area.")),
            NumberRange(
                min=0.01, max=1000, message=_l("Enter a floor area from 0.01 to 1,000 m².")
            ),
        ],
    )


class OwnerForm(FlaskForm):
    home = SelectField(_l("Home"), validators=[DataRequired(_l("Choose a home."))])
    who = StringField(
        _l("Owner's phone, username or member number"),
        validators=[DataRequired(_l("Say who.")), Length(max=60)],
    )
