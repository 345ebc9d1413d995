"""Booking a slot (/bookings/new), a booking's page and one's own bookings.

The actions on a booking (accept, cancel, …) are routes on this same
blueprint in marketplace.booking_action_views.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from community.models import User
from community.reach import find_in_street, linked_elders
from errors import DomainError
from form_limits import CALENDAR_DAY
from input_guard import as_id, query_id
from marketplace import reviews, subsidies
from marketplace import take_back as booking_take_back
from marketplace.access import resident_for
from marketplace.booking_forms import FULFILMENT_LABELS, BookingForm
from marketplace.booking_models import Booking, BookingStatus, PaymentMethod
from marketplace.bookings import (
    bookable_item,
    booking_for,
    bookings_of,
    create_booking,
    earlier_bookings_of,
    resident_phone_for,
)
from marketplace.card import card_payments_enabled
from marketplace.clock import local_today
from marketplace.errors import InvalidInput, NotFound
from marketplace.formatting import PAYMENT_METHOD_LABELS, local_time
from marketplace.keyset import parse_cursor
from marketplace.models import ServiceItem
from marketplace.money_back import money_back_for, money_back_lines
from marketplace.openings import bookable_days, day_plan, openings
from marketplace.page_notes import booking_links
from marketplace.progress import booking_steps
from views_common import commit, new_idempotency_key, refuse

bp = Blueprint("bookings", __name__, url_prefix="/bookings")

DAYS_SHOWN = 14


@bp.before_request
@login_required
def signed_in_only() -> None:
    """Every booking page is for signed-in members (anonymous → sign in)."""


def _me() -> User:
    return current_user._get_current_object()


def _int_arg(name: str) -> int | None:
    return query_id(name)


def _day_arg(item: ServiceItem, today: date) -> date:
    """The day asked for, else the first day with slots in the next two weeks, else today."""
    raw = request.args.get("day", "")
    if raw:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise InvalidInput(_("Choose a day from the list.")) from None
        first, last = CALENDAR_DAY.bounds(today)
        if not first <= day <= last:  # e.g. year 9999: there is no day after it
            raise InvalidInput(_("Choose a day from the list."))
        return day
    days = bookable_days(item, today, DAYS_SHOWN)
    return days[0] if days else today


def payment_choices(item: ServiceItem) -> list[SelectChoice]:
    """The ways this item may be paid: on site always, hours if priced in hours, card if on."""
    methods = [PaymentMethod.ON_SITE]
    if item.price_minutes is not None:
        methods.append(PaymentMethod.HOURS)
    if card_payments_enabled():
        methods.append(PaymentMethod.CARD)
    return [SelectChoice(str(m), str(PAYMENT_METHOD_LABELS[m])) for m in methods]


def _resident_choices(me: User) -> list[SelectChoice]:
    choices = [SelectChoice("", _("Myself (%(name)s)", name=me.display_name))]
    choices += [SelectChoice(str(e.id), e.display_name) for e in linked_elders(me, "may_book")]
    return choices


def _chosen_resident_id(form: BookingForm) -> int | None:
    """Whom the form books for: a member typed in (coordinators), else the ticked person."""
    typed = (form.member.data or "").strip()
    if typed:
        return find_in_street(current_user, typed).id
    ticked = form.for_member.data or ""
    if ticked == "":
        return None
    member_id = as_id(ticked)
    if member_id is None:
        raise InvalidInput(_("Choose who it is for."))
    return member_id


def _page_resident(me: User, form: BookingForm) -> User:
    """The person the page is about (for the title and the subsidy estimate)."""
    try:
        return resident_for(me, _chosen_resident_id(form))
    except DomainError:
        return me


def _quantity(form: BookingForm) -> int:
    value = form.quantity.data
    return value if isinstance(value, int) and 1 <= value <= 10 else 1


def _render_new(form: BookingForm, item: ServiceItem, day: date, status: int = 200):
    me = _me()
    today = local_today()
    resident = _page_resident(me, form)
    plan = day_plan(item, day)
    found = openings(item, day, plan=plan)
    quantity = _quantity(form)
    total_fen = item.price_fen * quantity
    subsidy_fen = subsidies.estimate(resident, item, quantity, day)
    fulfilments = []
    if plan.menu is not None:
        offered = {"pickup": plan.menu.offers_pickup, "delivery": plan.menu.offers_delivery}
        fulfilments = [(code, label) for code, label in FULFILMENT_LABELS.items() if offered[code]]
    page = render_template(
        "marketplace/bookings/new.html",
        form=form,
        item=item,
        provider=item.provider,
        day=day,
        days=bookable_days(item, today, DAYS_SHOWN),
        openings=found,
        any_bookable=any(o.is_bookable for o in found),
        menu=plan.menu,
        fulfilments=fulfilments,
        resident=resident,
        quantity=quantity,
        total_fen=total_fen,
        subsidy_fen=subsidy_fen,
        for_arg=request.args.get("for", ""),
        # a day link keeps whom it is for and the booking being made again
        day_link_args={k: request.args[k] for k in ("for", "again") if request.args.get(k)},
    )
    return page, status


def _book_again(form: BookingForm, me: User, item: ServiceItem) -> None:
    """Fill the form as the booking ``?again=<id>`` was made (再订一次): how many, for
    whom, the time of day, how to pay and the details; the day is chosen anew.

    Raises NotFound (through booking_for) for a booking ``me`` may not see.
    """
    again_id = _int_arg("again")
    if again_id is None:
        return
    previous = booking_for(me, again_id)
    if me.id not in (previous.resident_id, previous.booked_by_id):
        # the provider or a coordinator sees it, but it is not theirs to repeat
        raise NotFound(_("This booking does not exist."))
    if previous.item_id != item.id:
        return
    form.quantity.data = previous.quantity
    form.slot.data = previous.slot_id
    if str(previous.resident_id) in {c.value for c in form.for_member.choices}:
        form.for_member.data = str(previous.resident_id)
    if previous.payment_method in {c.value for c in form.payment_method.choices}:
        form.payment_method.data = previous.payment_method
    form.fulfilment.data = previous.fulfilment
    form.child_age_months.data = previous.child_age_months
    form.address.data = previous.address
    form.note.data = previous.note


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Book an item (``?item=<id>&day=YYYY-MM-DD``): a time, how many, for whom, how to pay."""
    me = _me()
    item_id = _int_arg("item")
    if item_id is None:
        abort(404)
    item = bookable_item(item_id)
    day = _day_arg(item, local_today())
    form = BookingForm()
    form.for_member.choices = _resident_choices(me)
    for_id = _int_arg("for")
    known = {c.value for c in form.for_member.choices}
    if for_id is not None and for_id != me.id and str(for_id) not in known:
        # a coordinator's link to book for a member of their community
        member = resident_for(me, for_id)
        form.for_member.choices.append(SelectChoice(str(member.id), member.display_name))
    form.payment_method.choices = payment_choices(item)
    if request.method == "GET":
        form.idempotency_key.data = new_idempotency_key()
        form.quantity.data = 1
        form.for_member.data = str(for_id) if for_id is not None and for_id != me.id else ""
        form.payment_method.data = form.payment_method.choices[0].value
        form.expected_price_fen.data = str(item.price_fen)
        form.expected_price_minutes.data = (
            str(item.price_minutes) if item.price_minutes is not None else ""
        )
        _book_again(form, me, item)
        return _render_new(form, item, day)
    prices = form.expected_prices()
    if not form.validate() or prices is None:
        return _render_new(form, item, day, 400)
    try:
        booking = create_booking(
            by=me,
            item_id=item.id,
            day=day,
            slot_id=form.slot.data,
            quantity=form.quantity.data,
            payment_method=form.payment_method.data,
            expected_price_fen=prices[0],
            expected_price_minutes=prices[1],
            resident_id=_chosen_resident_id(form),
            fulfilment=form.fulfilment.data or None,
            child_age_months=form.child_age_months.data,
            address=form.address.data or "",
            note=form.note.data or "",
            idempotency_key=form.idempotency_key.data,
        )
    except DomainError as error:
        return _render_new(form, item, day, refuse(error))
    commit()
    if booking.status == BookingStatus.PENDING_PAYMENT:
        flash(
            _(
                "Your place is held for %(minutes)s minutes. Please pay by card now.",
                minutes=current_app.config["MARKETPLACE_PAYMENT_HOLD_MINUTES"],
            ),
            "success",
        )
        if "card.pay" in current_app.view_functions:
            return redirect(url_for("card.pay", booking_id=booking.id))
    else:
        flash(
            _(
                "Booked. %(provider)s will answer by %(time)s.",
                provider=booking.provider.name,
                time=local_time(booking.expires_at),
            ),
            "success",
        )
    return redirect(url_for("bookings.show", booking_id=booking.id))


