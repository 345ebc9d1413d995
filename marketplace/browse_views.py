"""Browsing and searching providers, and a provider's public page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.routing import BuildError
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from charts import Bar, bar_chart
from community.models import Community, User
from extensions import db
from form_limits import CALENDAR_DAY, yuan_field
from input_guard import as_id
from marketplace import browse as browsing
from marketplace.access import runs_provider
from marketplace.browse_cache import browse_cache
from marketplace.clock import local_today
from marketplace.formatting import CATEGORY_LABELS, format_yuan
from marketplace.models import MealMenu, Provider, ServiceCategory, ServiceItem, Unit
from marketplace.moderation import moderated_review_ids
from marketplace.page_notes import provider_notes
from marketplace.review_forms import ActionForm
from marketplace.reviews import provider_reviews, shown_provider
from timebank.formatting import format_minutes
from translated_labels import join_list

bp = Blueprint("market", __name__, url_prefix="/market")

PER_PAGE = 20
REVIEWS_PER_PAGE = 20
MENU_DAYS = 7
CATEGORY_ORDER = [c.value for c in ServiceCategory]
PREVIEW_STATUS = {
    "applied": _l("waiting for a coordinator's check"),
    "rejected": _l("rejected"),
    "suspended": _l("suspended"),
}


def _me() -> User | None:
    """The signed-in member, or None for a visitor."""
    return current_user._get_current_object() if current_user.is_authenticated else None


class BrowseForm(FlaskForm):
    """The filters (GET; works without JavaScript)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=40)])
    category = SelectField(
        _l("Kind of service"),
        choices=[SelectChoice("", _l("All kinds"))]
        + [SelectChoice(code, label) for code, label in CATEGORY_LABELS.items()],
        validators=[Optional()],
    )
    community = SelectField(_l("Community"), choices=[], validators=[Optional()])
    day = DateField(_l("Day"), validators=[Optional(), CALENDAR_DAY])
    max_price = yuan_field(
        _l("Highest price (yuan)"),
        minimum="0",
        maximum="100000",
        validators=[Optional()],
        render_kw={"inputmode": "decimal"},
    )
    min_stars = SelectField(
        _l("Rating"),
        choices=[
            SelectChoice("", _l("Any rating")),
            SelectChoice("4", _l("4 stars and above")),
            SelectChoice("3", _l("3 stars and above")),
        ],
        validators=[Optional()],
    )
    sort = SelectField(
        _l("Order"),
        choices=[
            SelectChoice("rank", _l("Best rated first")),
            SelectChoice("price", _l("Cheapest first")),
            SelectChoice("reviews", _l("Most reviews first")),
        ],
        default="rank",
        validators=[Optional()],
    )


def _community_choices(street_id: int) -> list[SelectChoice]:
    rows = db.session.execute(
        select(Community.id, Community.name)
        .where(Community.street_id == street_id)
        .order_by(Community.name)
    )
    return [SelectChoice("", _("All communities"))] + [
        SelectChoice(str(cid), name) for cid, name in rows
    ]


def _page_number() -> int:
    raw = request.args.get("page", "1")
    number = as_id(raw)  # None for text, and for more digits than Python will read
    return number if number is not None and number < 10_000 else 1


@bp.get("/")
def browse():
    """Provider cards for a street, filtered, PER_PAGE at a time.

    Open to everyone, like the street's notice board of checked services: a
    member sees their own street; a visitor (a son in another city, say) the
    street in ``?street=`` or, where there is only one, that one. Booking needs
    signing in. The rendered results are shared by everyone who asks the same
    in the same language (marketplace/browse_cache.py).
    """
    me = _me()
    street_id = _street_of(me.community_id) if me else None
    # A visitor's street is in the query (or is the only one), so the query is the key.
    key = (street_id or "visitor", str(get_locale()), tuple(sorted(request.args.items(multi=True))))
    cache = browse_cache()
    results = cache.get(key)
    status = 200
    if results is None:
        if me is None:
            street_id = browsing.visitors_street(request.args.get("street"))
        if street_id is None:
            results = _street_choice()
        else:
            results, status = _render_results(me, street_id)
        if status == 200:
            cache.put(key, results)
    return render_template("marketplace/browse/index.html", results=Markup(results)), status


def _street_of(community_id: int) -> int:
    """The street of a community (it never changes, so each worker remembers it)."""
    streets = current_app.extensions.setdefault("linli_streets", {})
    street_id = streets.get(community_id)
    if street_id is None:
        street_id = db.session.scalar(
            select(Community.street_id).where(Community.id == community_id)
        )
        streets[community_id] = street_id
    return street_id


def _street_choice() -> str:
    """The list of streets for a visitor to choose from, rendered."""
    return current_app.jinja_env.get_template("marketplace/browse/_streets.html").render(
        streets=browsing.streets()
    )


def _render_results(me: User | None, street_id: int) -> tuple[str, int]:
    """The filter form and one page of cards, rendered; 400 when a filter is wrong."""
    form = BrowseForm(formdata=request.args)
    form.community.choices = _community_choices(street_id)
    page = _page_number()
    cards, status = [], 200
    if form.validate():
        max_price = form.max_price.data
        cards = browsing.browse(
            me,
            category=form.category.data or None,
            community_id=int(form.community.data) if form.community.data else None,
            day=form.day.data,
            max_price_fen=int(max_price * 100) if isinstance(max_price, Decimal) else None,
            min_stars=int(form.min_stars.data) if form.min_stars.data else None,
            q=form.q.data or None,
            sort=form.sort.data or "rank",
            # one more than shown tells whether there is a next page, without counting
            limit=PER_PAGE + 1,
            offset=(page - 1) * PER_PAGE,
            street_id=street_id,
        )
    else:
        status = 400
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    # Rendered straight from the environment: the fragment needs no context
    # processors (they would count the unread messages a second time).
    html = current_app.jinja_env.get_template("marketplace/browse/_results.html").render(
        form=form,
        signed_in=me is not None,
        street=None if me else request.args.get("street"),
        cards=card_texts(cards[:PER_PAGE]),
        page=page,
        newer=url_for("market.browse", page=page - 1, **args) if page > 1 else None,
        more=url_for("market.browse", page=page + 1, **args) if len(cards) > PER_PAGE else None,
    )
    return html, status


