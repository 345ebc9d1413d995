"""Recurring care plans: create one, generate its visits ahead, pause, resume or end it.

A plan's visits are ordinary scheduled visits (timebank.scheduling.schedule_agreed_visit,
once the plan's creator is found still on the elder's side), so every scheduling rule
applies to each; skipping one occurrence is
scheduling.skip_visit. Generation is idempotent: a plan has at most one live
visit a day (checked here, and by the unique index uq_visits_care_plan_day).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from community.models import User
from community.reach import (
    CONTACT_PERMISSIONS,
    agrees_for,
    coordinated_member_ids,
    coordinates,
    reaches_any,
    same_street,
)
from extensions import db
from timebank.care_plan_models import WEEKDAYS, CarePlan, PlanStatus
from timebank.categories import BY_CODE
from timebank.clock import local_today
from timebank.errors import InvalidVisit, NotAllowed, NotFound
from timebank.scheduling import cancel_visit, schedule_agreed_visit
from timebank.staff_audit import acted_for
from timebank.visit_models import Visit, VisitStatus

DAYS_AHEAD = 14  # visits are generated this many days ahead


@dataclass(frozen=True)
class PlanDetails:
    """What a plan says: who helps whom, with what, on which weekdays, at what time, from when."""

    category: str
    weekdays: tuple[int, ...]
    time_of_day: time
    start_date: date
    end_date: date | None = None
    note: str = ""


@dataclass
class Generated:
    """What one generation did: the visits it planned and the days it could not, with why."""

    created: list[Visit] = field(default_factory=list)
    skipped: list[tuple[date, str]] = field(default_factory=list)


# --- who may do what ----------------------------------------------------------------------


def may_manage(actor: User, elder: User) -> bool:
    """True if ``actor`` may create, pause, resume or end an elder's plans: the elder's
    side (the elder, family allowed to book for them, or a coordinator of the elder's
    community). The volunteer's coordinator sees the plan but does not change it."""
    return agrees_for(actor, elder)


def may_view(actor: User, plan: CarePlan) -> bool:
    """True for the plan's people, the elder's family (book or confirm), its creator, and
    coordinators of the elder's or the volunteer's community."""
    if actor.id in (plan.elder_id, plan.volunteer_id, plan.created_by_id):
        return True
    return reaches_any(actor, plan.elder, CONTACT_PERMISSIONS) or coordinates(actor, plan.volunteer)


def may_skip_visits(actor: User, plan: CarePlan) -> bool:
    """True if ``actor`` may skip one of the plan's visits: its volunteer, or the elder's
    side (as timebank.scheduling.may_call_off for each visit)."""
    return actor.id == plan.volunteer_id or may_manage(actor, plan.elder)


def plan_for(actor: User, plan_id: int) -> CarePlan:
    """The plan ``plan_id`` as seen by ``actor``. Raises NotFound, NotAllowed."""
    plan = db.session.get(CarePlan, plan_id)
    if plan is None:
        raise NotFound(_l("This care plan does not exist."))
    if not may_view(actor, plan):
        raise NotAllowed(_l("You may not see this care plan."))
    return plan


def _check_may_manage(actor: User, elder: User) -> None:
    if not may_manage(actor, elder):
        raise NotAllowed(
            _l("Only the elder, family allowed to book for them or their coordinator can do this.")
        )


# --- creating and generating --------------------------------------------------------------


def _weekday_mask(days: tuple[int, ...]) -> int:
    if not days or any(day not in WEEKDAYS for day in days):
        raise InvalidVisit(_l("Choose at least one day of the week."))
    mask = 0
    for day in days:
        mask |= 1 << day
    return mask


