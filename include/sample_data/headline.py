"""Independent check of the sample landing area: the March 2024 headline, by contract section 4.

Plain Python over the written CSV files (csv module only). It shares no code with the generator or the
pipeline, so that a mistake in either cannot confirm itself here. It reads valid rows only: the sample has no
others (yet); a variant that adds rejected rows must make this reader skip them the way the pipeline does.

    python -m sample_data.headline include/sample_landing [YYYY-MM]
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

# The figures the programme reported for March 2024 (Post Today, 23 April 2024).
TARGET_MONTH = "2024-03"
TARGETS = {
    "certified_cities": 30,
    "progress_pct": Decimal("27.57"),
    "investment_value_thb": Decimal("6842970000.00"),
    "top_cities": (
        ("MAE_MOH", Decimal("96.67")),
        ("KHLONG_PHADUNG", Decimal("89.38")),
        ("SAMYAN", Decimal("85.03")),
    ),
    "obstacle_order": ("BUDGET", "POLICY", "PERSONNEL"),
}
OTHER_CITIES_BELOW = Decimal("80")  # "clearly below" the third city
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Figures:
    month: str
    certified_cities: int
    projects: int  # projects of certified cities, cancelled ones left out
    progress_pct: Decimal
    investment_value_thb: Decimal
    spend_to_date_thb: Decimal
    city_progress_pct: dict[str, Decimal]  # certified cities, rounded to 0.01
    obstacle_projects: dict[str, int]  # projects whose state lists the obstacle, cancelled included


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _year_month(text: str) -> tuple[int, int]:
    """'YYYY-MM' or 'YYYY-MM-DD', a year >= 2400 being Buddhist Era."""
    year, month = int(text[:4]), int(text[5:7])
    return (year - 543 if year >= 2400 else year, month)


def _pct(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def submissions(landing: Path) -> list[dict[str, str]]:
    rows = []
    for path in sorted((landing / "submissions").glob("*/*.csv")):
        for row in _read(path):
            rows.append({**row, "_file": str(path.relative_to(landing))})
    return rows


def states(landing: Path, month: str) -> dict[str, dict[str, str]]:
    """Each project's row with the latest report_month <= month (ties: the latest submitted_at)."""
    limit = _year_month(month)
    best: dict[str, dict[str, str]] = {}
    for row in submissions(landing):
        if _year_month(row["report_month"]) > limit:
            continue
        key = (_year_month(row["report_month"]), row["submitted_at"])
        current = best.get(row["project_code"])
        if current is None or key > (_year_month(current["report_month"]), current["submitted_at"]):
            best[row["project_code"]] = row
    return best


def compute(landing: Path, month: str = TARGET_MONTH) -> Figures:
    limit = _year_month(month)
    certified = {
        c["city_code"]
        for c in _read(landing / "registry" / "cities.csv")
        if c["status"] == "certified" and _year_month(c["status_since"]) <= limit
    }
    state = states(landing, month)
    budget: dict[str, Decimal] = {}
    earned: dict[str, Decimal] = {}
    spend = Decimal(0)
    obstacles: dict[str, int] = {}
    projects = 0
    for p in _read(landing / "registry" / "projects.csv"):
        if p["city_code"] not in certified:
            continue
        row = state.get(
            p["project_code"], {"progress_pct": "0", "spend_to_date_thb": "0", "status": "not_started"}
        )
        for code in filter(None, row.get("obstacles", "").split(";")):
            obstacles[code] = obstacles.get(code, 0) + 1
        if row["status"] == "cancelled":
            continue
        projects += 1
        b = Decimal(p["budget_thb"])
        budget[p["city_code"]] = budget.get(p["city_code"], Decimal(0)) + b
        earned[p["city_code"]] = earned.get(p["city_code"], Decimal(0)) + b * Decimal(row["progress_pct"])
        spend += Decimal(row["spend_to_date_thb"])
    total = sum(budget.values(), Decimal(0))
    return Figures(
        month=month,
        certified_cities=len(certified),
        projects=projects,
        progress_pct=_pct(sum(earned.values(), Decimal(0)) / total),
        investment_value_thb=total,
        spend_to_date_thb=spend,
        city_progress_pct={c: _pct(earned[c] / budget[c]) for c in sorted(budget) if budget[c]},
        obstacle_projects=dict(sorted(obstacles.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def misses(fig: Figures) -> list[str]:
    """What differs from the reported March 2024 headline (empty when everything matches)."""
    found = []
    for name in ("certified_cities", "progress_pct", "investment_value_thb"):
        if getattr(fig, name) != TARGETS[name]:
            found.append(f"{name}: {getattr(fig, name)} != {TARGETS[name]}")
    ranked = sorted(fig.city_progress_pct.items(), key=lambda kv: (-kv[1], kv[0]))
    if tuple(ranked[:3]) != TARGETS["top_cities"]:
        found.append(f"top cities: {ranked[:3]}")
    found += [f"{c} at {v} is not clearly below the top 3" for c, v in ranked[3:] if v >= OTHER_CITIES_BELOW]
    counts = fig.obstacle_projects
    order = TARGETS["obstacle_order"]
    rest = max((n for code, n in counts.items() if code not in order), default=0)
    chain = [counts.get(code, 0) for code in order] + [rest]
    if any(a <= b for a, b in zip(chain, chain[1:], strict=False)):
        found.append(f"obstacle ranking: {counts}")
    return found


def row_problems(landing: Path) -> list[str]:
    """Consistency of the submissions themselves: folders, monotone cumulative figures, budget, status."""
    budgets = {
        p["project_code"]: Decimal(p["budget_thb"]) for p in _read(landing / "registry" / "projects.csv")
    }
    found = []
    history: dict[str, list[dict[str, str]]] = {}
    for row in submissions(landing):
        history.setdefault(row["project_code"], []).append(row)
        where = f"{row['_file']} {row['project_code']}"
        if not row["_file"].startswith(f"submissions/{row['report_month']}/"):
            found.append(f"{where}: report month {row['report_month']} in another folder")
        progress, spend = Decimal(row["progress_pct"]), Decimal(row["spend_to_date_thb"])
        if spend > budgets[row["project_code"]]:
            found.append(f"{where}: spend above budget")
        expected = {Decimal(0): {"not_started"}, Decimal(100): {"completed"}}.get(progress, {"in_progress"})
        if row["status"] not in expected | {"suspended", "cancelled"}:
            found.append(f"{where}: status {row['status']} at {progress} %")
    for code, rows in history.items():
        rows.sort(key=lambda r: r["report_month"])
        for before, after in zip(rows, rows[1:], strict=False):
            for column in ("progress_pct", "spend_to_date_thb"):
                if Decimal(after[column]) < Decimal(before[column]):
                    found.append(f"{code}: {column} goes down in {after['report_month']}")
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    landing = Path(args[0]) if args else Path("include/sample_landing")
    fig = compute(landing, args[1] if len(args) > 1 else TARGET_MONTH)
    print(fig)
    problems = (misses(fig) if fig.month == TARGET_MONTH else []) + row_problems(landing)
    for line in problems:
        print("MISS", line)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
