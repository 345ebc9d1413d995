"""The time bank's scene for the permission table (tests/test_permissions.py): the objects
its rows name, built lazily (a request open, taken and scheduled; an offer; visits planned,
under way, finished and logged; a card; care plans; group sessions; a donation; disputes),
and community B's own (a volunteer of B visiting the elder of A, B's records).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta

from sqlalchemy import select

from community.models import User, utcnow
from extensions import db
from timebank.cards import issue_card
from timebank.care_plan_models import PlanStatus
from timebank.care_plans import PlanDetails, create_plan
from timebank.clock import local_now, local_today
from timebank.group_sessions import log_group_session
from timebank.offers import OfferDetails, publish_offer
from timebank.report_exports import request_export, write_export
from timebank.reports import ReportPeriod
from timebank.requests import Need, approve_take, post_request, take_request
from timebank.scheduling import check_in, check_out, schedule_visit
from timebank.transfers import donate_hours
from timebank.visit_models import Visit
from timebank.visits import log_visit

from .support import disputed_visit, key, top_up

TODAY = local_today()
TOMORROW = TODAY + timedelta(days=1)


# --- the scene: built lazily, only what a row's path names ---------------------------------


def _need(**fields) -> Need:
    return Need(
        category="meal", estimated_minutes=60, needed_on=TODAY + timedelta(days=2), **fields
    )


def _posted(scene, **fields):
    elder = scene.people["elder"]
    return post_request(_need(**fields), requester=elder, by=elder, idempotency_key=key())


def _taken(scene, **fields):
    """Taken by the volunteer, waiting for the elder's side to agree."""
    request = _posted(scene, **fields)
    take_request(request, volunteer=scene.people["volunteer"])
    return request


# Each request's private note, and who may read it: the requester's side always; the
# volunteer once that side agreed to them (not while their take waits for an answer).
OPEN_NOTE, TAKEN_NOTE, SCHEDULED_NOTE = "钥匙在邻居家", "门锁密码是1234", "钥匙放在门垫下"


def _visit_at(scene, at: time, day=TODAY) -> Visit:
    return schedule_visit(
        volunteer=scene.people["volunteer"],
        recipient=scene.people["elder"],
        category="meal",
        scheduled_date=day,
        scheduled_time=at,
        by=scene.people["coordinator"],
    )


def _finished(scene) -> Visit:
    """Checked out just now (the card confirms within the hour after check-out), its record
    waiting for the elder's card code (the card is issued)."""
    scene["card"]
    visit = _visit_at(scene, time(12, 0), day=local_today())
    check_in(visit, by=scene.people["volunteer"], at=utcnow())
    return check_out(visit, by=scene.people["volunteer"], at=utcnow() + timedelta(minutes=40))


def _under_way(scene) -> Visit:
    """Checked in just now, so checking out from the page comes after it whatever the hour.

    Planned half a day away from now: the finished visit's record runs from now for 40
    minutes, and a slot overlapping it would be refused as a clash (at 3 p.m. it was,
    for a run between 2 and 4 p.m. Shanghai time).
    """
    scene["finished"]  # checked in and out first: a volunteer is in one visit at a time
    at = time(3, 0) if local_now().hour >= 12 else time(21, 0)
    visit = _visit_at(scene, at, day=local_today())
    return check_in(visit, by=scene.people["volunteer"], at=utcnow())


def _plan(scene, at: time):
    plan, _generated = create_plan(
        elder=scene.people["elder"],
        volunteer=scene.people["volunteer"],
        details=PlanDetails(
            category="meal", weekdays=tuple(range(7)), time_of_day=at, start_date=TOMORROW
        ),
        by=scene.people["coordinator"],
    )
    return plan


def _paused_plan(scene):
    plan = _plan(scene, time(16, 0))
    plan.status = PlanStatus.PAUSED
    return plan


def _plan_visit(scene) -> Visit:
    plan_id = scene["plan"]
    return db.session.scalars(select(Visit).where(Visit.care_plan_id == plan_id)).first()


def _b_volunteer(scene) -> User:
    """A volunteer of community B (the other community of the street)."""
    b = scene.people["other_coordinator"].community
    return scene.make_member("金狮志愿者", age=58, community=b, is_volunteer=True)