def create_plan(
    *, elder: User, volunteer: User, details: PlanDetails, by: User, today: date | None = None
) -> tuple[CarePlan, Generated]:
    """Create an active plan and generate its first DAYS_AHEAD days of visits.

    The elder, family allowed to book for them or a coordinator of the elder's
    community may create one; anyone else acting is recorded as on the elder's
    behalf (a coordinator also in the audit log). Raises NotAllowed (anyone else;
    a volunteer of another street), InvalidVisit (no weekday, unknown category,
    the volunteer is the elder, a start in the past, an end before the start).
    """
    _check_may_manage(by, elder)
    today = today or local_today()
    if volunteer.id == elder.id:
        raise InvalidVisit(_l("A volunteer cannot visit themselves."))
    if not same_street(volunteer, elder):
        raise NotAllowed(_l("Visits are planned only with members of your own street."))
    if not (volunteer.is_active_member and elder.is_active_member):
        raise InvalidVisit(_l("This member's account is closed."))
    if details.category not in BY_CODE:
        raise InvalidVisit(_l("Choose a kind of service."))
    if details.start_date < today:
        raise InvalidVisit(_l("A care plan cannot start in the past."))
    if details.end_date is not None and details.end_date < details.start_date:
        raise InvalidVisit(_l("The last day cannot be before the first day."))
    plan = CarePlan(
        elder_id=elder.id,
        volunteer_id=volunteer.id,
        category=details.category,
        weekdays=_weekday_mask(details.weekdays),
        time_of_day=details.time_of_day.replace(second=0, microsecond=0),
        start_date=details.start_date,
        end_date=details.end_date,
        note=(details.note or "").strip()[:500],
        status=PlanStatus.ACTIVE,
        created_by_id=by.id,
        on_behalf_of_id=None if by.id == elder.id else elder.id,
    )
    db.session.add(plan)
    db.session.flush()
    generated = generate_visits(plan, by=by, today=today)
    acted_for(by, elder, "plan_created", target=f"care_plan:{plan.id}")
    return plan, generated


def _taken_days(plan: CarePlan, first: date, last: date) -> set[date]:
    """Days from ``first`` to ``last`` on which the plan already has a live (not cancelled) visit."""
    return set(
        db.session.scalars(
            select(Visit.scheduled_date).where(
                Visit.care_plan_id == plan.id,
                Visit.scheduled_date.between(first, last),
                Visit.status != VisitStatus.CANCELLED,
            )
        )
    )


def generate_visits(
    plan: CarePlan, *, by: User, through: date | None = None, today: date | None = None
) -> Generated:
    """Plan the plan's visits for each of its days from today through ``through``
    (default: DAYS_AHEAD days ahead), never twice for the same day.

    Does nothing for a paused or ended plan. A day that cannot be planned (e.g. the
    volunteer already has a visit then) is left out and reported, not fatal.
    Raises NotAllowed if ``by`` is no longer on the elder's side (see may_manage).
    """
    _check_may_manage(by, plan.elder)
    today = today or local_today()
    through = through or today + timedelta(days=DAYS_AHEAD)
    result = Generated()
    # Lock the plan so two generators (the CLI and a resume) cannot plan the same day twice.
    db.session.execute(select(CarePlan.id).where(CarePlan.id == plan.id).with_for_update())
    db.session.refresh(plan)
    if not plan.is_active:
        return result
    first = max(today, plan.start_date)
    last = through if plan.end_date is None else min(through, plan.end_date)
    taken = _taken_days(plan, first, last) if first <= last else set()
    day = first
    while day <= last:
        if plan.falls_on(day) and day not in taken:
            try:
                visit = schedule_agreed_visit(
                    volunteer=plan.volunteer,
                    recipient=plan.elder,
                    category=plan.category,
                    scheduled_date=day,
                    scheduled_time=plan.time_of_day,
                    by=by,
                    on_behalf_of=None if by.id == plan.elder_id else plan.elder,
                    note=plan.note,
                )
            except (InvalidVisit, NotAllowed) as error:
                result.skipped.append((day, str(error.message)))
            else:
                visit.care_plan_id = plan.id
                result.created.append(visit)
        day += timedelta(days=1)
    db.session.flush()
    return result


def generate_all(
    today: date | None = None, *, days_ahead: int = DAYS_AHEAD
) -> dict[int, Generated]:
    """Generate every active plan's visits ``days_ahead`` days ahead (the daily CLI run).

    Each plan's visits are planned in its creator's name. A plan whose creator
    may no longer arrange them is reported with that reason and left as it is.
    """
    today = today or local_today()
    results: dict[int, Generated] = {}
    plans = db.session.scalars(
        select(CarePlan).where(CarePlan.status == PlanStatus.ACTIVE).order_by(CarePlan.id)
    ).all()
    for plan in plans:
        try:
            results[plan.id] = generate_visits(
                plan, by=plan.created_by, through=today + timedelta(days=days_ahead), today=today
            )
        except NotAllowed as error:
            results[plan.id] = Generated(skipped=[(today, str(error.message))])
    return results


# --- pausing, resuming, ending ------------------------------------------------------------


