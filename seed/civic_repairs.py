"""The demo street's repairs: one finished and rated, one with 吴师傅 on his way today,
one priced and waiting for the resident's yes, and the demo elder's own, waiting for a
worker (so the property manager has something to send someone to)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from civic.organisation_models import OrganisationKind
from civic.place_models import HomeOwner
from civic.repair_models import Repair, RepairStatus
from community.models import User
from extensions import db
from seed.civic import DemoPlaces
from seed.demo import DemoStreet


def _login(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def seed_repairs(street: DemoStreet, places: DemoPlaces, now: datetime) -> int:
    """Add the demo repairs of 桂花新村 (``now``: naive UTC). Returns how many (flushes)."""
    company = next(o for o in places.organisations if o.kind == OrganisationKind.PROPERTY_COMPANY)
    manager, worker = _login("canglang.property"), _login("canglang.repair")
    guihua = next(c for c in places.compounds if c.name == "桂花新村")
    guihua.address = guihua.address or "沧浪区桂花新村路18号"  # the worker's way there
    owned = db.session.execute(
        select(HomeOwner.home_id, HomeOwner.member_id)
        .join(HomeOwner.home)
        .where(HomeOwner.member_id != street.demo_elder.id)
        .order_by(HomeOwner.id)
    ).all()
    homes = {h.id: h for h in places.homes if h.building.compound_id == guihua.id}
    others = [(homes[h], db.session.get(User, m)) for h, m in owned if h in homes][:3]
    made_keys: list[Repair] = []
    hour = timedelta(hours=1)
    start = now.replace(minute=0) + hour

    def repair(home, resident, description, **values) -> Repair:
        made = Repair(
            community_id=guihua.community_id,
            compound_id=guihua.id,
            home_id=home.id if home else None,
            resident_id=resident.id,
            entered_by_id=resident.id,
            organisation_id=company.id,
            description=description,
            idempotency_key=f"seed-repair-{len(made_keys)}",
            window_start=values.pop("window_start", start),
            window_end=values.pop("window_end", start + 4 * hour),
            **values,
        )
        db.session.add(made)
        made_keys.append(made)
        return made

    (home_a, a), (home_b, b), (_home_c, c) = others
    repair(
        home_a,
        a,
        "厨房水龙头一直滴水，关不紧。",
        window_start=start - timedelta(days=5),
        window_end=start - timedelta(days=5) + 3 * hour,
        status=RepairStatus.DONE,
        worker_id=worker.id,
        assigned_by_id=manager.id,
        appointment_at=start - timedelta(days=5) + hour,
        visited_at=start - timedelta(days=5) + 2 * hour,
        work_done="换了水龙头的阀芯，试过不再滴水。",
        rating=5,
        resident_comment="吴师傅很细心，谢谢！",
        confirmed_at=start - timedelta(days=4),
        confirmed_by_id=a.id,
    )
    repair(
        home_b,
        b,
        "卫生间灯不亮，换了灯泡也不行。",
        status=RepairStatus.ASSIGNED,
        worker_id=worker.id,
        assigned_by_id=manager.id,
        appointment_at=start + hour,
    )
    repair(
        None,
        c,
        "3幢2单元楼道的扶手松了，老人上下楼不安全。",
        shared_part=True,
        place_detail="3幢2单元楼道",
        status=RepairStatus.ASSIGNED,
        worker_id=worker.id,
        assigned_by_id=manager.id,
        appointment_at=start + timedelta(days=1),
    )
    repair(
        home_a,
        a,
        "阳台晾衣架坏了，要换一个新的。",
        window_start=start + timedelta(days=2),
        window_end=start + timedelta(days=2) + 3 * hour,
        price_fen=12000,
    )
    elder_home = places.homes[0]
    repair(elder_home, street.demo_elder, "卫生间的下水道堵了，水下不去。")
    db.session.flush()
    return 5
