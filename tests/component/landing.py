"""Builders shared by the component tests: a small landing area on disk, settings pointing at it, queries."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import duckdb

from smartcity.config import Settings, load_settings
from smartcity.normalize import SUBMISSION_COLUMNS
from smartcity.pipeline import STEPS, RunPlan, run_plan

CITIES = """\
city_code,name_th,name_en,province_code,operator_name,operator_type,city_type,peer_group,status,status_since
AAA,เมืองเอ,City A,TH-10,Operator A,local_government,livable,city,certified,2021-05-01
BBB,เมืองบี,City B,TH-50,Operator B,university,livable,province,certified,2565-03-01
"""

PROJECTS = """\
project_code,city_code,dimension_code,name_th,name_en,budget_thb,planned_start,planned_end,funding_source
A1,AAA,ENV,a1,A1,1000000,2023-11,2024-02,public
A2,AAA,MOB,a2,A2,3000000,2024-02,2024-05,public
B1,BBB,GOV,b1,B1,2000000,2566-01,2566-12,ppp
"""

HEADER = ",".join(SUBMISSION_COLUMNS) + "\n"


def make_landing(
    root: Path,
    submissions: dict[str, dict[str, str | bytes]],
    cities: str = CITIES,
    projects: str = PROJECTS,
) -> Path:
    """registry/ plus submissions/<month>/<name>; text is written as UTF-8, bytes as they are."""
    (root / "registry").mkdir(parents=True)
    (root / "registry" / "cities.csv").write_text(cities, encoding="utf-8")
    (root / "registry" / "projects.csv").write_text(projects, encoding="utf-8")
    for month, files in submissions.items():
        folder = root / "submissions" / month
        folder.mkdir(parents=True)
        for name, content in files.items():
            if isinstance(content, bytes):
                (folder / name).write_bytes(content)
            else:
                (folder / name).write_text(content, encoding="utf-8")
    settled(root)
    return root


def settled(root: Path, seconds: float = 60.0) -> None:
    """Date every file under root `seconds` back, as files that arrived a while ago: the pull takes a file
    written within the last two seconds only after waiting to see that it is complete (sources/local.py)."""
    then = time.time() - seconds
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.utime(path, (then, then))


def pull_counts(files_new: int, rows_new: int, files_unreadable: int, files_not_taken: int = 0) -> dict:
    """What the pull step reports."""
    return {
        "files_new": files_new,
        "rows_new": rows_new,
        "files_unreadable": files_unreadable,
        "files_not_taken": files_not_taken,
    }


def settings_for(landing: Path, warehouse: Path) -> Settings:
    return load_settings({"SMARTCITY_LANDING": str(landing), "SMARTCITY_WAREHOUSE": str(warehouse)})


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root, by relative path, with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Run one query on a DuckDB file read-only and close it again (the next step may need to write)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def run_steps(settings: Settings, run_id: str, month: date | None = None) -> RunPlan:
    """A whole run through the DAG's steps, the plan first as the DAG makes it, without Airflow."""
    plan = run_plan(settings, run_id, requested_month=month)
    for step in STEPS:
        step(settings, plan)
    return plan
