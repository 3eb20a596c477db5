"""The project registry: dimensions, names, planned dates, funding, budgets and special roles.

Budgets are fixed first and exactly: the projects of certified cities that are not cancelled by March 2024
share the reported programme investment to the satang (largest-remainder allocation).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import registry
from .common import TARGET_MONTH, month_index, rng
from .registry import CitySpec

# Reported investment of the 30 certified cities, March 2024: 6,842.97 million baht, in satang.
PROGRAMME_INVESTMENT_SATANG = 6_842_970_000 * 100
BUDGET_UNIT_SATANG = 10_000 * 100  # budgets are whole multiples of 10,000 baht ...
ODD_AMOUNT_SATANG = 4_321_50  # ... except two, which trade 4,321.50 baht so that satang appear in the file

LATEST_MONTH = month_index("2027-12")  # plans run to the 2027 programme target at the latest


@dataclass
class Project:
    code: str
    city_code: str
    dimension: str
    name_th: str
    name_en: str
    funding: str
    start: int  # planned_start, month index
    end: int  # planned_end, month index
    weight: float  # relative budget before the exact allocation
    dates_in_be: bool  # write planned_start/planned_end with BE years
    budget: int = 0  # satang
    role: str = ""  # "", "cancelled", "never_reported" or "suspended"
    cancel_month: int | None = None
    suspended: tuple[int, int] | None = None
    adjuster: bool = False  # its March value is solved for, to hit a target exactly
    final: int = 0  # progress of the state as of March 2024, hundredths of a percent
    spend_ratio: float = 1.0  # spend / (budget x progress): below 1 for projects that pay late


def build_projects(cities: tuple[CitySpec, ...] = registry.ALL_CITIES) -> list[Project]:
    projects: list[Project] = []
    for city in cities:
        projects.extend(_city_projects(city))
    assign_roles(projects)
    allocate_budgets(projects, {c.code for c in cities if c.status == "certified"})
    return projects


def _city_projects(city: CitySpec) -> list[Project]:
    r = rng("projects", city.code)
    certified = city.status == "certified"
    if not certified:
        count = r.randint(2, 3)
    elif city.code in registry.ALL_DIMENSIONS_CITIES:
        count = r.randint(10, 14)
    else:
        count = r.randint(6, 14)
    dims = _dimensions(r, city.code, count)
    used: dict[str, int] = {}
    templates = {d: r.sample(registry.PROJECT_TEMPLATES[d], len(registry.PROJECT_TEMPLATES[d])) for d in dims}
    projects = []
    for dim in dims:
        number = used.get(dim, 0) + 1
        used[dim] = number
        name_th, name_en = templates[dim][number - 1]
        start, end = _planned_dates(r, city)
        projects.append(
            Project(
                code=f"{city.code}-{dim}-{number:02d}",
                city_code=city.code,
                dimension=dim,
                name_th=name_th,
                name_en=name_en,
                funding=_funding(r, city),
                start=start,
                end=end,
                # A product of uniforms gives the skewed spread of real budgets without libm (exp/log could
                # differ in the last bit between platforms and break byte-identical output).
                weight=registry.SCALE_WEIGHT[city.scale] * r.uniform(0.3, 1.8) * r.uniform(0.3, 1.8),
                dates_in_be=r.random() < 0.15,
                spend_ratio=r.uniform(0.6, 1.0),
            )
        )
    return sorted(projects, key=lambda p: p.code)


def _dimensions(r, city_code: str, count: int) -> list[str]:
    """The dimension of each project: a plan covers 1-7 dimensions, spread evenly, at most 4 projects per
    dimension (there are 5 name templates per dimension)."""
    all_dims = registry.DIMENSIONS
    if city_code in registry.ALL_DIMENSIONS_CITIES:
        covered = list(all_dims)
    else:
        minimum = -(-count // 4)
        covered = sorted(r.sample(all_dims, r.randint(minimum, min(7, count))), key=all_dims.index)
    return sorted((covered[i % len(covered)] for i in range(count)), key=all_dims.index)


def _planned_dates(r, city: CitySpec) -> tuple[int, int]:
    if city.code in registry.TOP_CITIES:  # the leaders started early: most projects are done by 2024
        first, last, longest = "2021-01", "2023-03", 24
    elif city.status != "certified":  # proposals: nothing before approval
        first, last, longest = "2024-07", "2025-06", 30
    elif city.status_since.startswith(("2021", "2564")):
        first, last, longest = "2021-03", "2025-03", 36
    else:
        first, last, longest = "2021-10", "2025-06", 36
    start = r.randint(month_index(first), month_index(last))
    end = min(start + r.randint(6, longest) - 1, LATEST_MONTH)
    return start, end


def _funding(r, city: CitySpec) -> str:
    if city.operator_type == "private":
        return r.choice(("private", "private", "ppp"))
    return r.choices(("public", "ppp", "private"), weights=(7, 2, 1))[0]


def _pick(candidates: list[Project], key) -> Project:
    free = [p for p in candidates if not p.role]
    return min(free, key=lambda p: (key(p), p.code))


def assign_roles(projects: list[Project]) -> None:
    """Mark the cancelled, never-reported and suspended projects named in the registry. The project is chosen
    by rule (the earliest start, or the last code) and its dates are forced where the role needs it."""
    by_city: dict[str, list[Project]] = {}
    for p in projects:
        by_city.setdefault(p.city_code, []).append(p)

    for city, month in registry.CANCELLED.items():
        p = _pick(by_city[city], key=lambda p: p.start)
        p.role, p.cancel_month = "cancelled", month_index(month)
        p.start = min(p.start, p.cancel_month - 12)  # ran for a year at least before being dropped

    late = by_city[registry.NEVER_REPORTED_NOT_STARTED][-1]
    late.role, late.start, late.end = "never_reported", month_index("2024-09"), month_index("2025-08")

    silent = by_city[registry.NEVER_REPORTED_SILENT][-1]
    silent.role, silent.start, silent.end = "never_reported", month_index("2023-02"), month_index("2024-12")

    for city, (first, last) in registry.SUSPENDED.items():
        p = _pick(by_city[city], key=lambda p: p.start)
        p.role, p.suspended = "suspended", (month_index(first), month_index(last))
        p.start = min(p.start, month_index(first) - 6)
        p.end = max(p.end, TARGET_MONTH + 6)  # still running when suspended, so it cannot be complete


def allocate_budgets(projects: list[Project], certified: set[str]) -> None:
    """Split the programme investment exactly over the counted projects (certified, not cancelled); the
    others get a budget of the same scale, rounded to the unit."""
    counted = [p for p in projects if p.city_code in certified and p.role != "cancelled"]
    units = PROGRAMME_INVESTMENT_SATANG // BUDGET_UNIT_SATANG
    assert units * BUDGET_UNIT_SATANG == PROGRAMME_INVESTMENT_SATANG
    total_weight = sum(p.weight for p in counted)
    shares = [(p, units * p.weight / total_weight) for p in counted]
    floors = {p.code: int(share) for p, share in shares}
    remainder = units - sum(floors.values())
    # Largest remainder; ties broken by code so the result is stable.
    for p, _ in sorted(shares, key=lambda ps: (-(ps[1] - int(ps[1])), ps[0].code))[:remainder]:
        floors[p.code] += 1
    for p in counted:
        p.budget = floors[p.code] * BUDGET_UNIT_SATANG

    unit_per_weight = units / total_weight
    counted_codes = {p.code for p in counted}
    for p in projects:
        if p.code not in counted_codes:
            p.budget = max(1, round(p.weight * unit_per_weight)) * BUDGET_UNIT_SATANG

    # Two budgets with satang, the sum unchanged.
    r = rng("odd-budgets")
    plus, minus = r.sample(sorted((p for p in counted if p.budget > 100 * BUDGET_UNIT_SATANG), key=_code), 2)
    plus.budget += ODD_AMOUNT_SATANG
    minus.budget -= ODD_AMOUNT_SATANG
    assert sum(p.budget for p in counted) == PROGRAMME_INVESTMENT_SATANG


def _code(p: Project) -> str:
    return p.code
