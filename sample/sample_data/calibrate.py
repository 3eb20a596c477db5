"""March 2024 progress of every project, calibrated so that the contract's figures match the headline.

By construction, in this order:
1. the three leading cities: every project but one gets a plausible value, and the remaining one (the
   city's "adjuster") is solved for so that the city's budget-weighted progress rounds to the reported value;
2. every other city: planned progress x a city pace x noise, all scaled by one factor k found by bisection
   so that the programme figure comes close to 27.57, with each city capped well below the leaders;
3. the balancing city's adjuster is solved for so that the programme figure rounds to 27.57 exactly.
A solved value is rounded to 0.01 %, which moves a weighted mean by less than 0.005: the rounding of the
figure is then guaranteed, not hoped for. Arithmetic is on integers (satang x hundredths).
"""

from __future__ import annotations

from . import registry
from .common import TARGET_MONTH, month_index, planned_pct, rng, round_div
from .projects import Project

PROGRAMME_PROGRESS = 2757  # 27.57 %, hundredths
OTHER_CITY_CAP = 7500  # 75 %: every city outside the top 3 stays clearly below the third (85.03 %)
FULL = 10000  # 100 %


def calibrate(projects: list[Project], certified: set[str]) -> None:
    counted = [p for p in projects if p.city_code in certified and p.role != "cancelled"]
    by_city: dict[str, list[Project]] = {}
    for p in counted:
        by_city.setdefault(p.city_code, []).append(p)

    for city, target in registry.TOP_CITIES.items():
        _calibrate_top_city(by_city[city], target)

    others = {c: ps for c, ps in by_city.items() if c not in registry.TOP_CITIES}
    balancing = _choose_adjuster(others[registry.BALANCING_CITY], registry.BALANCING_CITY)
    bases = {p.code: _base(p) for ps in others.values() for p in ps}
    k = _solve_scale(counted, others, bases)
    for ps in others.values():
        _apply_scale(ps, bases, k)
    _solve_programme(counted, balancing)

    for p in projects:
        if p.role == "cancelled":
            p.final = _cancelled_value(p)


def weighted_sum(projects: list[Project]) -> int:
    return sum(p.budget * p.final for p in projects)


def _choose_adjuster(city_projects: list[Project], city: str) -> Project:
    """The largest project without a special role; made a running project (started, not yet due), so that
    any value strictly between 0 and 100 % is plausible for it."""
    free = [p for p in city_projects if not p.role]
    p = max(free, key=lambda p: (p.budget, p.code))
    p.adjuster = True
    p.start = min(p.start, month_index("2023-03"))
    p.end = max(p.end, TARGET_MONTH + 3)
    return p


def _solve_adjuster(adjuster: Project, others_sum: int, wanted_sum: int, where: str) -> None:
    needed = wanted_sum - others_sum
    value = round_div(needed, adjuster.budget) if needed > 0 else 0
    if not 1 <= value <= FULL - 1:
        raise ValueError(f"{where}: adjuster {adjuster.code} would need {value / 100:.2f} %; change the data")
    adjuster.final = value


def _calibrate_top_city(city_projects: list[Project], target: int) -> None:
    city = city_projects[0].city_code
    adjuster = _choose_adjuster(city_projects, city)
    r = rng("top", city)
    for p in city_projects:
        if p is adjuster:
            continue
        if p.end <= TARGET_MONTH and r.random() < 0.9:
            p.final = FULL
        else:  # still running, near the city's level
            p.final = min(target + r.randint(-800, 200), 9950)
    budget = sum(p.budget for p in city_projects)
    others = weighted_sum([p for p in city_projects if p is not adjuster])
    _solve_adjuster(adjuster, others, target * budget, city)


def _base(p: Project) -> float:
    """Unscaled March progress: the plan, times how well the city keeps pace, times project noise."""
    if p.role == "never_reported" or p.start > TARGET_MONTH:
        return 0.0
    pace = rng("pace", p.city_code).uniform(0.2, 1.6)
    return planned_pct(p.start, p.end, TARGET_MONTH) * pace * rng("noise", p.code).uniform(0.6, 1.25)


def _scaled(p: Project, base: float, k: float) -> int:
    value = k * base
    if p.role == "suspended":  # frozen mid-way: strictly between 0 and 100 %
        return max(100, min(round(value * 100), 9500))
    if value >= 99.5:
        return FULL if p.end <= TARGET_MONTH else 9700  # only a project past its planned end is complete
    return round(value * 100)


def _apply_scale(city_projects: list[Project], bases: dict[str, float], k: float) -> None:
    for p in city_projects:
        p.final = _scaled(p, bases[p.code], k)
    budget = sum(p.budget for p in city_projects)
    level = weighted_sum(city_projects) // budget
    if level > OTHER_CITY_CAP:  # a fast city: bring it down to the cap, keeping its shape
        for p in city_projects:
            p.final = max(p.final * OTHER_CITY_CAP // level, 100 if p.role == "suspended" else 0)


def _programme_level(counted: list[Project]) -> float:
    return weighted_sum(counted) / sum(p.budget for p in counted)


def _solve_scale(counted: list[Project], others: dict[str, list[Project]], bases: dict[str, float]) -> float:
    low, high = 0.0, 5.0
    for _ in range(60):
        k = (low + high) / 2
        for ps in others.values():
            _apply_scale(ps, bases, k)
        if _programme_level(counted) < PROGRAMME_PROGRESS:
            low = k
        else:
            high = k
    return (low + high) / 2


def _solve_programme(counted: list[Project], balancing: Project) -> None:
    total = sum(p.budget for p in counted)
    others = weighted_sum([p for p in counted if p is not balancing])
    _solve_adjuster(balancing, others, PROGRAMME_PROGRESS * total, "programme")


def _cancelled_value(p: Project) -> int:
    """Progress frozen when the project was dropped: part of what was planned by then."""
    planned = planned_pct(p.start, p.end, p.cancel_month)
    return max(100, round(planned * rng("cancel", p.code).uniform(0.2, 0.6) * 100))
