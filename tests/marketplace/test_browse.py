"""Browsing: only verified providers of the viewer's street, filters, search and ranking."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete

from community.models import Street
from community.services import found_community
from extensions import db
from marketplace.browse import (
    PRIOR_WEIGHT,
    bayesian_score,
    browse,
    mean_rating,
    rating_summary,
    streets,
    visitors_street,
)
from marketplace.errors import NotFound
from marketplace.models import CalendarException, ProviderStatus, WeeklySlot


def _rated(provider, count: int, total: int):
    provider.rating_count, provider.rating_sum = count, total
    db.session.flush()
    return provider


def _names(cards) -> list[str]:
    return [card.name for card in cards]


def test_only_verified_providers_are_shown(make_provider, make_item, elder):
    for status in ProviderStatus:
        make_item(make_provider(f"家政{status.value}", status=status))
    assert _names(browse(elder)) == ["家政verified"]


def test_providers_of_another_street_are_not_shown(app, make_provider, make_member, elder):
    other_street = Street(name="双塔街道")
    db.session.add(other_street)
    db.session.flush()
    elsewhere = found_community(street_id=other_street.id, name="别处社区")
    make_provider("本街道家政")
    make_provider("外街道家政", communities=[elsewhere])
    assert _names(browse(elder)) == ["本街道家政"]


def test_filter_by_category_and_community(make_provider, make_community, elder):
    second = make_community("金狮河沿社区")
    make_provider("保洁公司", categories="housekeeping")
    make_provider("托育中心", categories="childcare", communities=[second])
    assert _names(browse(elder, category="childcare")) == ["托育中心"]
    assert _names(browse(elder, category="housekeeping")) == ["保洁公司"]
    assert _names(browse(elder, community_id=second.id)) == ["托育中心"]


def test_filter_by_day_needs_a_slot_that_weekday_and_no_closing(make_provider, elder):
    monday = date(2026, 11, 30)
    weekdays_only = make_provider("工作日家政")
    db.session.execute(
        delete(WeeklySlot).where(
            WeeklySlot.provider_id == weekdays_only.id, WeeklySlot.weekday >= 5
        )
    )
    closed = make_provider("周一休息")
    db.session.add(CalendarException(provider_id=closed.id, on_date=monday, is_closed=True))
    db.session.flush()
    assert _names(browse(elder, day=monday)) == ["工作日家政"]
    saturday = monday + timedelta(days=5)
    assert _names(browse(elder, day=saturday)) == ["周一休息"]


def test_filter_by_price_uses_the_cheapest_unpaused_item(make_provider, make_item, elder):
    cheap = make_provider("便宜家政")
    make_item(cheap, "日常保洁", price_fen=5000)
    make_item(cheap, "深度保洁", price_fen=30000)
    paused = make_provider("暂停家政")
    make_item(paused, "特价保洁", price_fen=1000, is_paused=True)
    make_item(paused, "日常保洁", price_fen=9000)
    make_provider("没有项目")
    assert _names(browse(elder, max_price_fen=6000)) == ["便宜家政"]
    assert _names(browse(elder, max_price_fen=9000)) == ["便宜家政", "暂停家政"]
    card = browse(elder, max_price_fen=6000)[0]
    assert card.from_fen == 5000 and card.from_minutes == 120


def test_filter_by_minimum_stars_uses_the_raw_average(make_provider, elder):
    _rated(make_provider("四星半"), 2, 9)
    _rated(make_provider("三星"), 3, 9)
    make_provider("没有评价")
    assert _names(browse(elder, min_stars=4)) == ["四星半"]
    assert set(_names(browse(elder, min_stars=3))) == {"四星半", "三星"}


def test_chinese_substring_search_without_word_spaces(make_provider, make_item, elder):
    cleaner = make_provider("好帮手")
    make_item(cleaner, "日常保洁")
    canteen = make_provider("长者食堂")
    make_item(canteen, "爱心午餐", category="meals", unit="meal", price_fen=1500)
    make_item(canteen, "保洁暂停", is_paused=True)
    assert _names(browse(elder, q="保洁")) == ["好帮手"]
    assert _names(browse(elder, q="午餐")) == ["长者食堂"]
    assert _names(browse(elder, q="食堂")) == ["长者食堂"]
    assert _names(browse(elder, q="帮手家")) == []


def test_search_treats_percent_and_underscore_literally(make_provider, elder):
    make_provider("百分百家政")
    assert browse(elder, q="%") == []
    assert browse(elder, q="_") == []


def test_one_five_star_review_does_not_beat_forty_reviews_averaging_4_8(make_provider, elder):
    _rated(make_provider("一条五星"), 1, 5)
    _rated(make_provider("四十条"), 40, 192)
    _rated(make_provider("三星店"), 10, 30)
    make_provider("新店")
    cards = browse(elder)
    assert _names(cards) == ["四十条", "一条五星", "新店", "三星店"]
    mean = (5 + 192 + 30) / 51
    assert cards[0].score == pytest.approx((PRIOR_WEIGHT * mean + 192) / (PRIOR_WEIGHT + 40))
    assert cards[0].average == pytest.approx(4.8) and cards[0].rating_count == 40
    assert mean_rating() == pytest.approx(mean)
    assert bayesian_score(5, 1, mean) == pytest.approx(cards[1].score)


def test_unverified_providers_ratings_do_not_move_the_mean(make_provider):
    _rated(make_provider("好店"), 4, 16)
    _rated(make_provider("停业", status=ProviderStatus.SUSPENDED), 10, 10)
    assert mean_rating() == pytest.approx(4.0)


def test_sort_by_price_and_pages(make_provider, make_item, elder):
    for n, price in enumerate([3000, 1000, 2000]):
        make_item(make_provider(f"店{n}"), price_fen=price)
    make_provider("无价")
    assert _names(browse(elder, sort="price")) == ["店1", "店2", "店0", "无价"]
    assert _names(browse(elder, sort="price", limit=2, offset=2)) == ["店0", "无价"]


def test_cards_carry_categories_and_communities(make_provider, make_community, elder):
    second = make_community("南门社区")
    provider = make_provider("两社区", communities=[second], categories="meals,childcare")
    provider.communities.append(second.street.communities[0])
    db.session.flush()
    card = browse(elder)[0]
    assert card.category_codes == ["meals", "childcare"]
    assert sorted(card.community_names) == sorted(c.name for c in provider.communities)


def test_rating_summary_counts_visible_reviews_per_star(make_provider):
    provider = _rated(make_provider(), 0, 0)
    summary = rating_summary(provider)
    assert summary.count == 0 and summary.average is None
    assert summary.distribution == {5: 0, 4: 0, 3: 0, 2: 0, 1: 0}


def test_a_visitors_street_is_the_one_asked_for_or_the_only_one(app, street):
    assert visitors_street(None) == street.id
    assert visitors_street(str(street.id)) == street.id
    other = Street(name="双塔街道")
    db.session.add(other)
    db.session.flush()
    assert visitors_street("") is None  # two streets: the visitor chooses
    assert visitors_street(str(other.id)) == other.id
    assert streets() == sorted(
        [(street.id, "沧浪街道"), (other.id, "双塔街道")], key=lambda s: s[1]
    )
    for unknown in ("99999", "abc", "-1", "9" * 20):
        with pytest.raises(NotFound):
            visitors_street(unknown)
