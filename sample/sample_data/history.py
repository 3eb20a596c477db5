"""Monthly submissions, April 2023 to March 2024, consistent with the calibrated March values.

Each project reports in some months (cities skip months, some a whole month); its last report up to March 2024
carries exactly its calibrated value, and earlier reports follow a non-decreasing ramp from its planned start,
so that the state as of March is what calibrate.py solved for. Obstacles of the March states are assigned by
count, so that the obstacle ranking is the reported one by construction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import registry
from .common import TARGET_MONTH, WINDOW, fixed2, month_text, rng
from .projects import Project

FULL = 10000

# Share of the candidate March states (certified, reported, not completed) that list each obstacle. Strictly
# decreasing in the reported order: budget, policy changes, personnel, then the rest.
OBSTACLE_SHARE = {
    "BUDGET": 0.40,
    "POLICY": 0.28,
    "PERSONNEL": 0.20,
    "PROCUREMENT": 0.14,
    "TECHNICAL": 0.11,
    "LEGAL": 0.06,
    "OTHER": 0.04,
}

REMARKS = {
    "not_started": (
        "",
        "",
        "รอการจัดสรรงบประมาณ",
        "Awaiting budget allocation",
        "อยู่ระหว่างเตรียมเอกสารจัดซื้อจัดจ้าง",
    ),
    "in_progress": (
        "",
        "",
        "",
        "ดำเนินการตามแผน",
        "On schedule",
        "อยู่ระหว่างติดตั้งอุปกรณ์",
        "ล่าช้ากว่าแผนเล็กน้อย",
        'Phase 1 done, phase 2 "pilot" in tender',
        "Contractor mobilised; site works started",
    ),
    "suspended": ("ระงับชั่วคราวรอผลการพิจารณางบประมาณ", "Suspended pending a legal review", "หยุดดำเนินการชั่วคราว"),
    "completed": ("", "ส่งมอบงานแล้ว", "Handed over to the operator", "เปิดให้บริการแล้ว"),
    "cancelled": ("ยกเลิกโครงการตามมติคณะกรรมการ", "Cancelled: merged into another project of the plan"),
}

SUBMISSION_COLUMNS = (
    "city_code",
    "project_code",
    "report_month",
    "progress_pct",
    "spend_to_date_thb",
    "status",
    "obstacles",
    "remarks",
    "submitted_at",
)


@dataclass
class Report:
    project: Project
    month: int
    progress: int  # hundredths of a percent
    status: str
    obstacles: list[str] = field(default_factory=list)


def build_reports(projects: list[Project], certified: set[str]) -> list[Report]:
    """All reports of certified cities (proposals do not report), with March obstacles calibrated."""
    reports: list[Report] = []
    skipped = {city: _skipped_month(city) for city in certified}
    for p in projects:
        if p.city_code in certified:
            months = reporting_months(p, skipped[p.city_code])
            reports.extend(_project_reports(p, months))
    _assign_obstacles(reports)
    return reports


def _skipped_month(city: str) -> int | None:
    """About one city in five misses one whole month (no file at all); never March, never a leading city."""
    r = rng("skip", city)
    if city in registry.TOP_CITIES or r.random() >= 0.2:
        return None
    return r.choice(WINDOW[1:-1])


def reporting_months(p: Project, skipped: int | None) -> list[int]:
    if p.role == "never_reported":
        return []
    r = rng("report", p.code)
    city_reliability = (
        0.97 if p.city_code in registry.TOP_CITIES else rng("reliability", p.city_code).uniform(0.8, 0.97)
    )
    reliability = city_reliability * (0.6 if p.start > TARGET_MONTH else 1.0)  # plans not yet started: less
    months = [m for m in WINDOW if m != skipped and r.random() < reliability]
    if p.role == "cancelled":  # reports up to the month it is reported cancelled, then stops
        months = sorted({m for m in months if m < p.cancel_month} | {p.cancel_month})
    elif p.final > 0 and (not months or months[-1] < p.start):
        months.append(TARGET_MONTH)  # a project with progress must have reported it
    if p.adjuster and TARGET_MONTH not in months:
        months.append(TARGET_MONTH)  # the leaders and the balancing project report in March
    return months


def _project_reports(p: Project, months: list[int]) -> list[Report]:
    if not months:
        return []
    last = months[-1]
    value = _trajectory(p, last)
    return [Report(p, m, value(m), _status(p, m, value(m))) for m in months]


def _trajectory(p: Project, last: int):
    """Cumulative progress by month: a ramp from the planned start to the last report, reaching the final
    value there; completed projects reach 100 % around their planned end. Suspended months are flat."""
    if p.final == FULL:
        delay = rng("complete", p.code).randint(-1, 4)
        done = min(max(p.end + delay, p.start), last)
        return lambda m: FULL if m >= done else _ramp(p, m, done, FULL)
    return lambda m: _ramp(p, m, last, p.final)


def _ramp(p: Project, month: int, last: int, final: int) -> int:
    def active(upto: int) -> int:
        count = max(0, upto - p.start + 1)
        if p.suspended:
            first, end = p.suspended
            count -= max(0, min(upto, end) - max(first, p.start) + 1)
        return count

    total = active(last)
    return final if total == 0 else final * active(month) // total


def _status(p: Project, month: int, progress: int) -> str:
    if p.role == "cancelled" and month == p.cancel_month:
        return "cancelled"
    if p.suspended and p.suspended[0] <= month <= p.suspended[1] and 0 < progress < FULL:
        return "suspended"
    if progress == 0:
        return "not_started"
    return "completed" if progress == FULL else "in_progress"


def _assign_obstacles(reports: list[Report]) -> None:
    """March states first (exact counts), then earlier reports echo the project's March obstacles."""
    latest: dict[str, Report] = {}
    for rep in reports:
        latest[rep.project.code] = rep  # reports are in month order within a project
    candidates = sorted(code for code, rep in latest.items() if rep.status != "completed")
    r = rng("obstacles")
    march: dict[str, list[str]] = {code: [] for code in latest}
    for obstacle, share in OBSTACLE_SHARE.items():
        for code in r.sample(candidates, math.floor(share * len(candidates))):
            march[code].append(obstacle)
    for rep in reports:
        if rep is latest[rep.project.code]:
            rep.obstacles = list(march[rep.project.code])  # appended in the canonical order
        elif rep.status != "completed":
            rep.obstacles = _earlier_obstacles(rep, march[rep.project.code])


