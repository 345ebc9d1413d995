"""A problem's life, step by step, and who may take each step (the services)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound
from civic.problem_access import is_holder_staff
from civic.problem_flow import (
    AUTO_CONFIRM_DAYS,
    COMMUNITY_OFFICE,
    accept_problem,
    answer_problem,
    close_problem,
    confirm_fixed,
    confirm_unanswered_closures,
    decline_problem,
    local_today,
    merge_problem,
    merged_into,
    reopen_problem,
    work_list,
)
from civic.problem_models import Problem, ProblemPhoto, ProblemStatus, StepKind
from civic.problem_photos import photo_for
from civic.problems import board, followed_problems, likely_duplicates, me_too
from community.audit_models import AuditEntry
from community.models import Role, utcnow
from community.notification_models import Notification
from extensions import db
from photo_cleaning import PhotoRefused
from tests.civic.problem_scene import a_problem, compound_in, jpeg, property_company


@pytest.fixture
def place(community):
    return compound_in(community)


@pytest.fixture
def manager(make_member):
    return make_member("物业经理", age=45)


@pytest.fixture
def company(place, manager):
    return property_company(place, manager)


@pytest.fixture
def neighbour(make_member):
    return make_member("邻居李", age=70)


def _kinds(member) -> list[str]:
    return list(
        db.session.scalars(
            select(Notification.kind)
            .where(Notification.user_id == member.id)
            .order_by(Notification.id)
        )
    )


def _audited(action: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    )


def _soon():
    return local_today() + timedelta(days=7)


def test_the_whole_life_reported_accepted_answered_closed_confirmed(
    elder, coordinator, manager, company, place
):
    problem = a_problem(elder, place, photos=[jpeg()])
    assert problem.status == ProblemStatus.REPORTED and not problem.on_behalf
    assert [p.stage for p in problem.photos] == ["report"]
    accept_problem(by=coordinator, problem_id=problem.id, holder=str(company.id), due_on=_soon())
    assert problem.status == ProblemStatus.ACCEPTED and problem.organisation_id == company.id
    assert "problem_assigned" in _kinds(manager)
    answer_problem(by=manager, problem_id=problem.id, note="明天上午来换灯")
    assert problem.status == ProblemStatus.IN_PROGRESS
    close_problem(by=manager, problem_id=problem.id, note="换了新灯", photos=[jpeg()])
    assert problem.status == ProblemStatus.CLOSED
    assert sorted(p.stage for p in problem.photos) == ["closure", "report"]
    confirm_fixed(by=elder, problem_id=problem.id, rating=5)
    assert problem.status == ProblemStatus.CONFIRMED and problem.rating == 5
    assert [s.kind for s in problem.steps] == [
        StepKind.REPORTED,
        StepKind.ACCEPTED,
        StepKind.ANSWERED,
        StepKind.CLOSED,
        StepKind.CONFIRMED,
    ]
    assert _kinds(elder) == [
        "problem_received",
        "problem_accepted",
        "problem_answered",
        "problem_closed",
    ]
    for action in ("problem_accepted", "problem_answered", "problem_closed"):
        assert _audited(action) == 1


def test_family_reports_for_the_elder_and_follows_it(elder, family, place):
    problem = a_problem(elder, place, by=family)
    assert problem.on_behalf and problem.reporter_id == elder.id
    assert [p.id for p in followed_problems(family)] == [problem.id]
    assert [p.id for p in followed_problems(elder)] == [problem.id]
    assert _kinds(family) == ["problem_received"]


def test_a_coordinator_reports_for_a_resident_and_it_is_audited(elder, coordinator, place):
    problem = a_problem(elder, place, by=coordinator)
    assert problem.entered_by_id == coordinator.id and problem.on_behalf
    assert _audited("acted_for") == 1
    assert followed_problems(coordinator) == [problem]


def test_a_stranger_cannot_report_for_someone(elder, neighbour, place):
    with pytest.raises(NotFound):
        a_problem(elder, place, by=neighbour)


def test_another_communitys_compound_is_not_the_reporters(elder, other_community):
    with pytest.raises(NotFound):
        a_problem(elder, compound_in(other_community, "金狮河沿5号"))


@pytest.mark.parametrize(
    "changes",
    [{"category": "weather"}, {"urgency": "yesterday"}, {"words": "   "}, {"words": "长" * 1001}],
)
def test_a_report_that_is_not_right_writes_nothing(elder, place, changes):
    with pytest.raises(InvalidInput):
        a_problem(elder, place, **changes)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Problem)) == 0


def test_five_photos_are_too_many_and_a_non_image_is_refused(elder, place):
    with pytest.raises(InvalidInput):
        a_problem(elder, place, photos=[jpeg()] * 5)
    with pytest.raises(PhotoRefused):
        a_problem(elder, place, photos=[jpeg(), b"%PDF-1.4"])


def test_the_board_names_no_reporter_and_counts_me_too_once(elder, neighbour, place):
    problem = a_problem(elder, place)
    shown, more = board(neighbour)
    assert shown == [problem] and not more
    me_too(by=neighbour, problem_id=problem.id)
    assert problem.me_too_count == 1
    with pytest.raises(Conflict):
        me_too(by=neighbour, problem_id=problem.id)
    with pytest.raises(NotAllowed):
        me_too(by=elder, problem_id=problem.id)
    assert likely_duplicates(neighbour, place.id, "lighting") == [problem]
    assert likely_duplicates(neighbour, place.id, "drains") == []


def test_a_member_of_another_community_cannot_say_me_too(
    elder, make_member, other_community, place
):
    problem = a_problem(elder, place)
    outsider = make_member("金狮居民", community=other_community)
    assert board(outsider)[0] == []
    with pytest.raises(NotFound):
        me_too(by=outsider, problem_id=problem.id)


def test_only_a_coordinator_of_its_community_triages(
    elder, coordinator, make_member, other_community, manager, company, place
):
    problem = a_problem(elder, place)
    other = make_member("外社工", role=Role.COORDINATOR, community=other_community)
    with pytest.raises(NotFound):
        accept_problem(by=other, problem_id=problem.id, holder=COMMUNITY_OFFICE, due_on=_soon())
    with pytest.raises(NotAllowed):
        accept_problem(by=elder, problem_id=problem.id, holder=COMMUNITY_OFFICE, due_on=_soon())
    with pytest.raises(NotFound):
        decline_problem(by=manager, problem_id=problem.id, reason="不归我们")


def test_a_deadline_in_the_past_or_a_holder_not_serving_the_compound_is_refused(
    elder, coordinator, community, place
):
    problem = a_problem(elder, place)
    with pytest.raises(InvalidInput):
        accept_problem(
            by=coordinator,
            problem_id=problem.id,
            holder=COMMUNITY_OFFICE,
            due_on=local_today() - timedelta(days=1),
        )
    elsewhere = property_company(compound_in(community, "别的小区"), name="别家物业")
    with pytest.raises(InvalidInput):
        accept_problem(
            by=coordinator, problem_id=problem.id, holder=str(elsewhere.id), due_on=_soon()
        )
    assert problem.status == ProblemStatus.REPORTED


def test_declined_with_a_reason_the_reporter_reads(elder, coordinator, place):
    problem = a_problem(elder, place)
    with pytest.raises(InvalidInput):
        decline_problem(by=coordinator, problem_id=problem.id, reason=" ")
    decline_problem(by=coordinator, problem_id=problem.id, reason="这是私人住宅内部的问题")
    assert problem.status == ProblemStatus.DECLINED
    assert _kinds(elder)[-1] == "problem_declined"
    assert _audited("problem_declined") == 1
    assert not is_holder_staff(coordinator, problem)  # nobody holds what was declined
    assert work_list(coordinator).held == []
    with pytest.raises(Conflict):
        accept_problem(
            by=coordinator, problem_id=problem.id, holder=COMMUNITY_OFFICE, due_on=_soon()
        )


def test_merging_moves_the_reporter_and_me_toos_to_the_other_problem(
    elder, neighbour, make_member, coordinator, place
):
    first = a_problem(elder, place)
    second = a_problem(neighbour, place)
    third_person = make_member("王阿姨")
    me_too(by=third_person, problem_id=second.id)
    me_too(by=elder, problem_id=second.id)  # said on both: counted once on the target
    merge_problem(by=coordinator, problem_id=second.id, into_id=first.id)
    assert second.status == ProblemStatus.MERGED and second.merged_into_id == first.id
    db.session.refresh(first)
    assert first.me_too_count == 2  # the neighbour (its reporter) and 王阿姨
    assert _kinds(neighbour)[-1] == "problem_merged"
    with pytest.raises(Conflict):
        merge_problem(by=coordinator, problem_id=first.id, into_id=second.id)
    # the neighbour follows the first problem from their own report: where it stands, and
    # its notices, but not who reported it
    followed = merged_into(neighbour, second)
    assert (followed.id, followed.status, followed.visible) == (first.id, "reported", False)
    accept_problem(by=coordinator, problem_id=first.id, holder=COMMUNITY_OFFICE, due_on=_soon())
    assert _kinds(neighbour)[-1] == "problem_accepted"
    with pytest.raises(InvalidInput):
        merge_problem(by=coordinator, problem_id=first.id, into_id=first.id)


def test_only_the_holder_answers_and_closes(
    elder, coordinator, manager, company, make_member, community, place
):
    problem = a_problem(elder, place)
    accept_problem(by=coordinator, problem_id=problem.id, holder=str(company.id), due_on=_soon())
    other_staff = make_member("别家物业经理")
    property_company(compound_in(community, "别的小区"), other_staff, name="别家物业")
    with pytest.raises(NotFound):  # not theirs to see at all
        close_problem(by=other_staff, problem_id=problem.id, note="修好了")
    with pytest.raises(NotAllowed):  # the coordinator sees it, but the company holds it
        close_problem(by=coordinator, problem_id=problem.id, note="修好了")
    with pytest.raises(NotAllowed):
        answer_problem(by=elder, problem_id=problem.id, note="好了")
    close_problem(by=manager, problem_id=problem.id, note="修好了")
    assert problem.status == ProblemStatus.CLOSED


def test_the_community_office_holds_what_it_accepts_for_itself(elder, coordinator, place):
    problem = a_problem(elder, place)
    accept_problem(by=coordinator, problem_id=problem.id, holder=COMMUNITY_OFFICE, due_on=_soon())
    assert work_list(coordinator).held == [problem]
    close_problem(by=coordinator, problem_id=problem.id, note="已经清理")
    assert problem.status == ProblemStatus.CLOSED


def test_the_reporter_reopens_and_the_holder_hears_it(
    elder, family, coordinator, manager, company, place
):
    problem = a_problem(elder, place)
    accept_problem(by=coordinator, problem_id=problem.id, holder=str(company.id), due_on=_soon())
    close_problem(by=manager, problem_id=problem.id, note="换了灯")
    with pytest.raises(NotAllowed):
        reopen_problem(by=manager, problem_id=problem.id, reason="还是不亮")
    reopen_problem(by=family, problem_id=problem.id, reason="晚上还是不亮")
    assert problem.status == ProblemStatus.ACCEPTED and problem.closed_at is None
    assert _kinds(manager)[-1] == "problem_reopened"
    close_problem(by=manager, problem_id=problem.id, note="换了开关")
    with pytest.raises(InvalidInput):
        confirm_fixed(by=elder, problem_id=problem.id, rating=6)
    confirm_fixed(by=family, problem_id=problem.id, rating=4)
    assert problem.rating == 4
    with pytest.raises(Conflict):
        confirm_fixed(by=elder, problem_id=problem.id, rating=5)


def test_a_closure_left_unanswered_7_days_counts_as_confirmed(
    elder, coordinator, manager, company, place
):
    problem = a_problem(elder, place)
    accept_problem(by=coordinator, problem_id=problem.id, holder=str(company.id), due_on=_soon())
    close_problem(by=manager, problem_id=problem.id, note="换了灯")
    now = utcnow()
    assert confirm_unanswered_closures(now + timedelta(days=AUTO_CONFIRM_DAYS, minutes=-1)) == 0
    assert problem.status == ProblemStatus.CLOSED
    assert confirm_unanswered_closures(now + timedelta(days=AUTO_CONFIRM_DAYS, minutes=1)) == 1
    db.session.refresh(problem)
    assert problem.status == ProblemStatus.CONFIRMED and problem.rating is None
    assert problem.steps[-1].kind == StepKind.AUTO_CONFIRMED


def test_overdue_problems_show_oldest_first_with_who_holds_them(
    elder, coordinator, make_member, company, place
):
    street_admin = make_member("街道管理员", role=Role.STREET_ADMIN)
    late, later = a_problem(elder, place), a_problem(elder, place, category="road")
    fresh = a_problem(elder, place, category="drains")
    for problem in (late, later, fresh):
        accept_problem(
            by=coordinator, problem_id=problem.id, holder=str(company.id), due_on=_soon()
        )
    late.due_on = local_today() - timedelta(days=9)
    later.due_on = local_today() - timedelta(days=2)
    db.session.flush()
    assert work_list(street_admin).overdue == [late, later]
    assert work_list(coordinator).overdue == [late, later]
    assert late.organisation.name == "吴门物业"


def test_photos_are_served_only_to_who_sees_the_whole_problem(elder, neighbour, coordinator, place):
    problem = a_problem(elder, place, photos=[jpeg()])
    photo = db.session.scalar(select(ProblemPhoto))
    data, kind = photo_for(coordinator, problem.id, photo.id)
    assert kind == "image/jpeg" and data.startswith(b"\xff\xd8")
    with pytest.raises(NotFound):
        photo_for(neighbour, problem.id, photo.id)


def test_a_closure_waits_on_the_reporters_home_and_their_familys(
    elder, family, coordinator, manager, company, place
):
    from timebank.waiting import waiting_for

    problem = a_problem(elder, place)
    accept_problem(by=coordinator, problem_id=problem.id, holder=str(company.id), due_on=_soon())

    def waiting(member):
        return [
            (item.kind, item.member_id, item.values)
            for group in waiting_for(member)
            for item in group.items
        ]

    assert waiting(elder) == []
    close_problem(by=manager, problem_id=problem.id, note="换了灯")
    expected = [("problem_to_confirm", elder.id, {"problem_id": problem.id})]
    assert waiting(elder) == expected
    assert waiting(family) == expected
    assert waiting(manager) == []
    confirm_fixed(by=elder, problem_id=problem.id, rating=5)
    assert waiting(elder) == []


def test_the_photos_of_a_report_that_is_not_committed_are_deleted(app, elder, place):
    folder = Path(app.config["PHOTO_DIR"])
    db.session.commit()  # the scene
    a_problem(elder, place, photos=[jpeg(), jpeg()])
    assert len(list(folder.iterdir())) == 2
    db.session.rollback()  # the request failed after the photos were stored
    assert list(folder.iterdir()) == []
    a_problem(elder, place, photos=[jpeg()])
    db.session.commit()
    db.session.rollback()
    assert len(list(folder.iterdir())) == 1
