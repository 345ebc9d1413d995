"""The demo street's reported problems (民意) at every stage of their follow-through.

Each community gets a few dozen-ish problems in all: some waiting for the community,
some held by the property company, the self-management group, the street department
or the community office (a few of them overdue), some said to be fixed and waiting
for their reporter, and a history of fixed, declined and merged ones with their
ratings, so that the board, "my problems" and the overdue list show something real.
They are made through the services (so notices and the audit log are as they would
be) and then moved back in time.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select, update

from civic import problem_flow as flow
from civic.organisation_models import Organisation, OrganisationKind
from civic.place_models import Compound
from civic.places import organisations_serving
from civic.problem_models import Problem, ProblemStatus, ProblemStep, StepKind
from civic.problems import NewProblem, me_too, report_problem
from community.models import User, utcnow
from community.notification_models import Notification
from extensions import db
from seed.civic import DemoPlaces
from seed.demo import DemoStreet

# (category, urgency, words, spot): what residents of old compounds report
REPORTS = (
    ("lighting", "soon", "楼道灯坏了，晚上上下楼看不见台阶", "2单元楼道"),
    ("drains", "urgent", "下水道堵了，一下雨就积水，污水漫到路上", "北门口"),
    ("road", "soon", "路面塌了一个坑，老人推车容易绊倒", "3幢前面"),
    ("walls", "normal", "楼道墙皮大片脱落，扶手也松了", "1单元楼道"),
    ("hygiene", "soon", "垃圾桶满了没人清，天热有味道", "垃圾房旁边"),
    ("noise", "normal", "楼上装修每天晚上九点以后还在打钻", "5幢"),
    ("safety", "urgent", "电动车在楼道里充电，电线拖在地上", "4幢2单元"),
    ("lifts", "urgent", "电梯这两天时好时坏，困过一次人", "6幢"),
    ("lighting", "normal", "小区东边路灯不亮，晚上散步很黑", "东门到凉亭"),
    ("elder_care", "soon", "独居的老人好几天没下楼，敲门没人应", "2幢"),
    ("road", "normal", "自行车棚顶漏雨，地面很滑", "自行车棚"),
    ("other", "normal", "小区公告栏玻璃碎了", "南门"),
)
CLOSING_NOTES = ("已修好，换了新的", "已清理干净", "已派人处理，请再看看", "已经联系住户解决")
ANSWERS = ("收到，明天上午派人来看", "已登记，本周内处理", "已联系施工队，材料到了就修")


@dataclass
class SeededProblems:
    problems: list[Problem]


def _photo(rng: random.Random) -> bytes:
    """A small made-up photo (a grey scene with a dark shape)."""
    image = Image.new("RGB", (640, 480), (150 + rng.randrange(40),) * 3)
    draw = ImageDraw.Draw(image)
    x, y = rng.randrange(100, 400), rng.randrange(80, 300)
    draw.rectangle((x, y, x + 160, y + 110), fill=(70, 70, 80))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def _holder(compound: Compound, rng: random.Random) -> str:
    """Who the demo's coordinator names: the compound's own organisation if it has one,
    else the street department or the community office."""
    serving = organisations_serving(compound)
    linked = [o for o in serving if o.kind != OrganisationKind.STREET_DEPARTMENT]
    if linked:
        return str(linked[0].id)
    if serving and rng.random() < 0.5:
        return str(serving[0].id)
    return flow.COMMUNITY_OFFICE


def _staff_of(problem: Problem, coordinator: User) -> User | None:
    """Someone of the holding party to answer and close (None: nobody works there yet)."""
    if problem.organisation_id is None:
        return coordinator
    organisation: Organisation = problem.organisation
    return organisation.staff[0].member if organisation.staff else None


def _back_in_time(problem: Problem, reported: datetime) -> None:
    """Move the problem's times and steps back so that it was reported at ``reported``."""
    shift = problem.created_at - reported
    for column in ("created_at", "triaged_at", "closed_at", "finished_at"):
        value = getattr(problem, column)
        if value is not None:
            setattr(problem, column, value - shift)
    if problem.due_on is not None:
        problem.due_on -= timedelta(days=shift.days)
    db.session.flush()
    for step in problem.steps:  # in Python: SQLite cannot subtract from a stored time
        step.created_at -= shift
    notices = select(Notification).where(Notification.link == f"/problems/{problem.id}")
    for notice in db.session.scalars(notices):
        notice.created_at -= shift


