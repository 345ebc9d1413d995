"""What the demo street's visits look like: how often each kind, how long, and the notes."""

from __future__ import annotations

CATEGORY_WEIGHTS = {
    "companionship": 16,
    "meal": 14,
    "errands": 12,
    "cleaning": 10,
    "phone_help": 8,
    "escort": 6,
    "haircut": 6,
    "repairs": 6,
    "bathing": 5,
    "after_school": 4,
}
TYPICAL_MINUTES = {
    "meal": (45, 60, 90),
    "bathing": (60, 90),
    "cleaning": (90, 120, 180),
    "escort": (180, 240, 300),
    "errands": (45, 60, 90),
    "companionship": (60, 90, 120),
    "haircut": (30, 45),
    "repairs": (45, 60, 90, 120),
    "phone_help": (30, 45, 60),
    "after_school": (90, 120, 150),
}
NOTES = {
    "meal": ("送午饭到家，陪老人吃完", "从社区食堂打饭送上楼", "帮忙热饭，检查冰箱"),
    "bathing": ("协助洗澡，换洗衣物", "帮忙擦身、剪指甲"),
    "cleaning": ("打扫厨房和卫生间", "擦窗、拖地、整理床铺", "清理阳台杂物"),
    "escort": ("陪同去市立医院复诊", "陪同去社区卫生服务中心配药", "陪同做体检，帮忙排队取号"),
    "errands": ("去菜场买菜", "代买药品和日用品", "代交水电费"),
    "companionship": ("陪聊天、读报纸", "陪老人下楼散步", "一起听评弹"),
    "haircut": ("上门理发",),
    "repairs": ("换灯泡、修水龙头", "修理门锁", "疏通下水道"),
    "phone_help": ("教用微信视频通话", "教用手机挂号", "帮忙设置字体放大"),
    "after_school": ("接孙子放学，辅导作业", "放学后照看孙女"),
}
GRANT_MEMOS = ("重点关爱对象每月补贴", "独居老人关爱时长", "困难老人助餐补贴")
