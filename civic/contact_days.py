"""Contact days (社情民意联系日): a coordinator schedules one, residents sign up with a topic
(or family or a coordinator signs them up), and the meeting's record answers each topic on
the spot or hands it to a responsible party with a deadline.

Who reaches a contact day: the members of its community, family who may act for one of
them, and the community's coordinators and street admin (community.reach). Anyone else is
told it does not exist.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from civic.contact_day_models import (
    ContactDay,
    ContactDayOrganisation,
    ContactDayStatus,
    ContactDayTopic,
    TopicOutcome,
)
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound
from civic.organisation_models import Organisation
from civic.problem_flow import accept_problem, chosen_holder
from civic.problem_models import Problem
from civic.problems import MAX_DESCRIPTION, NewProblem, compound_of_community, report_problem
from community import audit
from community.audit import Action
from community.models import Community, User, utcnow
from community.notifications import notify
from community.reach import (
    community_condition,
    coordinates_community,
    family_elder_ids,
    members_reached,
    reaches,
)
from extensions import db
from form_limits import DateWindow, local_today, years
from input_guard import MAX_ID

# A contact day is set from today up to a year ahead.
SCHEDULE_WINDOW = DateWindow(past=timedelta(0), ahead=years(1))
MAX_TOPIC = 500
MAX_GUESTS = 20
MAX_SUMMARY = 5000


def may_run(actor: User, community: Community) -> bool:
    """True if ``actor`` coordinates the community (or is the admin of its street)."""
    return coordinates_community(actor, community)


def _check_runs(actor: User, community: Community) -> None:
    if not may_run(actor, community):
        raise NotAllowed(_l("Only a coordinator of this community can do this."))


def _reached_community_ids(actor: User) -> set[int]:
    """The communities whose contact days a member sees: their own, and their linked
    elders' (family may sign an elder up)."""
    elders = family_elder_ids(actor, "may_book")
    ids = {actor.community_id}
    if elders:
        ids |= set(db.session.scalars(select(User.community_id).where(User.id.in_(elders))))
    return ids


def _visible(actor: User):
    return or_(
        ContactDay.community_id.in_(_reached_community_ids(actor)),
        community_condition(actor, ContactDay.community_id),
    )


def contact_days_for(actor: User) -> tuple[list[ContactDay], list[ContactDay]]:
    """The contact days ``actor`` reaches: (coming, soonest first; past or cancelled,
    newest first, at most 20)."""
    today = local_today()
    coming = db.session.scalars(
        select(ContactDay)
        .where(
            _visible(actor),
            ContactDay.held_on >= today,
            ContactDay.status == ContactDayStatus.SCHEDULED,
        )
        .order_by(ContactDay.held_on, ContactDay.starts_at, ContactDay.id)
    ).all()
    past = db.session.scalars(
        select(ContactDay)
        .where(
            _visible(actor),
            (ContactDay.held_on < today) | (ContactDay.status != ContactDayStatus.SCHEDULED),
        )
        .order_by(ContactDay.held_on.desc(), ContactDay.id.desc())
        .limit(20)
    ).all()
    return list(coming), list(past)


def contact_day_for(actor: User, contact_day_id: int) -> ContactDay:
    """The contact day if ``actor`` reaches it. Raises NotFound otherwise."""
    day = db.session.get(ContactDay, contact_day_id) if 0 < contact_day_id <= MAX_ID else None
    if day is None:
        raise NotFound()
    if day.community_id in _reached_community_ids(actor) or may_run(actor, day.community):
        return day
    raise NotFound()


def _organisations(community: Community, ids: list[int]) -> list[Organisation]:
    found = (
        db.session.scalars(
            select(Organisation).where(
                Organisation.id.in_(ids),
                Organisation.street_id == community.street_id,
                Organisation.is_active,
            )
        ).all()
        if ids
        else []
    )
    if len(found) != len(set(ids)):
        raise InvalidInput(_l("Choose organisations of this street."))
    return sorted(found, key=lambda o: o.id)


