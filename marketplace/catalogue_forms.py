"""Forms for a provider's pages and for coordinators' decisions: the shape of input only.

The rules (which communities, price limits, age ranges…) are in the services.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from form_limits import CALENDAR_DAY
from marketplace.formatting import CATEGORY_LABELS, UNIT_LABELS
from marketplace.menu import ItemInput
from timebank.aid_forms import WEEKDAY_LABELS

NUMERIC = {"inputmode": "numeric"}
DECIMAL = {"inputmode": "decimal"}


def category_choices(codes=None) -> list[SelectChoice]:
    """The service categories (or only ``codes``) as choices."""
    return [
        SelectChoice(code, label)
        for code, label in CATEGORY_LABELS.items()
        if codes is None or code in codes
    ]


def _checkboxes(label, **kwargs) -> SelectMultipleField:
    return SelectMultipleField(
        label,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        **kwargs,
    )


def _whole(label, low: int, high: int, *, required: bool = True) -> IntegerField:
    message = _l("Enter a whole number from %(min)s to %(max)s.", min=low, max=high)
    first = InputRequired(message) if required else Optional()
    return IntegerField(
        label,
        validators=[first, NumberRange(min=low, max=high, message=message)],
        render_kw=NUMERIC,
    )


class _ProviderDetailsForm(FlaskForm):
    """What a provider tells residents and coordinators, asked when applying and in settings."""

    communities = _checkboxes(
        _l("Communities served"),
        coerce=int,
        validators=[DataRequired(_l("Choose at least one community to serve."))],
    )
    contact_name = StringField(
        _l("Contact person"),
        validators=[DataRequired(_l("Enter a contact person.")), Length(max=40)],
    )
    contact_phone = StringField(
        _l("Contact phone"),
        validators=[DataRequired(_l("Enter the contact phone.")), Length(max=30)],
        render_kw={"inputmode": "tel", "autocomplete": "tel"},
    )
    address = StringField(_l("Address (optional)"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(
        _l("What you offer (optional)"), validators=[Optional(), Length(max=1000)]
    )


class ApplyForm(_ProviderDetailsForm):
    """Applying as a provider."""

    name = StringField(
        _l("Name of the company or person"),
        validators=[DataRequired(_l("Enter a name.")), Length(max=80)],
    )
    kind = SelectField(
        _l("Company or individual"),
        choices=[
            SelectChoice("company", _l("A company or centre")),
            SelectChoice("individual", _l("An individual")),
        ],
    )
    categories = _checkboxes(
        _l("Services offered"),
        choices=category_choices(),
        validators=[DataRequired(_l("Choose at least one kind of service."))],
    )
    licence_number = StringField(
        _l("Licence number (optional)"), validators=[Optional(), Length(max=60)]
    )
    licence_details = TextAreaField(
        _l("Licence or credentials (optional)"), validators=[Optional(), Length(max=300)]
    )


class SettingsForm(_ProviderDetailsForm):
    """What the owner may change after applying."""

    min_notice_hours = _whole(_l("Minimum notice before a booking (hours)"), 0, 168)
    response_hours = _whole(_l("Hours you take to answer a booking"), 1, 72)


class ItemForm(FlaskForm):
    """One menu item (choices of category set per provider)."""

    category = SelectField(_l("Kind of service"))
    title = StringField(
        _l("Name of the item"), validators=[DataRequired(_l("Enter a name.")), Length(max=80)]
    )
    description = TextAreaField(
        _l("Description (optional)"), validators=[Optional(), Length(max=500)]
    )
    unit = SelectField(
        _l("Price is"),
        choices=[SelectChoice(code, label) for code, label in UNIT_LABELS.items()],
    )
    price_yuan = StringField(
        _l("Price in yuan"),
        validators=[DataRequired(_l("Enter the price in yuan, for example 12.5.")), Length(max=12)],
        render_kw=DECIMAL,
    )
    price_hours = StringField(
        _l("Price in time-bank hours (optional)"),
        validators=[Optional(), Length(max=8)],
        render_kw=DECIMAL,
    )
    duration_minutes = _whole(_l("How long (minutes)"), 1, 1440)
    capacity = _whole(_l("Places per slot (optional)"), 1, 1000, required=False)
    min_age_months = _whole(_l("Youngest child (months, childcare only)"), 0, 216, required=False)
    max_age_months = _whole(_l("Oldest child (months, childcare only)"), 0, 216, required=False)
    cancel_fee_percent = _whole(_l("Fee for cancelling within 24 hours (per cent)"), 0, 100)

    def item_input(self) -> ItemInput:
        return ItemInput(
            category=self.category.data,
            title=self.title.data or "",
            unit=self.unit.data,
            price_yuan=self.price_yuan.data or "",
            price_hours=self.price_hours.data or "",
            duration_minutes=self.duration_minutes.data,
            description=self.description.data or "",
            capacity=self.capacity.data,
            min_age_months=self.min_age_months.data,
            max_age_months=self.max_age_months.data,
            cancel_fee_percent=self.cancel_fee_percent.data,
        )


class MealMenuForm(FlaskForm):
    """A meal item's menu for one day (item choices set per provider)."""

    item = SelectField(_l("Meal"), coerce=int)
    served_on = DateField(_l("Day"), validators=[InputRequired(_l("Choose a day.")), CALENDAR_DAY])
    dishes = TextAreaField(
        _l("Dishes"), validators=[DataRequired(_l("List the dishes.")), Length(max=500)]
    )
    portions = _whole(_l("Portions that day"), 1, 10000)
    offers_pickup = BooleanField(_l("Pickup at the canteen"), default=True)
    offers_delivery = BooleanField(_l("Delivery to the door"))


class SlotForm(FlaskForm):
    """A weekly slot."""

    weekday = SelectField(
        _l("Day of the week"),
        coerce=int,
        choices=[SelectChoice(str(day), label) for day, label in enumerate(WEEKDAY_LABELS)],
    )
    starts_at = TimeField(_l("From"), validators=[InputRequired(_l("Enter a start time."))])
    ends_at = TimeField(_l("Until"), validators=[InputRequired(_l("Enter an end time."))])
    capacity = _whole(_l("Places"), 1, 1000)


class ExceptionForm(FlaskForm):
    """A day that differs from the weekly schedule."""

    on_date = DateField(_l("Day"), validators=[InputRequired(_l("Choose a day.")), CALENDAR_DAY])
    state = SelectField(
        _l("That day"),
        choices=[
            SelectChoice("closed", _l("Closed")),
            SelectChoice("open", _l("Open with other places per slot")),
        ],
    )
    capacity = _whole(_l("Places per slot (when open)"), 1, 1000, required=False)
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=200)])


class ReasonForm(FlaskForm):
    """A decision that needs a reason (rejecting, suspending)."""

    reason = TextAreaField(
        _l("Reason (the provider will see it)"),
        validators=[
            DataRequired(_l("Please give a reason; the provider will see it.")),
            Length(max=300),
        ],
    )


class ActionForm(FlaskForm):
    """Only the CSRF token: pausing, resuming, verifying need no input."""


class ChecksForm(FlaskForm):
    """Verifying or reinstating: the checks in person a childcare or meal provider needs
    (marketplace.provider_checks decides whether they are needed and if they are right)."""

    licence_number = StringField(
        _l("Licence number, as printed on the licence"),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    licence_seen = BooleanField(_l("I saw the licence itself, and it is valid"))
    health_certificates_seen = BooleanField(
        _l("I saw a valid health certificate for each member of staff")
    )
    premises_checked = BooleanField(_l("I checked the premises (kitchen or rooms) in person"))
