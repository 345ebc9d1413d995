"""Consultation pages over HTTP: bad input gets a clear message and a 4xx with nothing
written; a secret ballot's receipt is shown once; the result is published at close."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civic.consultation_models import Consultation
from civic.consultation_services import close_voting_now
from civic.vote_models import VoteParticipation
from community.models import utcnow
from extensions import db
from form_limits import local_today
from tests.conftest import csrf_token, login

from .vote_support import make_block, own, propose

pytestmark = pytest.mark.views


@pytest.fixture
def vote(coordinator, elder, volunteer):
    block = make_block(coordinator.community, [8000, 9000])
    own(block.homes[0], elder)
    own(block.homes[1], volunteer)
    now = utcnow()
    consultation = propose(
        coordinator, f"building:{block.building.id}", now=now, opens_in=timedelta(0)
    )
    consultation.voting_opens_at = now - timedelta(minutes=1)
    db.session.commit()
    return consultation


def _post(client, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/consultations/")})


def test_a_second_vote_and_a_vote_after_close_are_refused_in_words(
    client, vote, elder, coordinator
):
    login(client, elder)
    path = f"/consultations/{vote.id}/vote"
    assert _post(client, path, {"choice": "agree"}).status_code == 302
    again = _post(client, path, {"choice": "disagree"})
    assert again.status_code == 409
    assert "已经投过了" in again.get_data(as_text=True)
    close_voting_now(coordinator, db.session.get(Consultation, vote.id))
    db.session.commit()
    late = _post(client, f"/consultations/{vote.id}/vote/change", {"choice": "disagree"})
    assert late.status_code == 409
    assert "投票已经结束，不能再改了" in late.get_data(as_text=True)
    assert db.session.scalar(select(func.count(VoteParticipation.id))) == 1
    result = client.get(f"/consultations/{vote.id}/result").get_data(as_text=True)
    assert "参加投票的业主面积" in result and "至少 2/3" in result


def test_not_on_the_roll_is_refused(client, vote, family):
    login(client, family)
    response = _post(client, f"/consultations/{vote.id}/vote", {"choice": "agree"})
    assert response.status_code == 403
    assert "不在这次投票的名单上" in response.get_data(as_text=True)


def test_a_paper_ballot_number_is_used_once(client, vote, coordinator, elder, volunteer):
    login(client, coordinator)
    path = f"/consultations/{vote.id}/paper"
    form = {"voter": elder.id, "paper_number": "5", "choice": "agree"}
    assert _post(client, path, form).status_code == 302
    twice = _post(client, path, form | {"voter": volunteer.id})
    assert twice.status_code == 409
    assert "第 5 号纸质选票已经录入过了" in twice.get_data(as_text=True)
    nonsense = _post(client, path, form | {"voter": "99999999999999", "paper_number": "6"})
    assert nonsense.status_code == 400
    assert db.session.scalar(select(func.count(VoteParticipation.id))) == 1


def test_a_proposal_opening_in_the_past_is_refused(client, coordinator):
    make_block(coordinator.community, [8000])
    db.session.commit()
    login(client, coordinator)
    today = local_today()
    response = _post(
        client,
        "/consultations/new",
        {
            "title": "加装电梯",
            "body": "方案",
            "scope": "community",
            "electorate": "residents",
            "matter": "other",
            "opens_on": today.isoformat(),
            "opens_at": "00:00",
            "closes_on": (today + timedelta(days=3)).isoformat(),
            "closes_at": "18:00",
        },
    )
    assert response.status_code == 400
    assert "投票开始时间不能早于现在" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Consultation.id))) == 0


def test_a_secret_vote_shows_its_receipt_once_and_changes_with_it(client, coordinator, elder):
    block = make_block(coordinator.community, [8000], name="南门新村")
    own(block.homes[0], elder)
    now = utcnow()
    secret = propose(coordinator, f"building:{block.building.id}", secret=True, now=now)
    secret.voting_opens_at = now - timedelta(minutes=1)
    db.session.commit()
    login(client, elder)
    cast = _post(client, f"/consultations/{secret.id}/vote", {"choice": "agree"})
    page = client.get(cast.headers["Location"]).get_data(as_text=True)
    assert "您的回执号码是" in page
    receipt = page.split("您的回执号码是 ")[1][:19]
    wrong = _post(
        client,
        f"/consultations/{secret.id}/vote/change",
        {"choice": "disagree", "receipt": "0000-0000-0000-0000"},
    )
    assert wrong.status_code == 403
    right = _post(
        client,
        f"/consultations/{secret.id}/vote/change",
        {"choice": "disagree", "receipt": receipt},
    )
    assert right.status_code == 302
    assert "回执号码是" not in client.get(f"/consultations/{secret.id}").get_data(as_text=True)
