"""The monthly report's words in Thai and English, shared by its charts and its page: months, peer groups,
the index's pillars, why a city is not ranked, and how a city reported the month."""

from __future__ import annotations

from datetime import date

from smartcity.parsing import THAI_MONTH_ABBREVIATIONS, THAI_MONTH_NAMES

MONTHS_EN = "January February March April May June July August September October November December".split()
# Thai month names come from the one place that parses them.
MONTHS_TH = THAI_MONTH_NAMES
MONTHS_TH_SHORT = THAI_MONTH_ABBREVIATIONS
PEER_GROUPS = {"city": ("เมือง", "city-based"), "province": ("จังหวัด", "province-based")}
# The index's pillars (smartcity.index.pillars.PILLARS), labelled for the ranking table.
INDEX_PILLAR_LABELS = {
    "progress": ("ความคืบหน้า", "Progress"),
    "schedule": ("ตามกำหนด", "Schedule"),
    "plan_quality": ("คุณภาพแผน", "Plan quality"),
    "reporting": ("การรายงาน", "Reporting"),
    "coverage": ("ความครอบคลุม", "Coverage"),
}
NOT_RANKED_REASONS = {
    "no_active_budget": (
        "ไม่มีโครงการที่ดำเนินอยู่ (ยกเลิกทั้งหมดหรือไม่มีงบประมาณ)",
        "no active budget (every project cancelled, or none)",
    ),
    "never_reported": ("ยังไม่เคยส่งรายงานที่ผ่านการตรวจ", "never reported an accepted row"),
    "silent": ("ไม่ส่งรายงานติดต่อกันตั้งแต่ 3 เดือนขึ้นไป", "no accepted report for 3 months or more"),
}
# How each city reported the month, in the quality chart and table.
TIMING = {
    "on_time": ("on time", "ทันกำหนด"),
    "late": ("late", "ล่าช้า"),
    "no_report": ("no report", "ไม่รายงาน"),
}


def month_en(month: date) -> str:
    return f"{MONTHS_EN[month.month - 1]} {month.year}"


def month_th(month: date) -> str:
    return f"{MONTHS_TH[month.month - 1]} {month.year + 543}"


def month_th_short(month: date) -> str:
    return f"{MONTHS_TH_SHORT[month.month - 1]} {str(month.year + 543)[-2:]}"