def _cross_plain(scene) -> Visit:
    """B's volunteer to visit the elder of A (the issue's case): A's side arranged it."""
    return schedule_visit(
        volunteer=db.session.get(User, scene["b_volunteer"]),
        recipient=scene.people["elder"],
        category="companionship",
        scheduled_date=TODAY,
        scheduled_time=time(9, 30),
        by=scene.people["coordinator"],
    )


def _logged(scene, volunteer=None):
    """A visit a volunteer logged for the elder, waiting for the elder's side to answer."""
    volunteer = volunteer or scene.people["volunteer"]
    return log_visit(
        volunteer=volunteer,
        recipient=scene.people["elder"],
        category="meal",
        service_date=TODAY,
        minutes=45,
        entered_by=volunteer,
        idempotency_key=key(),
    )


def _giving_elder(scene):
    """The elder, with three hours to give or donate."""
    top_up(scene.people["elder"], 180)
    return scene.people["elder"]


def _donation(scene, volunteer=None) -> int:
    volunteer = volunteer or scene.people["volunteer"]
    top_up(volunteer, 300)
    return donate_hours(member=volunteer, minutes=60, by=volunteer, idempotency_key=key())


def _group_session(scene, coordinator: str = "coordinator", participant=None):
    participant = participant or scene.people["volunteer"]
    return log_group_session(
        community=scene.people[coordinator].community,
        title="中秋游园会",
        category="companionship",
        held_on=TODAY,
        minutes=60,
        participant_lines=[participant.phone],
        by=scene.people[coordinator],
        idempotency_key=key(),
    )


def _b(scene, name: str) -> User:
    return db.session.get(User, scene[name])


def _carded_elder(scene):
    """The elder, with a card in use to revoke."""
    scene["card"]
    return scene.people["elder"]


def _coordinator_export(scene) -> int:
    """The coordinator's export of today's transfers, written to its file."""
    export = request_export(
        "transfers",
        by=scene.people["coordinator"],
        period=ReportPeriod(TODAY, TODAY),
        today=TODAY,
    )
    export_id = export.id
    db.session.commit()
    write_export(export_id)
    return export_id


BUILDERS: dict[str, Callable] = {
    "open": lambda scene: _posted(scene, private_notes=OPEN_NOTE),
    "taken": lambda scene: _taken(scene, private_notes=TAKEN_NOTE),
    "scheduled": lambda scene: approve_take(
        _taken(scene, private_notes=SCHEDULED_NOTE), by=scene.people["elder"]
    ),
    "offer": lambda scene: publish_offer(
        OfferDetails(category="haircut"), by=scene.people["volunteer"]
    ),
    "logged": _logged,
    "b_volunteer": _b_volunteer,
    "cross_plain": _cross_plain,
    "cross_logged": lambda scene: _logged(scene, db.session.get(User, scene["b_volunteer"])),
    "giving_elder": _giving_elder,
    "plain": lambda scene: _visit_at(scene, time(8, 0)),
    "under_way": _under_way,
    "finished": _finished,
    "record": lambda scene: db.session.get(Visit, scene["finished"]).service_record,
    "card": lambda scene: issue_card(scene.people["elder"], by=scene.people["coordinator"]).card,
    "carded_elder": _carded_elder,
    "plan": lambda scene: _plan(scene, time(11, 0)),
    "paused": _paused_plan,
    "plan_visit": _plan_visit,
    "session": _group_session,
    "transfer": _donation,
    "disputed": lambda scene: disputed_visit(scene.people["volunteer"], scene.people["elder"]),
    "coordinator_export": _coordinator_export,
    "priority_elder": lambda scene: scene.make_member("孙奶奶", age=88, is_priority=True),
    # community B's records, for B's coordinator (and the street admin) and not A's
    "b_transfer": lambda scene: _donation(scene, _b(scene, "b_volunteer")),
    "b_session": lambda scene: _group_session(scene, "other_coordinator", _b(scene, "b_volunteer")),
    "b_disputed_visit": lambda scene: disputed_visit(
        _b(scene, "b_volunteer"), _b(scene, "b_resident")
    ),
}
