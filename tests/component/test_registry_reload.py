"""The registry is read again only when what it is made of changed: its files, or the code that reads them.

Reading and normalising the registry was most of a month's pull at national scale (78,500 projects: about
3 s of a 4 s step). These tests hold the skip to its promise: the tables after a skipped load are exactly
the tables a full load gives.
"""

from __future__ import annotations

import logging
from datetime import date

import pytest

from smartcity.ingestion import registry
from smartcity.ingestion.registry import RegistryError, load_registry
from smartcity.ingestion.sources import open_landing
from smartcity.state import connect, ensure_state
from tests.component.landing import CITIES, PROJECTS, make_landing, settings_for

TABLES = ("cities", "city_contacts", "projects", "plan_assessments", "removed_cities", "removed_projects")
MARCH, APRIL = date(2024, 3, 1), date(2024, 4, 1)


@pytest.fixture
def state(tmp_path):
    landing = make_landing(tmp_path / "landing", {"2024-03": {}})
    settings = settings_for(landing, tmp_path / "warehouse.duckdb")
    ensure_state(settings)
    return landing, settings


def _load(settings, landing, removed_from=None) -> dict[str, int]:
    with connect(settings.pipeline_db) as con:
        return load_registry(con, open_landing(str(landing)), removed_from=removed_from)


def _tables(settings) -> dict[str, list[tuple]]:
    with connect(settings.pipeline_db) as con:
        return {t: con.execute(f"select * from registry.{t} order by all").fetchall() for t in TABLES}  # noqa: S608


def _loaded_at(settings):
    with connect(settings.pipeline_db) as con:
        return con.execute("select loaded_at from pipeline.registry_loaded").fetchall()


def _forget_load(settings) -> None:
    """As if the registry had never been loaded by this code: the next load reads the files."""
    with connect(settings.pipeline_db) as con:
        con.execute("delete from pipeline.registry_loaded")


def test_the_same_registry_is_not_read_again(state, caplog):
    landing, settings = state
    first = _load(settings, landing)
    tables, stamp = _tables(settings), _loaded_at(settings)
    caplog.set_level(logging.INFO, logger="smartcity.ingestion.registry")
    assert _load(settings, landing) == first == {"cities": 2, "projects": 3, "plan_assessments": 0}
    assert "registry unchanged since it was loaded" in caplog.text
    assert _loaded_at(settings) == stamp  # nothing was written
    assert _tables(settings) == tables


def test_a_changed_file_is_read_again(state):
    landing, settings = state
    _load(settings, landing)
    (landing / "registry" / "projects.csv").write_text(
        PROJECTS + "A3,AAA,ECO,a3,A3,500000,2024-03,2024-09,public\n", encoding="utf-8"
    )
    assert _load(settings, landing)["projects"] == 4
    with connect(settings.pipeline_db) as con:
        assert con.execute(
            "select budget_thb from registry.projects where project_code = 'A3'"
        ).fetchall() == [(500000,)]


def test_a_file_appearing_is_read(state):
    landing, settings = state
    _load(settings, landing)
    (landing / "registry" / "plan_assessments.csv").write_text(
        "city_code,component,score,assessed_on\nAAA,1,80,2024-01-15\n", encoding="utf-8"
    )
    assert _load(settings, landing)["plan_assessments"] == 1


def test_new_code_reads_the_same_files_again(state, monkeypatch):
    """A release may read the same bytes differently (a new parser, a new column type)."""
    landing, settings = state
    _load(settings, landing)
    stamp = _loaded_at(settings)
    monkeypatch.setattr(registry, "_code_digest", lambda: "the code of a later release")
    _load(settings, landing)
    assert _loaded_at(settings) != stamp


def test_a_city_that_left_stays_left_when_the_same_files_come_again(state, caplog):
    """BBB leaves the registry in March; April's run sees the same files (and a later first unpublished
    month). The kept rows must be what a full load gives: BBB left from March, not April."""
    landing, settings = state
    _load(settings, landing)
    (landing / "registry" / "cities.csv").write_text(CITIES.replace(CITIES.splitlines()[-1] + "\n", ""))
    (landing / "registry" / "projects.csv").write_text(
        PROJECTS.replace("B1,BBB,GOV,b1,B1,2000000,2566-01,2566-12,ppp\n", "")
    )
    _load(settings, landing, removed_from=MARCH)
    caplog.set_level(logging.WARNING, logger="smartcity.ingestion.registry")
    _load(settings, landing, removed_from=APRIL)
    skipped = _tables(settings)
    assert [row[0] for row in skipped["removed_cities"]] == ["BBB"]
    assert skipped["removed_cities"][0][-1] == MARCH
    assert "1 city left the registry (BBB)" in caplog.text  # said on every run, read again or not
    _forget_load(settings)
    _load(settings, landing, removed_from=APRIL)
    assert _tables(settings) == skipped


def test_a_broken_registry_is_never_taken_for_loaded(state):
    """A broken registry stops each run, however often it comes; the good tables stay as they were, and the
    good files, back again, are known as loaded."""
    landing, settings = state
    _load(settings, landing)
    good, stamp = _tables(settings), _loaded_at(settings)
    projects = landing / "registry" / "projects.csv"
    projects.write_text(PROJECTS + "A9,AAA,ENV,a9,A9,not money,2024-01,2024-02,public\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(RegistryError):
            _load(settings, landing)
    projects.write_text(PROJECTS, encoding="utf-8")
    _load(settings, landing)
    assert (_tables(settings), _loaded_at(settings)) == (good, stamp)
