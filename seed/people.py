"""Believable residents for the demo street: names, birth dates and phone numbers.

Everything is drawn from a ``random.Random`` the caller seeds, so the same
seed always gives the same street.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

# Common surnames, weighted towards those frequent in Suzhou (沧浪 is in Suzhou).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董"
    "潘袁蔡蒋余于杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦顾钱俞华"
)
FREQUENT_SURNAMES = "王李张刘陈周徐朱吴沈陆顾钱"

# Given names by generation: people born in the 1930s–50s, the 1960s–70s, and since 1985.
ELDER_WOMEN = [
    "秀英",
    "桂英",
    "玉兰",
    "凤英",
    "淑珍",
    "桂兰",
    "秀兰",
    "玉珍",
    "月娥",
    "金凤",
    "阿娣",
    "素琴",
    "美华",
    "惠芳",
    "雪英",
    "兰英",
    "彩凤",
    "根娣",
    "巧珍",
    "琴芳",
]
ELDER_MEN = [
    "建国",
    "国强",
    "志明",
    "德明",
    "金宝",
    "阿根",
    "福生",
    "根宝",
    "荣生",
    "永康",
    "家驹",
    "宝林",
    "振华",
    "正德",
    "守仁",
    "文斌",
    "兴隆",
    "伯年",
    "海泉",
    "忠良",
]
MIDDLE_WOMEN = [
    "红",
    "丽",
    "敏",
    "静",
    "海燕",
    "丽华",
    "卫红",
    "晓燕",
    "春梅",
    "雪梅",
    "玲",
    "琳",
    "慧",
    "雅琴",
    "晓红",
]
MIDDLE_MEN = [
    "伟",
    "军",
    "勇",
    "强",
    "建华",
    "卫东",
    "国平",
    "晓东",
    "志刚",
    "建军",
    "明",
    "斌",
    "立新",
    "海涛",
    "俊",
]
YOUNG_WOMEN = [
    "子涵",
    "雨萱",
    "欣怡",
    "思琪",
    "梓萱",
    "诗涵",
    "佳怡",
    "一诺",
    "语桐",
    "嘉怡",
    "若曦",
    "晓雯",
]
YOUNG_MEN = [
    "浩然",
    "梓轩",
    "宇航",
    "子墨",
    "思远",
    "一鸣",
    "俊杰",
    "博文",
    "天佑",
    "皓轩",
    "嘉豪",
    "明哲",
]

# Mainland mobile prefixes; the demo's own logins use 139 0000 00xx.
PHONE_PREFIXES = ("133", "135", "136", "137", "138", "150", "151", "152", "158", "180", "187")


def surname(rng: random.Random) -> str:
    """A surname, frequent ones more often."""
    return rng.choice(FREQUENT_SURNAMES if rng.random() < 0.45 else SURNAMES)


def given_name(rng: random.Random, birth_year: int, woman: bool) -> str:
    """A given name that sounds like someone born in ``birth_year``."""
    if birth_year < 1960:
        pool = ELDER_WOMEN if woman else ELDER_MEN
    elif birth_year < 1985:
        pool = MIDDLE_WOMEN if woman else MIDDLE_MEN
    else:
        pool = YOUNG_WOMEN if woman else YOUNG_MEN
    return rng.choice(pool)


def full_name(rng: random.Random, birth_year: int, woman: bool, family: str | None = None) -> str:
    """Surname and given name; ``family`` forces the surname (a son, a grandchild)."""
    return (family or surname(rng)) + given_name(rng, birth_year, woman)


def birth_date(rng: random.Random, age: int, today: date) -> date:
    """A birth date that makes someone exactly ``age`` on ``today``."""
    latest = date(today.year - age, today.month, min(today.day, 28))
    return latest - timedelta(days=rng.randrange(0, 365))


class PhoneBook:
    """Hands out unique, plausible mobile numbers."""

    def __init__(self, rng: random.Random, taken: set[str] | None = None) -> None:
        self.rng = rng
        self.taken = set(taken or ())

    def new(self) -> str:
        while True:
            phone = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.taken:
                self.taken.add(phone)
                return phone
