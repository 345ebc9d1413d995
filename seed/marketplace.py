"""The demo street's market: providers, menus, calendars, bookings, reviews, a meal subsidy.

Eight verified providers across the three communities (a housekeeping company,
an individual cleaner, a childcare centre, two community canteens with dated
menus for the coming week, …), two waiting for verification (a housekeeping
company, and a childcare centre whose verification needs the checks in person) and
one suspended. The verified childcare and meal providers carry the checks their
coordinator recorded. Two months of completed bookings carry reviews (a mix of stars, a
reply, one reported); the demo elder has a recent booking still to rate.
桂花新村社区 pays ¥5 of each meal for residents aged 80 and over.

Rows are written directly (bookings of the past cannot go through the booking
services, which refuse past slots); the providers' rating counts are summed
from the reviews written, as the review services would keep them.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from werkzeug.security import generate_password_hash

from community.models import Community, User
from community.services import create_member
from extensions import db
from marketplace.booking_models import (
    Booking,
    BookingEvent,
    BookingStatus,
    SubsidyGrant,
    SubsidyGrantStatus,
    SubsidyMonth,
    SubsidyRule,
)
from marketplace.clock import month_start, to_utc
from marketplace.models import (
    CalendarException,
    MealMenu,
    Provider,
    ProviderCheck,
    ProviderStatus,
    ServiceItem,
    WeeklySlot,
)
from marketplace.provider_checks import clean_licence_number, needs_checks
from marketplace.review_models import Review, ReviewReport
from seed.demo import DEMO_PASSWORD, DemoLogin, DemoStreet
from timebank.accounts import open_provider_account

HISTORY_DAYS = 60
MEAL_SUBSIDY_NAME = "80岁以上老人助餐每餐减5元"
MEAL_SUBSIDY_FEN = 500
MEAL_SUBSIDY_BUDGET_FEN = 300_000  # ¥3,000 a month

WEEKDAYS = range(5)
EVERY_DAY = range(7)
HOUSEKEEPING_SLOTS = ((time(8, 30), time(10, 30)), (time(14), time(16)))
CHILDCARE_SLOTS = ((time(8), time(12)), (time(13, 30), time(17, 30)))
MEAL_SLOTS = ((time(11), time(12, 30)), (time(17), time(18)))

DISHES = (
    "红烧狮子头、清炒菠菜、番茄蛋汤、米饭",
    "清蒸鲈鱼、蒜蓉西兰花、冬瓜排骨汤、米饭",
    "土豆烧鸡、炒青菜、紫菜蛋花汤、杂粮饭",
    "肉末豆腐、醋溜白菜、萝卜汤、米饭",
    "糖醋里脊（少糖）、香菇青菜、丝瓜蛋汤、米饭",
    "苏式焖肉面、凉拌黄瓜、豆浆",
    "虾仁炒蛋、清炒莴笋、小馄饨、米饭",
)
# What residents write, by kind of service and number of stars.
REVIEW_TEXTS = {
    "housekeeping": {
        5: ("阿姨很细心，家里打扫得干干净净。", "准时上门，态度很好，下次还约。"),
        4: ("总体不错，就是来得稍晚了十分钟。", "干活利索，价格也公道。"),
        3: ("一般吧，角落没有打扫到。",),
        2: ("约好的时间改了两次，有点不方便。", "打扫得比较马虎。"),
        1: ("等了一个小时没人来，电话也不接。",),
    },
    "childcare": {
        5: ("孩子很喜欢老师，每天回来都很开心。", "老师耐心，环境干净，放心。"),
        4: ("挺好的，希望接送时间能再灵活一点。",),
        3: ("还可以，午睡时间有点短。",),
        2: ("沟通不太及时。",),
        1: ("很不满意。",),
    },
    "meals": {
        5: ("饭菜软烂，适合老人，分量足。", "少油少盐，每天换花样，很好。"),
        4: ("菜有点咸，其他都好。", "味道不错，希望多些粗粮。"),
        3: ("味道还行，送餐慢了些。",),
        2: ("饭菜送到时已经凉了。",),
        1: ("很不满意。",),
    },
}


@dataclass(frozen=True)
class ItemPlan:
    title: str
    category: str
    unit: str
    price_fen: int
    duration_minutes: int
    price_minutes: int | None = None
    description: str = ""
    capacity: int | None = None
    ages: tuple[int, int] | None = None
    cancel_fee_percent: int = 0


@dataclass(frozen=True)
class ProviderPlan:
    name: str
    kind: str
    owner: tuple[str, int, str]  # display name, age, login username
    communities: tuple[int, ...]  # indices into the demo street's communities
    description: str
    address: str
    items: tuple[ItemPlan, ...]
    slots: tuple[tuple[time, time], ...]
    weekdays: range
    capacity: int
    # the stars of its past reviews (one completed booking each)
    stars: tuple[int, ...] = ()
    status: str = ProviderStatus.VERIFIED
    status_reason: str = ""
    licence: str = ""


def _housekeeping(title, price, minutes, hours=None, unit="visit", **kw) -> ItemPlan:
    return ItemPlan(title, "housekeeping", unit, price, minutes, hours, cancel_fee_percent=20, **kw)


PROVIDERS = (
    ProviderPlan(
        "好帮手家政服务有限公司",
        "company",
        ("陈国强", 46, "haobangshou.shop"),
        (0, 1, 2),
        "沧浪街道老牌家政公司，阿姨持证上岗，可用时间银行小时支付。",
        "十全街128号",
        (
            _housekeeping(
                "日常保洁", 8000, 120, 120, description="客厅、卧室、厨房、卫生间日常清洁"
            ),
            _housekeeping("深度保洁", 26000, 240, description="含油烟机、窗户、柜内清洁"),
            _housekeeping("擦玻璃", 4500, 60, unit="hour"),
            _housekeeping(
                "老人陪护（白天）", 6000, 60, 60, unit="hour", description="陪聊、陪走、协助用餐"
            ),
        ),
        HOUSEKEEPING_SLOTS,
        EVERY_DAY,
        4,
        stars=(5,) * 17 + (4,) * 6 + (3, 2),
        licence="91320508MA1P0001",
    ),
    ProviderPlan(
        "李阿姨保洁",
        "individual",
        ("李桂英", 51, "liayi.shop"),
        (0,),
        "桂花新村的李阿姨，做了十五年保洁，就住在小区里。",
        "桂花新村12幢",
        (_housekeeping("日常保洁（按小时）", 4500, 60, 60, unit="hour"),),
        HOUSEKEEPING_SLOTS,
        WEEKDAYS,
        1,
        stars=(5,),
        licence="健康证 苏健字2026-0412",
    ),
    ProviderPlan(
        "小橘子托育中心",
        "company",
        ("周晓梅", 38, "xiaojuzi.shop"),
        (0, 1),
        "普惠托育机构，18个月到4岁，保育员与幼儿比例1:5。",
        "金狮河沿路8号",
        (
            ItemPlan("半日托", "childcare", "session", 12000, 240, capacity=10, ages=(18, 36)),
            ItemPlan("全日托", "childcare", "session", 20000, 480, capacity=10, ages=(24, 48)),
            ItemPlan("临时托管", "childcare", "hour", 5000, 60, capacity=4, ages=(12, 72)),
        ),
        CHILDCARE_SLOTS,
        WEEKDAYS,
        10,
        stars=(5,) * 8 + (4,) * 3 + (3,),
        licence="托育机构备案 苏托备2026-031",
    ),
    ProviderPlan(
        "桂花新村长者食堂",
        "company",
        ("吴建新", 49, "guihua.canteen"),
        (0,),
        "社区长者食堂，少油少盐，可到食堂取餐或送餐上门。",
        "桂花新村社区服务中心一楼",
        (
            ItemPlan("爱心午餐", "meals", "meal", 1500, 60, description="两荤一素一汤"),
            ItemPlan("营养晚餐", "meals", "meal", 1200, 60, description="一荤两素"),
        ),
        MEAL_SLOTS,
        EVERY_DAY,
        40,
        stars=(5,) * 10 + (4,) * 6 + (3, 3),
        licence="食品经营许可证 JY13205080001",
    ),
    ProviderPlan(
        "南门社区长者食堂",
        "company",
        ("陆美芳", 44, "nanmen.canteen"),
        (2,),
        "南门社区长者助餐点，每天一菜单，行动不便的老人可以送餐。",
        "南门社区党群服务中心",
        (ItemPlan("长者午餐", "meals", "meal", 1400, 60, description="两荤一素，米饭可换软饭"),),
        MEAL_SLOTS[:1],
        EVERY_DAY,
        30,
        stars=(5,) * 4 + (4,) * 3 + (3, 2),
        licence="食品经营许可证 JY13205080002",
    ),
    ProviderPlan(
        "洁净家电清洗",
        "company",
        ("钱伟", 35, "jiejing.shop"),
        (1, 2),
        "空调、油烟机、洗衣机深度清洗。",
        "人民路300号",
        (
            _housekeeping("空调清洗", 12000, 90),
            _housekeeping("油烟机清洗", 15000, 120),
        ),
        HOUSEKEEPING_SLOTS,
        EVERY_DAY,
        2,
        stars=(4, 4, 2, 3, 5),
        licence="91320508MA1P0002",
    ),
    ProviderPlan(
        "安心育儿嫂",
        "company",
        ("孙丽", 41, "anxin.shop"),
        (1,),
        "育儿嫂上门照护0–3岁婴幼儿，兼做简单家务。",
        "金狮河沿社区",
        (
            ItemPlan("育儿嫂（上门）", "childcare", "hour", 4500, 60, ages=(0, 36)),
            _housekeeping("家务帮手", 4000, 60, unit="hour"),
        ),
        HOUSEKEEPING_SLOTS,
        WEEKDAYS,
        2,
        licence="91320508MA1P0003",
    ),
    ProviderPlan(
        "金狮便民服务",
        "individual",
        ("赵师傅", 55, "zhaoshifu.shop"),
        (1,),
        "换灯泡、通下水道、小修小补，可用时间银行小时支付。",
        "金狮河沿社区便民服务点",
        (_housekeeping("小修小补", 4000, 60, 60),),
        HOUSEKEEPING_SLOTS[:1],
        WEEKDAYS,
        1,
        stars=(5, 4, 5),
    ),
    ProviderPlan(
        "新邻居家政",
        "company",
        ("马超", 33, "xinlinju.shop"),
        (2,),
        "刚成立的家政公司，等待社区审核。",
        "南门大街66号",
        (_housekeeping("日常保洁", 7000, 120),),
        HOUSEKEEPING_SLOTS,
        WEEKDAYS,
        2,
        status=ProviderStatus.APPLIED,
        licence="91320508MA1P0009",
    ),
    ProviderPlan(
        "快洁家政",
        "company",
        ("胡明", 40, "kuaijie.shop"),
        (0, 2),
        "家政保洁。",
        "三元路5号",
        (_housekeeping("日常保洁", 6000, 120),),
        HOUSEKEEPING_SLOTS,
        EVERY_DAY,
        2,
        stars=(2, 1, 3),
        status=ProviderStatus.SUSPENDED,
        status_reason="多次投诉上门迟到、未处理，暂停接单。",
        licence="91320508MA1P0010",
    ),
    ProviderPlan(
        "彩虹托育园",
        "company",
        ("郑丽", 36, "caihong.shop"),
        (0,),
        "新开的社区托育点，收2到3岁的孩子，等待社区上门核查。",
        "桂花新村社区服务中心二楼",
        (ItemPlan("半日托", "childcare", "session", 10000, 240, capacity=8, ages=(24, 36)),),
        CHILDCARE_SLOTS,
        WEEKDAYS,
        8,
        status=ProviderStatus.APPLIED,
        licence="托育机构备案 苏托备2026-077",
    ),
)


@dataclass
class MarketSeeder:
    street: DemoStreet
    now: datetime  # local (Shanghai) wall-clock time, naive
    rng: random.Random
    password_hash: str
    keys: itertools.count = field(default_factory=lambda: itertools.count(1))
    bookings: int = 0
    reviews: int = 0

    @property
    def today(self) -> date:
        return self.now.date()

    def community(self, index: int) -> Community:
        return self.street.communities[index].community

    def coordinator(self, index: int) -> User:
        return self.street.communities[index].coordinator

    def owner(self, plan: ProviderPlan) -> User:
        name, age, username = plan.owner
        first = self.community(plan.communities[0])
        user = create_member(
            by=None,
            community=first,
            display_name=name,
            birth_date=date(self.today.year - age, 3, 1),
            phone=None,
            username=username,
        )
        user.password_hash = self.password_hash
        return user

    def provider(
        self, plan: ProviderPlan, provider_number: int
    ) -> tuple[Provider, list[ServiceItem]]:
        owner = self.owner(plan)
        categories = list(dict.fromkeys(item.category for item in plan.items))
        decided = plan.status != ProviderStatus.APPLIED
        provider = Provider(
            name=plan.name,
            kind=plan.kind,
            categories=",".join(categories),
            description=plan.description,
            contact_name=owner.display_name,
            contact_phone=f"0512{65200000 + provider_number:08d}",
            address=plan.address,
            licence_number=plan.licence,
            status=plan.status,
            status_reason=plan.status_reason,
            owner_id=owner.id,
            street_id=self.street.street.id,
            account_id=open_provider_account(owner.community_id).id,
            min_notice_hours=2 if "食堂" in plan.name else 12,
            decided_by_id=self.coordinator(plan.communities[0]).id if decided else None,
            decided_at=to_utc(self.today - timedelta(days=HISTORY_DAYS + 10), time(10))
            if decided
            else None,
        )
        provider.communities = [self.community(i) for i in plan.communities]
        db.session.add(provider)
        db.session.flush()
        if decided and needs_checks(provider):
            # what its coordinator checked in person when verifying it
            db.session.add(
                ProviderCheck(
                    provider_id=provider.id,
                    checked_by_id=provider.decided_by_id,
                    decision="verify",
                    licence_number=clean_licence_number(plan.licence),
                    licence_seen=True,
                    health_certificates_seen=True,
                    premises_checked=True,
                    checked_at=provider.decided_at,
                )
            )
        items = []
        for spec in plan.items:
            item = ServiceItem(
                provider_id=provider.id,
                category=spec.category,
                title=spec.title,
                description=spec.description,
                unit=spec.unit,
                price_fen=spec.price_fen,
                price_minutes=spec.price_minutes,
                duration_minutes=spec.duration_minutes,
                capacity=spec.capacity,
                min_age_months=spec.ages[0] if spec.ages else None,
                max_age_months=spec.ages[1] if spec.ages else None,
                cancel_fee_percent=spec.cancel_fee_percent,
            )
            db.session.add(item)
            items.append(item)
        for weekday in plan.weekdays:
            for starts, ends in plan.slots:
                db.session.add(
                    WeeklySlot(
                        provider_id=provider.id,
                        weekday=weekday,
                        starts_at=starts,
                        ends_at=ends,
                        capacity=plan.capacity,
                    )
                )
        db.session.flush()
        return provider, items

    def menus(self, items: list[ServiceItem], delivery: bool, offset: int) -> None:
        for item in (i for i in items if i.unit == "meal"):
            for day in range(7):
                db.session.add(
                    MealMenu(
                        item_id=item.id,
                        served_on=self.today + timedelta(days=day),
                        dishes=DISHES[(day + offset + item.id) % len(DISHES)],
                        portions=40 if item.title != "营养晚餐" else 20,
                        offers_pickup=True,
                        offers_delivery=delivery,
                    )
                )

    def residents(self, plan: ProviderPlan) -> list[User]:
        people: list[User] = []
        for index in plan.communities:
            demo = self.street.communities[index]
            people += demo.elders + demo.relatives + demo.others
        return people

    def booking(
        self,
        provider: Provider,
        item: ServiceItem,
        resident: User,
        day: date,
        at: time,
        *,
        status: str = BookingStatus.COMPLETED,
        subsidy_fen: int = 0,
    ) -> Booking:
        starts = to_utc(day, at)
        completed = status == BookingStatus.COMPLETED
        booking = Booking(
            provider_id=provider.id,
            item_id=item.id,
            resident_id=resident.id,
            booked_by_id=resident.id,
            community_id=resident.community_id,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=item.duration_minutes),
            title=item.title,
            category=item.category,
            unit=item.unit,
            unit_price_fen=item.price_fen,
            total_fen=item.price_fen,
            subsidy_fen=subsidy_fen,
            payment_method="on_site",
            fulfilment="pickup" if item.unit == "meal" else None,
            status=status,
            delivered_at=starts + timedelta(minutes=item.duration_minutes) if completed else None,
            completed_at=starts + timedelta(minutes=item.duration_minutes + 120)
            if completed
            else None,
            paid_on_site_at=starts + timedelta(minutes=item.duration_minutes)
            if completed
            else None,
            paid_on_site_by_id=provider.owner_id if completed else None,
            idempotency_key=f"demo-booking-{next(self.keys)}",
            created_at=starts - timedelta(days=2),
        )
        db.session.add(booking)
        db.session.flush()
        db.session.add(
            BookingEvent(
                booking_id=booking.id,
                from_status=None,
                to_status=BookingStatus.REQUESTED,
                actor_id=resident.id,
                created_at=booking.created_at,
            )
        )
        if completed:
            db.session.add(
                BookingEvent(
                    booking_id=booking.id,
                    from_status=BookingStatus.ACCEPTED,
                    to_status=BookingStatus.COMPLETED,
                    actor_id=resident.id,
                    created_at=booking.completed_at,
                )
            )
        self.bookings += 1
        return booking

    def review(self, booking: Booking, stars: int, provider: Provider) -> Review:
        review = Review(
            booking_id=booking.id,
            provider_id=provider.id,
            author_id=booking.resident_id,
            stars=stars,
            text=self.rng.choice(REVIEW_TEXTS[booking.category][stars]),
            created_at=booking.completed_at + timedelta(hours=self.rng.randint(2, 60)),
        )
        db.session.add(review)
        provider.rating_count += 1
        provider.rating_sum += stars
        self.reviews += 1
        return review

    def history(self, plan: ProviderPlan, provider: Provider, items: list[ServiceItem]):
        """One completed, reviewed booking per planned star, spread over the past two months."""
        people = self.residents(plan)
        written = []
        for n, stars in enumerate(plan.stars):
            day = self.today - timedelta(days=3 + (n * 53) % (HISTORY_DAYS - 3))
            while day.weekday() not in plan.weekdays:
                day -= timedelta(days=1)
            item = items[n % len(items)]
            booking = self.booking(
                provider, item, people[(n * 7) % len(people)], day, plan.slots[0][0]
            )
            written.append(self.review(booking, stars, provider))
        db.session.flush()
        return written


def _subsidy(seeder: MarketSeeder, canteen: Provider, lunch: ServiceItem) -> int:
    """桂花新村's meal subsidy, with this month's meals of its 80+ elders drawing on it."""
    community = seeder.community(0)
    rule = SubsidyRule(
        community_id=community.id,
        name=MEAL_SUBSIDY_NAME,
        category="meals",
        min_age=80,
        fen_per_unit=MEAL_SUBSIDY_FEN,
        monthly_budget_fen=MEAL_SUBSIDY_BUDGET_FEN,
        created_by_id=seeder.coordinator(0).id,
        created_at=to_utc(seeder.today - timedelta(days=HISTORY_DAYS), time(9)),
    )
    db.session.add(rule)
    db.session.flush()
    month = month_start(seeder.today)
    elders = [e for e in seeder.street.communities[0].elders if (e.age_on(seeder.today) or 0) >= 80]
    days = [month + timedelta(days=d) for d in range((seeder.today - month).days)]
    grants = 0
    for n, day in enumerate(days[-10:]):
        resident = elders[n % len(elders)]
        booking = seeder.booking(
            canteen, lunch, resident, day, MEAL_SLOTS[0][0], subsidy_fen=MEAL_SUBSIDY_FEN
        )
        db.session.add(
            SubsidyGrant(
                rule_id=rule.id,
                booking_id=booking.id,
                community_id=community.id,
                month=month,
                amount_fen=MEAL_SUBSIDY_FEN,
                status=SubsidyGrantStatus.USED,
            )
        )
        grants += 1
    db.session.add(
        SubsidyMonth(
            rule_id=rule.id,
            month=month,
            budget_fen=MEAL_SUBSIDY_BUDGET_FEN,
            spent_fen=grants * MEAL_SUBSIDY_FEN,
        )
    )
    return grants


def seed_marketplace(
    street: DemoStreet, now: datetime, seed: int = 2026
) -> tuple[list[DemoLogin], dict[str, int]]:
    """Create the demo market (flushes; the caller commits). Returns logins and counts.

    ``now`` is the local (Shanghai) time the demo's history runs up to.
    """
    # The demo members' hash of the shared password (hashing it again costs ~0.2 s).
    password_hash = street.demo_elder.password_hash or generate_password_hash(DEMO_PASSWORD)
    seeder = MarketSeeder(street, now, random.Random(seed), password_hash)
    made: dict[str, tuple[Provider, list[ServiceItem]]] = {}
    for n, plan in enumerate(PROVIDERS):
        provider, items = seeder.provider(plan, n)
        made[plan.name] = (provider, items)
        seeder.menus(items, delivery="南门" in plan.name or n % 2 == 1, offset=n)
        written = seeder.history(plan, provider, items)
        if plan.name == "好帮手家政服务有限公司":
            # The owner answers the 3★ review; a neighbour reports the 2★ one.
            answered = next(r for r in written if r.stars == 3)
            answered.reply_text = "非常抱歉这次没有做好，已安排阿姨免费回访，感谢您的意见。"
            answered.replied_by_id = provider.owner_id
            answered.replied_at = answered.created_at + timedelta(hours=5)
            reported = next(r for r in written if r.stars == 2)
            db.session.add(
                ReviewReport(
                    review_id=reported.id,
                    reporter_id=street.communities[0].others[0].id,
                    reason="评价里的说法和实际情况不符。",
                    created_at=reported.created_at + timedelta(days=1),
                )
            )
    canteen, canteen_items = made["桂花新村长者食堂"]
    db.session.add(
        CalendarException(
            provider_id=canteen.id,
            on_date=seeder.today + timedelta(days=5),
            is_closed=True,
            note="食堂设备检修，停业一天",
        )
    )
    grants = _subsidy(seeder, canteen, canteen_items[0])
    # Something to rate and something coming up, for the demo elder and family.
    company, company_items = made["好帮手家政服务有限公司"]
    elder = street.demo_elder
    seeder.booking(company, company_items[0], elder, seeder.today - timedelta(days=2), time(8, 30))
    seeder.booking(
        company,
        company_items[3],
        elder,
        seeder.today + timedelta(days=3),
        time(14),
        status=BookingStatus.ACCEPTED,
    )
    parent = street.communities[0].old_elders[1]  # 沈阿根, whose son signs in
    seeder.booking(canteen, canteen_items[0], parent, seeder.today - timedelta(days=1), time(11))
    db.session.flush()
    first = street.communities[0].community.name
    return [
        DemoLogin("provider (housekeeping)", "陈国强", "haobangshou.shop", first),
        DemoLogin("provider (canteen)", "吴建新", "guihua.canteen", first),
    ], {
        "providers": len(made),
        "market bookings": seeder.bookings,
        "reviews": seeder.reviews,
        "meal subsidies": grants,
    }