def guest_lines(text: str) -> list[str]:
    """The other attendees, one per line, blank lines dropped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def schedule(
    *,
    by: User,
    community: Community,
    held_on: date,
    starts_at: time,
    place: str,
    guests: str = "",
    organisation_ids: list[int] | None = None,
) -> ContactDay:
    """Schedule a contact day (flushes). Raises NotAllowed for anyone but the community's
    coordinators, InvalidInput for a day outside the next year, no place, or an
    organisation of another street."""
    _check_runs(by, community)
    refusal = SCHEDULE_WINDOW.refusal(held_on)
    if refusal is not None:
        raise InvalidInput(refusal)
    place = place.strip()
    if not place:
        raise InvalidInput(_l("Say where the contact day is held."))
    lines = guest_lines(guests)
    if len(lines) > MAX_GUESTS:
        raise InvalidInput(_l("Name at most %(n)s other attendees.", n=MAX_GUESTS))
    day = ContactDay(
        community_id=community.id,
        held_on=held_on,
        starts_at=starts_at,
        place=place[:120],
        guests="\n".join(lines),
        created_by_id=by.id,
    )
    db.session.add(day)
    for organisation in _organisations(community, organisation_ids or []):
        day.organisations.append(ContactDayOrganisation(organisation=organisation))
    db.session.flush()
    audit.record(
        Action.CONTACT_DAY_SCHEDULED,
        actor=by,
        community=community,
        target=f"contact_day:{day.id}",
        after={"held_on": held_on.isoformat(), "place": day.place},
    )
    return day


def may_sign_up_for(actor: User, resident: User) -> bool:
    """True if ``actor`` may sign ``resident`` up: themself, family who may act for them,
    or a coordinator of their community."""
    return reaches(actor, resident, "may_book")


def _check_open(day: ContactDay) -> None:
    if day.status != ContactDayStatus.SCHEDULED or day.held_on < local_today():
        raise Conflict(_l("Sign-ups for this contact day are closed."))


def sign_up(*, by: User, contact_day: ContactDay, resident: User, topic: str) -> ContactDayTopic:
    """Sign ``resident`` up to raise ``topic`` (flushes). Raises NotAllowed if ``by`` may
    not act for them or they live in another community, InvalidInput for an empty or
    over-long topic, Conflict if sign-ups are closed or they are already signed up."""
    if not may_sign_up_for(by, resident):
        raise NotAllowed(_l("You may not sign this person up."))
    if resident.community_id != contact_day.community_id:
        raise NotAllowed(_l("This contact day is for the residents of another community."))
    _check_open(contact_day)
    topic = topic.strip()
    if not topic:
        raise InvalidInput(_l("Say what you want to raise."))
    if len(topic) > MAX_TOPIC:
        raise InvalidInput(_l("Say it in at most %(n)s characters.", n=MAX_TOPIC))
    entry = ContactDayTopic(
        contact_day_id=contact_day.id,
        resident_id=resident.id,
        signed_up_by_id=by.id,
        topic=topic,
    )
    try:
        with db.session.begin_nested():  # the same sign-up sent twice at once: one stands
            db.session.add(entry)
    except IntegrityError:
        raise Conflict(_l("%(name)s is already signed up.", name=resident.display_name)) from None
    if by.id != resident.id and may_run(by, contact_day.community):
        audit.record(
            Action.ACTED_FOR,
            actor=by,
            subject=resident,
            target=f"contact_day:{contact_day.id}",
            after={"did": "contact_day_signed_up"},
        )
    return entry


def topic_for(actor: User, contact_day: ContactDay, topic_id: int) -> ContactDayTopic:
    """A topic of the contact day, if ``actor`` may see it (its resident's side, or the
    community's coordinators). Raises NotFound otherwise."""
    entry = db.session.get(ContactDayTopic, topic_id) if 0 < topic_id <= MAX_ID else None
    if entry is None or entry.contact_day_id != contact_day.id:
        raise NotFound()
    if may_sign_up_for(actor, entry.resident) or may_run(actor, contact_day.community):
        return entry
    raise NotFound()


def withdraw(*, by: User, topic: ContactDayTopic) -> None:
    """Take a sign-up back before the day (flushes). Raises NotAllowed for anyone not on
    the resident's side, Conflict once sign-ups are closed or the topic was heard."""
    if not may_sign_up_for(by, topic.resident):
        raise NotAllowed()
    _check_open(topic.contact_day)
    if topic.outcome != TopicOutcome.WAITING:
        raise Conflict(_l("This topic was already heard."))
    db.session.delete(topic)
    db.session.flush()


def my_topics(actor: User, contact_day: ContactDay) -> list[ContactDayTopic]:
    """The topics of this day raised by ``actor`` or by the elders they act for (for its
    coordinators, every topic), in sign-up order."""
    if may_run(actor, contact_day.community):
        return list(contact_day.topics)
    reached = members_reached(actor, [t.resident for t in contact_day.topics], "may_book")
    return [t for t in contact_day.topics if t.resident_id in reached]


def _check_heard(day: ContactDay) -> None:
    if day.status == ContactDayStatus.CANCELLED:
        raise Conflict(_l("This contact day was cancelled."))
    if day.held_on > local_today():
        raise Conflict(_l("Topics are recorded on the day of the meeting or after it."))


def answer_on_the_spot(*, by: User, topic: ContactDayTopic, answer: str) -> None:
    """Record that the meeting answered the topic (flushes; the resident is told).
    Raises NotAllowed, InvalidInput for no answer, Conflict before the day, if cancelled
    or once the topic is followed as a problem."""
    day = topic.contact_day
    _check_runs(by, day.community)
    _check_heard(day)
    if topic.problem_id is not None:
        raise Conflict(_l("This topic is followed as a problem already."))
    answer = answer.strip()
    if not answer:
        raise InvalidInput(_l("Write the answer given."))
    _record(by, topic, TopicOutcome.ANSWERED, answer[:MAX_SUMMARY], None, None)
    notify(
        topic.resident,
        "contact_day_answered",
        link=f"/civic/contact-days/{day.id}",
        topic=topic.topic[:60],
        answer=topic.answer[:200],
    )


def hand_over(
    *,
    by: User,
    topic: ContactDayTopic,
    agreed: str,
    category: str,
    compound_id: int,
    holder: str,
    due_on: date,
) -> Problem:
    """Turn the topic into a tracked problem (督办), flushing: reported on its resident's
    behalf as ``category`` at ``compound_id`` (a compound of their community), and
    accepted with ``holder`` (the community office, "office", or the id of an
    organisation serving that compound) to answer by ``due_on``. The problem's own
    notices tell the resident; its page follows it to the end.

    Raises NotAllowed, Conflict (before the day, cancelled, or followed already), and what
    reporting and accepting a problem raise (NotFound for another community's compound,
    InvalidInput for a deadline in the past or a holder not serving the compound)."""
    day = topic.contact_day
    _check_runs(by, day.community)
    _check_heard(day)
    if topic.problem_id is not None:
        raise Conflict(_l("This topic is followed as a problem already."))
    # checked before anything is written, so that a refusal leaves no problem behind
    chosen_holder(compound_of_community(topic.resident, compound_id), holder, due_on)
    agreed = agreed.strip()[:MAX_SUMMARY]
    report = NewProblem(
        category=category,
        compound_id=compound_id,
        description="\n".join(part for part in (topic.topic, agreed) if part)[:MAX_DESCRIPTION],
    )
    problem = report_problem(by=by, reporter=topic.resident, report=report)
    problem = accept_problem(by=by, problem_id=problem.id, holder=holder, due_on=due_on)
    _record(by, topic, TopicOutcome.FOLLOWED, agreed, problem.organisation, due_on)
    topic.problem_id = problem.id
    db.session.flush()
    return problem


def _record(by, topic, outcome, answer, organisation, due_on) -> None:
    before = {"outcome": topic.outcome}
    topic.outcome = outcome
    topic.answer = answer
    topic.responsible_organisation = organisation
    topic.due_on = due_on
    topic.recorded_by_id = by.id
    topic.recorded_at = utcnow()
    db.session.flush()
    audit.record(
        Action.CONTACT_DAY_TOPIC_RECORDED,
        actor=by,
        subject=topic.resident,
        target=f"contact_day_topic:{topic.id}",
        before=before,
        after={"outcome": str(outcome), "due_on": due_on.isoformat() if due_on else None},
    )


def mark_held(*, by: User, contact_day: ContactDay, summary: str) -> None:
    """Close the meeting's record with its summary (flushes). Raises NotAllowed, Conflict
    before the day, if cancelled or already held, or while a topic is unheard."""
    _check_runs(by, contact_day.community)
    _check_heard(contact_day)
    if contact_day.status == ContactDayStatus.HELD:
        raise Conflict(_l("This contact day's record is already closed."))
    if any(t.outcome == TopicOutcome.WAITING for t in contact_day.topics):
        raise Conflict(_l("Record an answer or a responsible party for every topic first."))
    contact_day.status = ContactDayStatus.HELD
    contact_day.summary = summary.strip()[:MAX_SUMMARY]
    db.session.flush()
    audit.record(
        Action.CONTACT_DAY_HELD,
        actor=by,
        community=contact_day.community,
        target=f"contact_day:{contact_day.id}",
        after={"topics": len(contact_day.topics)},
    )


def cancel(*, by: User, contact_day: ContactDay, reason: str) -> None:
    """Cancel a coming contact day (flushes); everyone signed up is told why. Raises
    NotAllowed, InvalidInput without a reason, Conflict unless it is still scheduled."""
    _check_runs(by, contact_day.community)
    if contact_day.status != ContactDayStatus.SCHEDULED:
        raise Conflict(_l("Only a coming contact day can be cancelled."))
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_l("Say why it is cancelled; residents who signed up are told."))
    contact_day.status = ContactDayStatus.CANCELLED
    contact_day.cancel_reason = reason[:200]
    db.session.flush()
    for topic in contact_day.topics:
        notify(
            topic.resident,
            "contact_day_cancelled",
            link=f"/civic/contact-days/{contact_day.id}",
            day=contact_day.held_on.isoformat(),
            reason=contact_day.cancel_reason,
        )
    audit.record(
        Action.CONTACT_DAY_CANCELLED,
        actor=by,
        community=contact_day.community,
        target=f"contact_day:{contact_day.id}",
        after={"reason": contact_day.cancel_reason},
    )


def organisations_to_invite(community: Community) -> list[Organisation]:
    """The active organisations of the community's street, by name."""
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.street_id == community.street_id, Organisation.is_active)
            .order_by(Organisation.name)
        )
    )


def sign_up_candidates(
    actor: User, contact_day: ContactDay, *, signed_up_too: bool = False
) -> list[User]:
    """Whom ``actor`` may sign up to this day: themself if they live there, and the
    linked elders of that community they may act for; not those signed up already
    unless ``signed_up_too``."""
    people = [actor] if actor.community_id == contact_day.community_id else []
    elders = family_elder_ids(actor, "may_book")
    if elders:
        people += db.session.scalars(
            select(User)
            .where(User.id.in_(elders), User.community_id == contact_day.community_id)
            .order_by(User.display_name)
        ).all()
    if signed_up_too:
        return people
    signed_up = {t.resident_id for t in contact_day.topics}
    return [p for p in people if p.id not in signed_up]
