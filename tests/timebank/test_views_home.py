"""The time bank's home in Chinese: "等您办的事" right under the balance, one line and one
button for each thing, the elders a family member acts for, and a volunteer's open
requests nearby; visit notes the request flow wrote read as Chinese words."""

from __future__ import annotations

import re
import uuid

from extensions import db
from tests.conftest import login
from timebank.clock import local_today
from timebank.requests import Need, approve_take, post_request, take_request
from timebank.visit_models import Visit


def _need(requester, *, by=None):
    need = Need(category="errands", estimated_minutes=60, needed_on=local_today())
    return post_request(
        need, requester=requester, by=by or requester, idempotency_key=uuid.uuid4().hex
    )


def _main(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


def test_nothing_waiting_is_said_in_one_short_line(client, elder):
    login(client, elder)
    main = _main(client.get("/").get_data(as_text=True))
    assert "等您办的事" in main
    assert main.index("我的时间余额") < main.index("等您办的事")  # right under the balance
    assert '<p data-testid="nothing-waiting">现在没有等您办的事。</p>' in main


def test_the_elder_is_asked_to_agree_to_the_volunteer_who_took_her_request(
    client, elder, volunteer
):
    request = take_request(_need(elder), volunteer=volunteer)
    login(client, elder)
    main = _main(client.get("/").get_data(as_text=True))
    waiting = main[main.index('data-testid="waiting"') :]
    assert "李志愿想来帮您：代购" in waiting and "请您同意。" in waiting
    link = f'href="/aid/requests/{request.id}#approve-title">去同意</a>'
    assert link in waiting
    assert "会来帮您" not in main


def test_a_family_member_sees_the_elders_items_under_her_name(client, elder, family, volunteer):
    take_request(_need(elder), volunteer=volunteer)
    login(client, family)
    main = _main(client.get("/").get_data(as_text=True))
    assert "您自己现在没有要办的事。" in main  # her own list, with her mother's below
    family_part = main[main.index("替王秀英办的事") :]
    assert "李志愿想来帮王秀英：代购" in family_part


def test_a_volunteer_sees_open_requests_nearby_and_todays_visits(
    client, elder, volunteer, make_member
):
    other = make_member("赵奶奶", age=80)
    _need(other)
    request = take_request(_need(elder), volunteer=volunteer)
    approve_take(request, by=elder)
    login(client, volunteer)
    main = _main(client.get("/").get_data(as_text=True))
    waiting = main[main.index('data-testid="waiting"') : main.index('data-testid="nearby"')]
    visit_id = db.session.get(Visit, request.visit_id).id
    assert "今天：王秀英，代购。" in waiting
    assert f'href="/rounds/visits/{visit_id}">看这次探访</a>' in waiting
    nearby = main[main.index('data-testid="nearby"') :]
    assert "附近的求助" in nearby and "看看赵奶奶的求助" in nearby


def test_a_visit_scheduled_from_a_request_has_its_note_in_chinese(client, elder, volunteer):
    request = take_request(_need(elder), volunteer=volunteer)
    approve_take(request, by=elder)
    login(client, volunteer)
    visit_page = client.get(f"/rounds/visits/{request.visit_id}").get_data(as_text=True)
    assert f"来自第 {request.id} 号求助" in visit_page
    assert not re.search(r"aid request", visit_page)