@dataclass(frozen=True, slots=True)
class CardText:
    """One card's words, ready to print."""

    url: str
    name: str
    categories: str
    stars: str
    stars_label: str
    price: str
    serves: str


def card_texts(cards: list[browsing.ProviderCard]) -> list[CardText]:
    """Each card's text, translating every phrase once per page rather than once per card.

    (gettext without variables returns the translated pattern; it is filled in here.)
    """
    stars, label = (
        _("%(average)s ★ (%(count)s reviews)"),
        _("Rated %(average)s out of 5 from %(count)s reviews"),
    )
    unrated, from_price = _("No reviews yet"), _("From %(price)s")
    in_hours, serves = _("or %(hours)s in hours"), _("Serves %(communities)s")
    names = {code: str(text) for code, text in CATEGORY_LABELS.items()}
    # "/market/providers/" once, not a url_for per card (the id ends the route)
    provider_url = url_for("market.provider", provider_id=0).removesuffix("0")
    hours = {}
    texts = []
    for card in cards:
        numbers = {"count": card.rating_count}
        if card.rating_count:
            numbers["average"] = f"{card.rating_sum / card.rating_count:.1f}"
        price = ""
        if card.from_fen:
            price = from_price % {"price": format_yuan(card.from_fen)}
            if card.from_minutes:
                if card.from_minutes not in hours:
                    hours[card.from_minutes] = format_minutes(card.from_minutes)
                price += " " + in_hours % {"hours": hours[card.from_minutes]}
        texts.append(
            CardText(
                url=f"{provider_url}{card.id}",
                name=card.name,
                categories=" · ".join(names.get(c, c) for c in card.category_codes),
                stars=stars % numbers if card.rating_count else unrated,
                stars_label=label % numbers if card.rating_count else unrated,
                price=price,
                serves=serves % {"communities": join_list(card.community_names)},
            )
        )
    return texts


def book_url(item_id: int) -> str | None:
    """The booking page for an item (None while the bookings pages are not there)."""
    try:
        return url_for("bookings.new", item=item_id)
    except BuildError:
        return None


def rating_chart(summary: browsing.RatingSummary) -> Markup:
    """The 1–5 star distribution as a server-drawn SVG (the page repeats it in a table)."""
    bars = [
        Bar(_("%(stars)s stars: %(count)s", stars=stars, count=count), count)
        for stars, count in summary.distribution.items()
    ]
    return bar_chart(
        chart_id="rating-chart",
        title=_("How many reviews gave each number of stars"),
        desc=join_list(bar.text for bar in bars),
        bars=bars,
    )


def _menu(provider: Provider) -> tuple[list[tuple[str, list[ServiceItem]]], dict]:
    items = list(
        db.session.scalars(
            select(ServiceItem)
            .where(ServiceItem.provider_id == provider.id, ServiceItem.is_paused.is_(False))
            .order_by(ServiceItem.price_fen, ServiceItem.id)
        )
    )
    groups = [
        (code, [i for i in items if i.category == code])
        for code in CATEGORY_ORDER
        if any(i.category == code for i in items)
    ]
    meal_ids = [i.id for i in items if i.unit == Unit.MEAL or i.category == ServiceCategory.MEALS]
    menus: dict[int, list[MealMenu]] = {}
    if meal_ids:
        today = local_today()
        for menu in db.session.scalars(
            select(MealMenu)
            .where(
                MealMenu.item_id.in_(meal_ids),
                MealMenu.served_on >= today,
                MealMenu.served_on < today + timedelta(days=MENU_DAYS),
            )
            .order_by(MealMenu.served_on)
        ):
            menus.setdefault(menu.item_id, []).append(menu)
    return groups, menus


@bp.get("/providers/<int:provider_id>")
def provider(provider_id: int):
    """A provider's menu, rating summary and reviews, open to everyone.

    404 unless the provider is verified, but for its owner and the coordinators who
    decide about it. A hidden review's text and its button to show it again are only
    for the reviewing resident's coordinators.
    """
    me = _me()
    shown = shown_provider(me, provider_id)
    preview = not shown.is_visible
    page = _page_number()
    reviews = provider_reviews(shown.id, page=page, per_page=REVIEWS_PER_PAGE)
    groups, menus = _menu(shown)
    summary = browsing.rating_summary(shown)
    return render_template(
        "marketplace/browse/provider.html",
        provider=shown,
        address=browsing.shown_address(shown, me),
        phone=browsing.shown_contact_phone(shown, me),
        preview=preview,
        preview_status=PREVIEW_STATUS.get(shown.status, shown.status),
        groups=groups,
        menus=menus,
        summary=summary,
        chart=rating_chart(summary),
        reviews=reviews[:REVIEWS_PER_PAGE],
        page=page,
        newer=url_for("market.provider", provider_id=shown.id, page=page - 1) if page > 1 else None,
        older=url_for("market.provider", provider_id=shown.id, page=page + 1)
        if len(reviews) > REVIEWS_PER_PAGE
        else None,
        moderated=moderated_review_ids(me, reviews[:REVIEWS_PER_PAGE]),
        owner=me is not None and runs_provider(me, shown),
        book_url=book_url,
        action_form=ActionForm(formdata=None),
        notes=provider_notes(shown),
    )
