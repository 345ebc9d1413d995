"""Repairs through the pages, as the company's manager and worker (who are not among the
permission table's nine): each step answers, a refused step says why with a 4xx and
writes nothing, and bad input never gets a 5xx."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civic.repair_models import Repair, RepairStatus
from community.audit_models import AuditEntry
from extensions import db
from tests.conftest import csrf_token, login

from .repair_support import make_property, send_for, tomorrow

pytestmark = pytest.mark.views


@pytest.fixture
def place(elder, make_member):
    return make_property(elder, make_member)


def _signed_in(app, user):
    client = app.test_client()
    login(client, user)
    token = csrf_token(client, "/civic/repairs/")
    client.post("/language", data={"locale": "en", "csrf_token": token})
    return client, token


def _assign(place, **changes) -> dict:
    return {
        "worker": str(place.worker.id),
        "day": tomorrow().isoformat(),
        "at": "10:00",
        "charge": "free",
        **changes,
    }


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_manager_assigns_worker_visits_elder_confirms(app, english_pages, place, elder):
    repair_id = send_for(elder, place.home).id
    manager, token = _signed_in(app, place.manager)
    page = manager.get(f"/civic/repairs/{repair_id}")
    assert page.status_code == 200
    assert "Send a worker" in page.get_data(as_text=True)
    sent = manager.post(f"/civic/repairs/{repair_id}/assign", data=_assign(place, csrf_token=token))
    assert sent.status_code == 302

    again = manager.post(
        f"/civic/repairs/{repair_id}/assign", data=_assign(place, csrf_token=token)
    )
    assert again.status_code == 409
    assert "already has a worker" in again.get_data(as_text=True)

    worker, token = _signed_in(app, place.worker)
    jobs = worker.get("/civic/repairs/").get_data(as_text=True)
    assert f'href="tel:{elder.phone}"' in jobs
    assert "1单元101" in jobs
    done = worker.post(
        f"/civic/repairs/{repair_id}/visit",
        data={"work_done": "换了阀芯", "csrf_token": token},
    )
    assert done.status_code == 302

    resident, token = _signed_in(app, elder)
    rated = resident.post(
        f"/civic/repairs/{repair_id}/confirm", data={"rating": "4", "csrf_token": token}
    )
    assert rated.status_code == 302
    db.session.expire_all()
    repair = db.session.get(Repair, repair_id)
    assert (repair.status, repair.rating) == (RepairStatus.DONE, 4)


def test_a_refused_assignment_says_why_and_writes_nothing(app, english_pages, place, elder):
    repair_id = send_for(elder, place.home).id
    db.session.commit()
    audited = _count(AuditEntry)
    manager, token = _signed_in(app, place.manager)
    past = (tomorrow() - timedelta(days=2)).isoformat()
    cases = [
        (_assign(place, day=past), 400, "past"),
        (_assign(place, at="18:00"), 400, "not home"),
        (_assign(place, charge="priced", price_yuan=""), 400, "price"),
        (_assign(place, charge="priced", price_yuan="12.345"), 400, ""),
        (_assign(place, worker="99999999999999999999"), 400, ""),
        (_assign(place, worker=str(elder.id)), 400, ""),
        (_assign(place, day="9999-01-01"), 400, ""),
        (_assign(place, note="a\x00b"), 400, ""),
    ]
    for data, status, words in cases:
        response = manager.post(
            f"/civic/repairs/{repair_id}/assign", data={**data, "csrf_token": token}
        )
        assert response.status_code == status, (data, response.status_code)
        assert words in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Repair, repair_id).status == RepairStatus.SENT
    assert _count(AuditEntry) == audited


def test_a_worker_may_not_assign_and_huge_ids_are_not_found(app, english_pages, place, elder):
    repair_id = send_for(elder, place.home).id
    worker, token = _signed_in(app, place.worker)
    refused = worker.post(
        f"/civic/repairs/{repair_id}/assign", data=_assign(place, csrf_token=token)
    )
    assert refused.status_code == 403
    assert worker.get(f"/civic/repairs/{2**31}").status_code == 404
    assert worker.get("/civic/repairs/new?for=99999999999999999999").status_code == 404


def test_bad_requests_are_refused_with_a_message(app, english_pages, place, elder):
    client, token = _signed_in(app, elder)
    base = {
        "where": f"home:{place.home.id}",
        "description": "水管漏水",
        "day": tomorrow().isoformat(),
        "start": "09:00",
        "end": "12:00",
        "csrf_token": token,
        "idempotency_key": "one-form",
    }
    cases = [
        ({"description": ""}, "Say what needs repairing"),
        ({"description": "x" * 5000}, ""),
        ({"where": "home:99999999999"}, ""),
        ({"where": f"shared:{place.compound.id}"}, "where exactly"),
        ({"start": "12:00", "end": "09:00"}, "end after"),
        ({"day": "3000-01-01"}, ""),
        ({"description": "漏\x00水"}, ""),
    ]
    for change, words in cases:
        response = client.post("/civic/repairs/new", data={**base, **change})
        assert response.status_code == 400, change
        assert words in response.get_data(as_text=True)
    assert _count(Repair) == 0
    ok = client.post("/civic/repairs/new", data=base)
    assert ok.status_code == 302
    again = client.post("/civic/repairs/new", data=base)  # a double tap
    assert again.status_code == 409
    assert "sent already" in again.get_data(as_text=True)
    assert _count(Repair) == 1


def test_the_coordinator_sees_who_serves_her_compounds(app, english_pages, place, coordinator):
    client, _token = _signed_in(app, coordinator)
    page = client.get("/civic/organisations/").get_data(as_text=True)
    assert place.company.name in page
    assert place.compound.name in page
    assert "Add an organisation" not in page


def test_a_price_is_shown_accepted_and_then_holds(app, english_pages, place, elder):
    repair_id = send_for(elder, place.home).id
    manager, token = _signed_in(app, place.manager)
    priced = manager.post(
        f"/civic/repairs/{repair_id}/price",
        data={"charge": "priced", "price_yuan": "120", "csrf_token": token},
    )
    assert priced.status_code == 302
    resident, resident_token = _signed_in(app, elder)
    page = resident.get(f"/civic/repairs/{repair_id}").get_data(as_text=True)
    assert "Accept ¥120.00" in page
    accepted = resident.post(
        f"/civic/repairs/{repair_id}/accept-price",
        data={"price_fen": "12000", "csrf_token": resident_token},
    )
    assert accepted.status_code == 302
    changed = manager.post(
        f"/civic/repairs/{repair_id}/price",
        data={"charge": "priced", "price_yuan": "200", "csrf_token": token},
    )
    assert changed.status_code == 409
    assert "cannot change now" in changed.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Repair, repair_id).price_fen == 12000


def test_a_coordinator_names_the_resident_and_family_find_their_elder(
    app, english_pages, place, elder, family, coordinator, far_people
):
    client, _token = _signed_in(app, coordinator)
    found = client.get(f"/civic/repairs/new?resident={elder.phone}")
    assert found.status_code == 302
    assert found.headers["Location"].endswith(f"/civic/repairs/new?for={elder.id}")
    assert client.get("/civic/repairs/new?resident=nobody").status_code == 404
    stranger = far_people["far_coordinator"].phone
    assert client.get(f"/civic/repairs/new?resident={stranger}").status_code == 404
    relative, _token = _signed_in(app, family)
    page = relative.get("/civic/repairs/new").get_data(as_text=True)
    assert f"/civic/repairs/new?for={elder.id}" in page
