"""Review pages: rating, replying, reporting and moderating, and who may do which."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community.models import Role
from extensions import db
from marketplace.booking_models import BookingStatus
from marketplace.review_models import Review, ReviewReport
from marketplace.reviews import create_review
from tests.conftest import csrf_token, login
from tests.marketplace.test_reviews import booking_row


@pytest.fixture
def make_booking(app, cleaning):
    def make(resident, *, item=cleaning, **fields):
        return booking_row(resident, item, **fields)

    return make


def _reviews() -> int:
    return db.session.scalar(select(func.count(Review.id)))


def test_the_resident_rates_with_big_star_buttons(client, english_pages, elder, make_booking):
    booking = make_booking(elder)
    login(client, elder)
    page = client.get(f"/reviews/new/{booking.id}").get_data(as_text=True)
    assert page.count('type="radio"') == 5 and "<legend>How was it?</legend>" in page
    response = client.post(
        f"/reviews/new/{booking.id}",
        data={"stars": "4", "text": "很准时", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    assert f"/market/providers/{booking.provider_id}" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "很准时" in page and "4.0 ★ (1 reviews)" in page

    again = client.post(
        f"/reviews/new/{booking.id}",
        data={"stars": "1", "csrf_token": csrf_token(client)},
    )
    assert again.status_code == 409
    assert "already been rated" in again.get_data(as_text=True)
    assert _reviews() == 1


def test_refusals_are_4xx_and_write_nothing(
    client, english_pages, elder, make_member, make_booking
):
    neighbour = make_member("邻居")
    theirs = make_booking(neighbour)
    open_booking = make_booking(elder, status=BookingStatus.ACCEPTED)
    old = make_booking(elder, completed_days_ago=20)
    login(client, elder)
    token = csrf_token(client)
    # a booking one does not reach is not found (it was 403, which said it exists)
    for booking, status in ((theirs, 404), (open_booking, 409), (old, 409)):
        assert client.get(f"/reviews/new/{booking.id}").status_code == status
        response = client.post(
            f"/reviews/new/{booking.id}", data={"stars": "5", "csrf_token": token}
        )
        assert response.status_code == status
    missing_stars = client.post(
        f"/reviews/new/{make_booking(elder).id}", data={"csrf_token": token}
    )
    assert missing_stars.status_code == 400
    assert _reviews() == 0


def test_the_owner_replies_others_may_not(
    client, english_pages, elder, provider_owner, make_booking
):
    review = create_review(by=elder, booking_id=make_booking(elder).id, stars=3, text="还行")
    db.session.commit()
    login(client, elder)
    assert client.get(f"/reviews/{review.id}/reply").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/market/")})
    login(client, provider_owner)
    response = client.post(
        f"/reviews/{review.id}/reply",
        data={"text": "谢谢您的意见", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    page = client.get(f"/market/providers/{review.provider_id}").get_data(as_text=True)
    assert "The provider replied:" in page and "谢谢您的意见" in page


def test_report_then_the_coordinator_hides_with_a_reason(
    client, english_pages, elder, volunteer, coordinator, make_booking
):
    review = create_review(by=elder, booking_id=make_booking(elder).id, stars=1, text="脏话连篇")
    db.session.commit()
    login(client, volunteer)
    token = csrf_token(client)
    assert (
        client.post(
            f"/reviews/{review.id}/report", data={"reason": "辱骂", "csrf_token": token}
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"/reviews/{review.id}/report", data={"reason": "辱骂", "csrf_token": token}
        ).status_code
        == 409
    )
    assert db.session.scalar(select(func.count(ReviewReport.id))) == 1
    assert client.get("/reviews/moderation").status_code == 403
    assert client.get(f"/reviews/{review.id}/hide").status_code == 403

    client.post("/logout", data={"csrf_token": token})
    login(client, coordinator)
    queue = client.get("/reviews/moderation").get_data(as_text=True)
    assert "脏话连篇" in queue and "辱骂" in queue
    form = client.get(f"/reviews/{review.id}/hide").get_data(as_text=True)
    assert "Honest negative reviews may not be hidden." in form
    token = csrf_token(client)
    no_reason = client.post(f"/reviews/{review.id}/hide", data={"reason": "", "csrf_token": token})
    assert no_reason.status_code == 400
    assert (
        client.post(
            f"/reviews/{review.id}/hide", data={"reason": "人身攻击", "csrf_token": token}
        ).status_code
        == 302
    )
    db.session.refresh(review)
    assert review.is_hidden and review.provider_id
    coordinator_page = client.get(f"/market/providers/{review.provider_id}").get_data(as_text=True)
    assert "This review was hidden by the community: 人身攻击" in coordinator_page
    assert "脏话连篇" in coordinator_page

    client.post("/logout", data={"csrf_token": token})
    login(client, volunteer)
    page = client.get(f"/market/providers/{review.provider_id}").get_data(as_text=True)
    assert "This review was hidden by the community: 人身攻击" in page
    assert "脏话连篇" not in page
    assert "No reviews yet" in page


def test_unhide_restores_and_only_moderators_may(
    client, english_pages, elder, coordinator, make_member, make_booking
):
    review = create_review(by=elder, booking_id=make_booking(elder).id, stars=2, text="慢")
    review.is_hidden, review.hidden_reason = True, "测试"
    provider = review.booking.provider
    provider.rating_count, provider.rating_sum = 0, 0
    db.session.commit()
    login(client, elder)
    token = csrf_token(client)
    assert (
        client.post(f"/reviews/{review.id}/unhide", data={"csrf_token": token}).status_code == 403
    )
    client.post("/logout", data={"csrf_token": token})
    login(client, coordinator)
    token = csrf_token(client)
    assert (
        client.post(f"/reviews/{review.id}/unhide", data={"csrf_token": token}).status_code == 302
    )
    db.session.refresh(provider)
    assert (provider.rating_count, provider.rating_sum) == (1, 2)


def test_a_coordinator_who_owns_the_provider_may_not_hide(
    client, english_pages, elder, make_member, make_provider, make_item, make_booking
):
    owner_coordinator = make_member("开店社工", age=40, role=Role.COORDINATOR)
    own = make_provider("社工的店", owner=owner_coordinator)
    review = create_review(
        by=elder, booking_id=make_booking(elder, item=make_item(own)).id, stars=1
    )
    db.session.commit()
    login(client, owner_coordinator)
    token = csrf_token(client)
    response = client.post(
        f"/reviews/{review.id}/hide", data={"reason": "差评", "csrf_token": token}
    )
    assert response.status_code == 403
    db.session.refresh(review)
    assert not review.is_hidden
