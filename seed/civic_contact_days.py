"""The demo street's contact days: one held last month in 桂花新村社区 with its record, and
one coming next week with residents already signed up."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from civic import contact_days
from civic.contact_day_models import (
    ContactDay,
    ContactDayStatus,
    ContactDayTopic,
    TopicOutcome,
)
from extensions import db
from seed.civic import DemoPlaces
from seed.demo import DemoStreet

PAST_TOPICS = (
    (
        "3幢楼道灯坏了一个月，晚上下楼看不见。",
        TopicOutcome.ANSWERED,
        "物业当场答应三天内换好，已换。",
    ),
    (
        "小区门口的路面有个大坑，下雨积水。",
        TopicOutcome.FOLLOWED,
        "街道城市管理科现场查看，月底前补好。",
    ),
    (
        "楼上装修噪音太大，中午也不停。",
        TopicOutcome.ANSWERED,
        "社区约双方调解，装修只在上午和下午做。",
    ),
)
COMING_TOPICS = (
    "6幢的下水道经常堵，能不能彻底修一下？",
    "想在小区里多放几张长椅，老人走累了能坐。",
)


def seed_contact_days(street: DemoStreet, places: DemoPlaces, today: date) -> int:
    """Create the demo contact days (flushes); returns how many there are."""
    demo = street.communities[0]
    coordinator = demo.coordinator
    company, _, department = places.organisations
    past = ContactDay(
        community_id=demo.community.id,
        held_on=today - timedelta(days=30),
        starts_at=time(9, 30),
        place="桂花新村社区活动室",
        guests="街道城市管理科 李科长",
        status=ContactDayStatus.HELD,
        summary="到会居民 16 人，街道城市管理科、沧浪物业参加。三个问题当场定了办法。",
        created_by_id=coordinator.id,
        created_at=datetime.combine(today - timedelta(days=45), time(10)),
    )
    db.session.add(past)
    residents = demo.old_elders[2:] + demo.young_elders
    for (text, outcome, answer), resident in zip(PAST_TOPICS, residents, strict=False):
        followed = outcome == TopicOutcome.FOLLOWED
        past.topics.append(
            ContactDayTopic(
                resident_id=resident.id,
                signed_up_by_id=resident.id,
                topic=text,
                outcome=outcome,
                answer=answer,
                responsible_organisation_id=department.id if followed else None,
                due_on=today + timedelta(days=5) if followed else None,
                recorded_by_id=coordinator.id,
                recorded_at=datetime.combine(past.held_on, time(11)),
            )
        )
    coming = contact_days.schedule(
        by=coordinator,
        community=demo.community,
        held_on=today + timedelta(days=7),
        starts_at=time(9, 30),
        place="桂花新村社区活动室",
        guests="街道城市管理科 李科长",
        organisation_ids=[company.id, department.id],
    )
    for text, resident in zip(COMING_TOPICS, demo.old_elders[5:], strict=False):
        contact_days.sign_up(by=resident, contact_day=coming, resident=resident, topic=text)
    db.session.flush()
    return 2
