"""The demo street's consultations: one open now, one owners' vote finished.

- 桂花新村's residents discuss mutual-aid rules (邻里互助公约), and the vote is open:
  the demo elder can vote in it.
- 桂花新村 1幢's owners voted on adding a lift (加装电梯) last week, some on paper
  recorded by the coordinator; the result page shows Article 278's counts.
"""

from __future__ import annotations

from datetime import date, timedelta

from civic.consultation_models import Consultation
from civic.consultation_services import Proposal, add_comment, open_consultation
from civic.errors import Conflict
from civic.place_models import Building, Compound
from civic.vote_roll import roll_entry
from civic.vote_services import cast_ballot
from community.models import User, utcnow
from extensions import db
from seed.demo import DemoStreet

# Which of 1幢's owners (in the order of their homes) did what in the lift vote.
NOT_VOTING = frozenset({5, 7})
ON_PAPER = frozenset({2, 4, 6})
DISAGREEING = frozenset({4})
LIFT_TEXT = (
    "1幢是六层老楼，住着不少八十岁以上的老人，上下楼很难。\n"
    "方案：在东侧楼道外加装一部电梯，总价约68万元，政府补贴20万元，"
    "其余按楼层分摊，一楼不出钱。\n"
    "施工约三个月，期间楼道照常通行。"
)
RULES_TEXT = (
    "邻里互助公约（草案）：\n"
    "一、每位志愿者每周为邻居服务不超过八小时；\n"
    "二、独居老人每周至少有一位邻居上门看望；\n"
    "三、互助时间存入时间银行，可以转赠给家里老人。"
)


def _lift_vote(street: DemoStreet, today: date) -> Consultation:
    demo = street.communities[0]
    coordinator = demo.coordinator
    building = (
        db.session.query(Building)
        .join(Compound)
        .filter(Compound.name == "桂花新村", Building.name == "1幢")
        .one()
    )
    began = utcnow() - timedelta(days=12)
    vote = open_consultation(
        coordinator,
        demo.community,
        Proposal(
            title="1幢加装电梯",
            body=LIFT_TEXT,
            links="https://www.suzhou.gov.cn/",
            scope=f"building:{building.id}",
            electorate="owners",
            matter="rebuild",
            secret=False,
            voting_opens_at=began.replace(second=0, microsecond=0) + timedelta(days=3),
            voting_closes_at=began.replace(second=0, microsecond=0) + timedelta(days=10),
        ),
        today=today - timedelta(days=12),
        now=began,
    )
    add_comment(street.demo_elder, vote, "我住三楼，每天爬楼很吃力，支持装电梯。", now=began)
    during = vote.voting_opens_at + timedelta(hours=2)
    owners = [home_owner for home in building.homes for home_owner in home.owners]
    paper_number = 1
    for index, owner in enumerate(owners):
        member = db.session.get(User, owner.member_id)
        if roll_entry(vote, member) is None or index in NOT_VOTING:
            continue
        choice = "disagree" if index in DISAGREEING else "agree"
        try:
            if index in ON_PAPER:  # no phone: a paper ballot, recorded by the coordinator
                cast_ballot(
                    coordinator,
                    vote,
                    choice,
                    voter=member,
                    paper_number=paper_number,
                    now=during + timedelta(minutes=index),
                )
                paper_number += 1
            else:
                cast_ballot(member, vote, choice, now=during + timedelta(minutes=index))
        except Conflict:
            continue  # a co-owner already voted for the home
    return vote


def _rules_consultation(street: DemoStreet, today: date) -> Consultation:
    demo = street.communities[0]
    began = utcnow() - timedelta(days=3)
    opens = began.replace(second=0, microsecond=0) + timedelta(days=2)
    vote = open_consultation(
        demo.coordinator,
        demo.community,
        Proposal(
            title="邻里互助公约",
            body=RULES_TEXT,
            links="",
            scope="community",
            electorate="residents",
            matter="other",
            secret=True,
            voting_opens_at=opens,
            voting_closes_at=opens + timedelta(days=7),
        ),
        today=today - timedelta(days=3),
        now=began,
    )
    speakers = (demo.volunteers + demo.elders)[:3]
    words = ("八小时太多了，建议六小时。", "支持！我愿意每周去看王奶奶。", "转赠时间这一条很好。")
    for speaker, word in zip(speakers, words, strict=False):
        add_comment(speaker, vote, word, now=began + timedelta(hours=5))
    return vote


def seed_consultations(street: DemoStreet, today: date) -> list[Consultation]:
    """A finished owners' vote and an open residents' consultation (flushes)."""
    return [_lift_vote(street, today), _rules_consultation(street, today)]
