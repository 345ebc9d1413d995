"""Every form of the app holds its dates and numbers to limits (form_limits.py).

Forms are found as they are defined (every FlaskForm subclass the app imports),
so a form added later is checked too.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import DateField, DecimalField, Form, IntegerField, MonthField
from wtforms.fields.core import UnboundField
from wtforms.validators import NumberRange, Optional

import app as _app  # noqa: F401  (imports every blueprint, and so every form)
from form_limits import BIRTH_DATE, CALENDAR_DAY, PERIOD, DateWindow, YuanField, years
from tests.conftest import login


def _forms() -> list[type]:
    found, pending = [], list(FlaskForm.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def _fields(form: type) -> list[tuple[str, UnboundField]]:
    return [
        (name, value)
        for klass in form.__mro__
        for name, value in vars(klass).items()
        if isinstance(value, UnboundField)
    ]


def _validators(field: UnboundField) -> list:
    validators = field.kwargs.get("validators")
    if validators is None and len(field.args) > 1:
        validators = field.args[1]
    return list(validators or [])


FIELDS = [
    pytest.param(field, id=f"{form.__module__}.{form.__name__}.{name}")
    for form in _forms()
    for name, field in _fields(form)
    if issubclass(field.field_class, (DateField, MonthField, IntegerField, DecimalField))
]


def test_the_forms_were_found():
    assert len(FIELDS) > 30


@pytest.mark.parametrize("field", FIELDS)
def test_every_date_and_number_field_has_both_limits(field):
    validators = _validators(field)
    if issubclass(field.field_class, (DateField, MonthField)):
        assert any(isinstance(v, DateWindow) for v in validators), "no DateWindow"
        return
    ranges = [v for v in validators if isinstance(v, NumberRange)]
    assert any(r.min is not None and r.max is not None for r in ranges), "no NumberRange"
    assert max(r.max for r in ranges) < 2**31
    if issubclass(field.field_class, DecimalField):
        assert issubclass(field.field_class, YuanField)


@pytest.mark.parametrize(
    "window, inside, outside",
    [
        (BIRTH_DATE, [date(1900, 1, 1), date(1940, 5, 1)], [date(1899, 12, 31), date(9999, 1, 1)]),
        (PERIOD, [date(1900, 1, 1), date(2000, 1, 1)], [date(1, 1, 1), date(9999, 12, 31)]),
        (CALENDAR_DAY, [date(2026, 1, 1)], [date(1990, 1, 1), date(2100, 1, 1)]),
    ],
)
def test_windows_hold_sane_days(app, window, inside, outside):
    today = date(2026, 3, 1)
    for day in inside:
        assert window.refusal(day, today) is None, day
    for day in outside:
        assert window.refusal(day, today) is not None, day


def test_a_birth_date_cannot_be_tomorrow(app):
    today = date(2026, 3, 1)
    assert BIRTH_DATE.refusal(today, today) is None
    assert BIRTH_DATE.refusal(today + timedelta(days=1), today) is not None
    assert CALENDAR_DAY.bounds(today) == (today - years(2), today + years(5))


class _Money(Form):
    amount = YuanField(places=2, validators=[Optional(), NumberRange(0, 100)])


@pytest.mark.parametrize(
    "raw", ["NaN", "sNaN", "Infinity", "-Infinity", "1e999999999", "1e-99999999", "0x10"]
)
def test_a_yuan_field_refuses_what_is_not_an_amount(app, raw):
    form = _Money(MultiDict({"amount": raw}))
    assert not form.validate()
    assert form.amount.data is None
    form.amount()  # renders what was typed, without error


@pytest.mark.parametrize("raw, amount", [("12.50", Decimal("12.50")), ("0", Decimal("0"))])
def test_a_yuan_field_takes_amounts(app, raw, amount):
    form = _Money(MultiDict({"amount": raw}))
    assert form.validate() and form.amount.data == amount


# --- pages that read dates and numbers from the query string ----------------------------


@pytest.mark.parametrize(
    "query",
    [
        "start=0001-01-01",
        "end=9999-12-31",
        "start=1899-12-31&end=2000-01-01",
        "end=2200-01-01",
    ],
)
@pytest.mark.parametrize("path", ["/statement", "/statement.csv"])
def test_statement_dates_outside_the_window_are_400_with_a_message(
    client, people, english_pages, path, query
):
    login(client, people["volunteer"])
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert "Enter a date from" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "cursor", [f"older_than={2**63}", f"newer_than={2**70}", "older_than=abc", "older_than=-5"]
)
def test_a_made_up_statement_page_is_400(client, people, english_pages, cursor):
    """Pages go by keyset (the last line's id); a cursor that is no id is refused, with
    the newest page shown."""
    login(client, people["volunteer"])
    response = client.get(f"/statement?{cursor}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "That page of the statement does not exist" in page and "My statement" in page


def test_statement_pages_within_reach_still_work(client, people):
    login(client, people["volunteer"])
    assert client.get("/statement?page=2").status_code == 200
    assert client.get("/statement?page=-4").status_code == 200
    assert client.get("/statement?start=1900-01-01").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/reports/figures?start=0001-01-01",
        "/reports/figures?end=9999-12-31",
        "/reports/export.csv?report=visits&end=9999-12-31",
        "/aid/requests?on_date=9999-12-31",
        "/subsidies/report?month=9999-12",
        "/subsidies/report?month=0001-01",
    ],
)
def test_far_dates_in_other_filters_are_400(client, people, path):
    login(client, people["street_admin"])
    assert client.get(path).status_code == 400


def test_the_service_refuses_far_statement_dates_without_a_form(app):
    from timebank.statements import InvalidStatementFilter, StatementFilter

    with pytest.raises(InvalidStatementFilter):
        StatementFilter(end=date(9999, 12, 31)).check()


@pytest.mark.parametrize("fen", ["9" * 5000, "٣", "-1", "1.5", ""])
def test_a_tampered_expected_price_is_no_price(app, fen):
    from marketplace.booking_forms import BookingForm

    with app.test_request_context(method="POST", data={"expected_price_fen": fen}):
        form = BookingForm(meta={"csrf": False})
        assert form.expected_prices() is None