def _call_off_upcoming(plan: CarePlan, by: User, reason: str, today: date) -> int:
    """Cancel the plan's visits from today on that have not started; return how many."""
    visits = db.session.scalars(
        select(Visit).where(
            Visit.care_plan_id == plan.id,
            Visit.scheduled_date >= today,
            Visit.status == VisitStatus.SCHEDULED,
        )
    ).all()
    for visit in visits:
        cancel_visit(visit, by=by, reason=reason)
    return len(visits)


def pause_plan(plan: CarePlan, *, by: User, today: date | None = None) -> CarePlan:
    """Stop the plan for now: no visits are generated and its planned ones from today
    on are called off. Raises NotAllowed, InvalidVisit (not active)."""
    _check_may_manage(by, plan.elder)
    if plan.status != PlanStatus.ACTIVE:
        raise InvalidVisit(_l("Only an active care plan can be paused."))
    plan.status = PlanStatus.PAUSED
    _call_off_upcoming(plan, by, str(_l("The care plan is paused.")), today or local_today())
    db.session.flush()
    acted_for(by, plan.elder, "plan_paused", target=f"care_plan:{plan.id}")
    return plan


def resume_plan(plan: CarePlan, *, by: User, today: date | None = None) -> Generated:
    """Start a paused plan again and generate its next DAYS_AHEAD days of visits.

    Raises NotAllowed, InvalidVisit (not paused).
    """
    _check_may_manage(by, plan.elder)
    if plan.status != PlanStatus.PAUSED:
        raise InvalidVisit(_l("Only a paused care plan can be resumed."))
    plan.status = PlanStatus.ACTIVE
    db.session.flush()
    generated = generate_visits(plan, by=by, today=today)
    acted_for(by, plan.elder, "plan_resumed", target=f"care_plan:{plan.id}")
    return generated


def end_plan(plan: CarePlan, *, by: User, today: date | None = None) -> CarePlan:
    """End the plan for good: its planned visits from today on are called off.

    Raises NotAllowed, InvalidVisit (already ended).
    """
    _check_may_manage(by, plan.elder)
    if plan.status == PlanStatus.ENDED:
        raise InvalidVisit(_l("This care plan has already ended."))
    today = today or local_today()
    plan.status = PlanStatus.ENDED
    last = max(today - timedelta(days=1), plan.start_date)
    plan.end_date = last if plan.end_date is None else min(plan.end_date, last)
    _call_off_upcoming(plan, by, str(_l("The care plan has ended.")), today)
    db.session.flush()
    acted_for(by, plan.elder, "plan_ended", target=f"care_plan:{plan.id}")
    return plan


# --- lists --------------------------------------------------------------------------------


def upcoming_visits(plan: CarePlan, *, today: date | None = None) -> list[Visit]:
    """The plan's visits from today on, soonest first (whatever their status)."""
    return list(
        db.session.scalars(
            select(Visit)
            .where(Visit.care_plan_id == plan.id, Visit.scheduled_date >= (today or local_today()))
            .order_by(Visit.scheduled_date, Visit.id)
        )
    )


def _listed(*conditions) -> list[CarePlan]:
    order = (CarePlan.status, CarePlan.start_date, CarePlan.id)
    return list(db.session.scalars(select(CarePlan).where(*conditions).order_by(*order)))


def plans_of_elder(elder: User, *, by: User) -> list[CarePlan]:
    """An elder's plans, for the elder, their family (book or confirm) or their coordinator.

    Raises NotAllowed.
    """
    if not reaches_any(by, elder, CONTACT_PERMISSIONS):
        raise NotAllowed(_l("You may not see this member's care plans."))
    return _listed(CarePlan.elder_id == elder.id)


def plans_of_volunteer(volunteer: User, *, by: User) -> list[CarePlan]:
    """A volunteer's plans, for the volunteer or their coordinator. Raises NotAllowed."""
    if not (by.id == volunteer.id or coordinates(by, volunteer)):
        raise NotAllowed(_l("You may not see this member's care plans."))
    return _listed(CarePlan.volunteer_id == volunteer.id)


def plans_of_community(*, by: User) -> list[CarePlan]:
    """The plans of the elders a coordinator looks after (a street admin: the whole street).

    Raises NotAllowed for anyone else.
    """
    if not by.is_coordinator:
        raise NotAllowed(_l("Only a coordinator can see the community's care plans."))
    return _listed(CarePlan.elder_id.in_(coordinated_member_ids(by)))


def member_for_plans(member_id: int) -> User:
    """The member ``member_id``. Raises NotFound."""
    member = db.session.get(User, member_id)
    if member is None:
        raise NotFound(_l("This member does not exist."))
    return member