def _earlier_obstacles(rep: Report, march: list[str]) -> list[str]:
    r = rng("obstacles", rep.project.code, rep.month)
    found = {o for o in march if r.random() < 0.7}
    if r.random() < 0.1:
        found.add(r.choice(registry.OBSTACLES))
    if rep.status == "suspended" and not found:
        found.add("BUDGET")
    return sorted(found, key=registry.OBSTACLES.index)


def _spend(p: Project, progress: int) -> int:
    """Cumulative spend in satang: rises with progress, a little behind it, never above the budget."""
    x = progress / FULL
    top = rng("spend", p.code).uniform(max(0.9, p.spend_ratio), 1.0)
    return math.floor(p.budget * x * (p.spend_ratio + (top - p.spend_ratio) * x))


def _submitted_at(city: str, month: int) -> str:
    """A timestamp in the first 20 days of the month after the report month, Bangkok time."""
    r = rng("submitted", city, month)
    year, month0 = divmod(month + 1, 12)
    day, hour, minute, second = r.randint(1, 20), r.randint(8, 18), r.randint(0, 59), r.randint(0, 59)
    return f"{year:04d}-{month0 + 1:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}+07:00"


def submission_rows(reports: list[Report]) -> dict[tuple[int, str], list[dict[str, str]]]:
    """The rows of each submission file, keyed by (report month, city): one file per reporting city, month."""
    files: dict[tuple[int, str], list[dict[str, str]]] = {}
    for rep in sorted(reports, key=lambda x: (x.month, x.project.city_code, x.project.code)):
        p = rep.project
        row = {
            "city_code": p.city_code,
            "project_code": p.code,
            "report_month": month_text(rep.month),
            "progress_pct": fixed2(rep.progress),
            "spend_to_date_thb": fixed2(_spend(p, rep.progress)),
            "status": rep.status,
            "obstacles": ";".join(rep.obstacles),
            "remarks": rng("remark", p.code, rep.month).choice(REMARKS[rep.status]),
            "submitted_at": _submitted_at(p.city_code, rep.month),
        }
        files.setdefault((rep.month, p.city_code), []).append(row)
    return files
