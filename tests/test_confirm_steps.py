"""One-tap steps that change someone else's plans ask first on a plain page (issue 10):
accepting a booking, declining a volunteer or cancelling a request, calling a visit or a
care plan off, removing a calendar slot (tests/marketplace/test_confirm_steps.py), ending a
family link. Each page that offered a
one-tap button now links to a page that says what happens, with the button that posts
and a way back; looking at that page changes nothing."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from community.family import request_family_link
from community.models import FamilyLink
from community.services import link_family
from extensions import db
from tests.conftest import login
from tests.permission_table import snapshot
from tests.table_rows import table_names
from timebank.care_plans import PlanDetails, create_plan
from timebank.clock import local_today
from timebank.requests import Need, post_request, take_request
from timebank.scheduling import schedule_visit
from timebank.visit_models import Visit

pytestmark = pytest.mark.usefixtures("english_pages")


def asks_first(client, page_path: str, step_path: str, words: str) -> None:
    """``page_path`` links to ``step_path`` instead of posting it; the step's page says
    ``words``, posts to the step and leads back, and changes nothing when looked at."""
    page = client.get(page_path).get_data(as_text=True)
    assert f'action="{step_path}"' not in page, "still a one-tap button"
    assert f'href="{step_path}"' in page
    before = snapshot(table_names())
    response = client.get(step_path)
    asked = response.get_data(as_text=True)
    assert response.status_code == 200
    assert words in asked
    assert re.search(rf'<form method="post" action="{re.escape(step_path)}"', asked)
    assert "No, go back" in asked or "Back to the booking" in asked  # a way back
    assert snapshot(table_names()) == before


def test_declining_a_volunteer_and_cancelling_a_request(client, elder, volunteer):
    need = Need(category="meal", estimated_minutes=60, needed_on=local_today() + timedelta(days=2))
    request = post_request(need, requester=elder, by=elder, idempotency_key="confirm-steps")
    take_request(request, volunteer=volunteer)
    db.session.commit()
    login(client, elder)
    page = f"/aid/requests/{request.id}"
    asks_first(client, page, f"{page}/decline", "is open again for other volunteers")
    asks_first(client, page, f"{page}/cancel", "Cancel this request?")


def test_calling_a_visit_off(client, elder, volunteer, coordinator):
    visit = schedule_visit(
        volunteer=volunteer,
        recipient=elder,
        category="companionship",
        scheduled_date=local_today() + timedelta(days=1),
        scheduled_time=time(9),
        by=coordinator,
    )
    db.session.commit()
    login(client, volunteer)
    asks_first(
        client,
        f"/rounds/visits/{visit.id}",
        f"/rounds/visits/{visit.id}/cancel",
        "is told that the visit will not happen",
    )


def test_ending_a_care_plan_and_skipping_its_visit(client, elder, volunteer, coordinator):
    plan, _generated = create_plan(
        elder=elder,
        volunteer=volunteer,
        details=PlanDetails(
            category="meal",
            weekdays=tuple(range(7)),
            time_of_day=time(11),
            start_date=local_today() + timedelta(days=1),
        ),
        by=coordinator,
    )
    db.session.commit()
    visit = db.session.scalars(select(Visit).where(Visit.care_plan_id == plan.id)).first()
    login(client, coordinator)
    page = f"/plans/{plan.id}"
    asks_first(client, page, f"{page}/end", "Visits already made stay on record.")
    asks_first(client, page, f"{page}/visits/{visit.id}/skip", "the care plan goes on")


def test_ending_a_family_link_from_either_page(client, elder, make_member, coordinator):
    daughter = make_member("女儿", age=50)
    link = link_family(by=elder, elder=elder, relative=daughter)
    db.session.commit()
    login(client, elder)
    words = "can no longer book, confirm visits or receive hours"
    asks_first(client, "/family/", f"/family/links/{link.id}/end", words)
    client.post("/logout", data={"csrf_token": _token(client)})
    login(client, coordinator)
    asks_first(client, f"/members/{elder.id}/family", f"/family-links/{link.id}/revoke", words)


def test_withdrawing_ones_own_request_asks_too(client, elder, make_member):
    son = make_member("儿子", age=52)
    request_family_link(by=son, elder=elder, relation="儿子")
    db.session.commit()
    link = db.session.scalar(select(FamilyLink).where(FamilyLink.relative_id == son.id))
    login(client, son)
    asks_first(client, "/family/", f"/family/links/{link.id}/end", "is no longer asked to agree")


def _token(client) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client, "/hours")