def _closed_lately(problem: Problem, rng: random.Random) -> None:
    """A closure of the last few days: its reporter still has time to answer (after 7
    days the worker counts it as confirmed)."""
    closed = utcnow() - timedelta(days=rng.randrange(1, 4), hours=rng.randrange(8))
    problem.closed_at = closed
    db.session.execute(
        update(ProblemStep)
        .where(ProblemStep.problem_id == problem.id, ProblemStep.kind == StepKind.CLOSED)
        .values(created_at=closed)
    )


def seed_problems(street: DemoStreet, places: DemoPlaces, rng: random.Random) -> SeededProblems:
    """Report and follow the demo street's problems (flushes; the caller commits)."""
    made: list[Problem] = []
    # the stage each problem reaches, oldest reports first (the last ones are new)
    stages = (
        ["confirmed"] * 5
        + ["declined"]
        + ["in_progress"] * 3
        + ["accepted"] * 2
        + ["closed"] * 2
        + ["merged"]
        + ["reported"] * 3
    )
    for demo in street.communities:
        compounds = [c for c in places.compounds if c.community_id == demo.community.id]
        residents = demo.elders + demo.others
        coordinator = demo.coordinator
        for number, stage in enumerate(stages):
            category, urgency, words, spot = REPORTS[(number + demo.community.id) % len(REPORTS)]
            compound = compounds[number % len(compounds)]
            reporter = rng.choice(residents)
            if (
                demo is street.communities[0]
                and stage in ("confirmed", "closed")
                and not any(
                    p.reporter_id == street.demo_elder.id and p.status == stage for p in made
                )
            ):
                reporter = street.demo_elder  # the demo elder follows one of each
            by = coordinator if rng.random() < 0.2 else reporter
            problem = report_problem(
                by=by,
                reporter=reporter,
                report=NewProblem(category, compound.id, words, urgency, spot=spot),
                photos=[_photo(rng)] if rng.random() < 0.4 else [],
            )
            for neighbour in rng.sample(residents, k=min(len(residents), rng.randrange(0, 5))):
                if neighbour.id != reporter.id:
                    me_too(by=neighbour, problem_id=problem.id)
            _follow(problem, stage, coordinator, made, rng)
            days_ago = max(1, (len(stages) - number) * 4 + rng.randrange(3))
            _back_in_time(problem, utcnow() - timedelta(days=days_ago, hours=rng.randrange(8)))
            if problem.status == ProblemStatus.CLOSED:
                _closed_lately(problem, rng)
            made.append(problem)
    db.session.flush()
    return SeededProblems(made)


def _follow(problem: Problem, stage: str, coordinator: User, made, rng) -> None:
    """Take ``problem`` through the steps that bring it to ``stage``."""
    if stage == "reported":
        return
    if stage == "declined":
        flow.decline_problem(
            by=coordinator, problem_id=problem.id, reason="属于住户家中的问题，请联系物业报修"
        )
        return
    if stage == "merged":
        same = next(
            (
                p
                for p in reversed(made)
                if p.is_open
                and p.community_id == problem.community_id
                and p.status != ProblemStatus.CLOSED
            ),
            None,
        )
        if same is not None:
            flow.merge_problem(by=coordinator, problem_id=problem.id, into_id=same.id)
        return
    flow.accept_problem(
        by=coordinator,
        problem_id=problem.id,
        holder=_holder(problem.compound, rng),
        due_on=flow.default_deadline(problem),
    )
    staff = _staff_of(problem, coordinator)
    if stage == "accepted" or staff is None:
        return
    flow.answer_problem(by=staff, problem_id=problem.id, note=rng.choice(ANSWERS))
    if stage == "in_progress":
        return
    flow.close_problem(by=staff, problem_id=problem.id, note=rng.choice(CLOSING_NOTES))
    if stage == "confirmed":
        flow.confirm_fixed(
            by=problem.reporter, problem_id=problem.id, rating=rng.choice((3, 4, 4, 5, 5))
        )
