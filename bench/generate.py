"""A national-scale landing area in the contract's formats: ~7,850 cities x 10 projects x 60 months.

`BENCH_SCALE` (or --scale) multiplies the number of cities (0.1 gives ~785 cities, ~471,000 rows).
Deterministic (seeded numpy), vectorised: it writes ~4.7 M rows at full scale in well under a minute.
One CSV per month per block of 500 cities, as a province office would send them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

CITIES_NATIONAL = 7850
PROJECTS_PER_CITY = 10
FIRST_MONTH = pd.Period("2019-04", freq="M")
DIMENSIONS = np.array(["ENV", "ENE", "MOB", "ECO", "LIV", "PEO", "GOV"])
OBSTACLES = np.array(["", "BUDGET", "POLICY", "PERSONNEL", "BUDGET;POLICY", "PROCUREMENT", "TECHNICAL"])
CITIES_PER_FILE = 500


def sizes(scale: float) -> tuple[int, int]:
    cities = max(2, round(CITIES_NATIONAL * scale))
    return cities, cities * PROJECTS_PER_CITY


def generate(out: Path, scale: float, months: int = 60, seed: int = 7850) -> dict:
    rng = np.random.default_rng(seed)
    cities, projects = sizes(scale)
    city_codes = np.array([f"LAO{i:05d}" for i in range(cities)])
    (out / "registry").mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "city_code": city_codes,
            "name_th": [f"เมือง {i}" for i in range(cities)],
            "name_en": [f"Local administration {i}" for i in range(cities)],
            "province_code": [f"TH-{10 + i % 80:02d}" for i in range(cities)],
            "operator_name": "Local administration",
            "operator_type": "local_government",
            "city_type": "livable",
            "peer_group": np.where(np.arange(cities) % 20 == 0, "province", "city"),
            "status": "certified",
            "status_since": "2019-01-15",
        }
    ).to_csv(out / "registry" / "cities.csv", index=False)
    project_city = np.repeat(city_codes, PROJECTS_PER_CITY)
    project_codes = np.char.add(
        np.char.add(project_city, "-"), np.tile(np.arange(PROJECTS_PER_CITY), cities).astype(str)
    )
    start = rng.integers(0, 48, projects)
    length = rng.integers(6, 48, projects)
    budget = rng.integers(1, 500, projects) * 100_000
    pd.DataFrame(
        {
            "project_code": project_codes,
            "city_code": project_city,
            "dimension_code": DIMENSIONS[rng.integers(0, 7, projects)],
            "name_th": "โครงการ",
            "name_en": "Project",
            "budget_thb": budget,
            "planned_start": [str(FIRST_MONTH + int(s)) for s in start],
            "planned_end": [str(FIRST_MONTH + int(s + n)) for s, n in zip(start, length, strict=True)],
            "funding_source": "public",
        }
    ).to_csv(out / "registry" / "projects.csv", index=False)
    rows = 0
    progress = np.zeros(projects)
    for index in range(months):
        month = FIRST_MONTH + index
        started = index >= start
        progress = np.where(started, np.minimum(progress + rng.uniform(0, 6, projects), 100), 0).round(2)
        frame = pd.DataFrame(
            {
                "city_code": project_city,
                "project_code": project_codes,
                "report_month": str(month),
                "progress_pct": progress,
                "spend_to_date_thb": (budget * progress / 100 * 0.9).round(2),
                "status": np.where(
                    progress >= 100, "completed", np.where(progress > 0, "in_progress", "not_started")
                ),
                "obstacles": OBSTACLES[rng.integers(0, len(OBSTACLES), projects)],
                "remarks": "",
                "submitted_at": f"{month + 1}-05T10:00:00+07:00",
            }
        )
        folder = out / "submissions" / str(month)
        folder.mkdir(parents=True, exist_ok=True)
        block = CITIES_PER_FILE * PROJECTS_PER_CITY
        for number, first in enumerate(range(0, projects, block)):
            frame.iloc[first : first + block].to_csv(folder / f"block_{number:03d}.csv", index=False)
        rows += len(frame)
    return {"cities": cities, "projects": projects, "months": months, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--months", type=int, default=60)
    args = parser.parse_args()
    print(generate(args.out, args.scale, args.months))


if __name__ == "__main__":
    main()