def render_booking(booking: Booking, status: int = 200):
    """A booking's page for the signed-in member, answered with ``status``."""
    me = _me()
    page = render_template(
        "marketplace/bookings/show.html",
        booking=booking,
        steps=booking_steps(booking),
        resident_phone=resident_phone_for(me, booking),
        money_back=money_back_lines(money_back_for([booking]).get(booking.id)),
        may_rate=reviews.reviewable(me, booking) and "reviews.new" in current_app.view_functions,
        take_back_left=booking_take_back.take_back_left(booking, me),
        links=booking_links(me, booking),
    )
    return page, status


@bp.get("/<int:booking_id>")
def show(booking_id: int):
    """A booking's details, payment, subsidy, where it stands, its history; its actions for
    the viewer, and 撤回 just after booking it."""
    return render_booking(booking_for(_me(), booking_id))


@bp.get("/")
def mine():
    """Bookings for me and those I made for others: coming up first, then earlier ones,
    each saying where it stands; 待评价 on those waiting for a rating."""
    upcoming, earlier = bookings_of(_me())
    back = money_back_for(earlier.bookings)
    return render_template(
        "marketplace/bookings/mine.html",
        upcoming=upcoming,
        earlier=earlier,
        to_rate=reviews.unrated(upcoming + earlier.bookings),
        money_back={booking_id: money_back_lines(found) for booking_id, found in back.items()},
    )


@bp.get("/earlier")
def earlier():
    """My earlier bookings, 20 a page, latest first (?before= the cursor of the page
    before; one that does not parse starts from the latest)."""
    page = earlier_bookings_of(_me(), parse_cursor(request.args.get("before")))
    back = money_back_for(page.bookings)
    return render_template(
        "marketplace/bookings/earlier.html",
        page=page,
        to_rate=reviews.unrated(page.bookings),
        money_back={booking_id: money_back_lines(found) for booking_id, found in back.items()},
    )
