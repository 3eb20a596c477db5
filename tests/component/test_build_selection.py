"""A month's dbt build leaves what reads only the registry as the last build left it, and only then.

The registry is read again only when its files or the pipeline's code changed (ingestion/registry.py). A
changed file changes the build fingerprint too, so the whole warehouse is rebuilt; a new release that reads
the same files differently does not. These tests hold the month's narrower build (transformation/dbt.py:
month_selection) to its promise: the registry's models are built again whenever the registry tables are not
those the last build read, a test between a month's table and a registry table still runs every month, and a
model that reads the months can never be left out.
"""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest

from smartcity.config import DBT_PROJECT_DIR
from smartcity.ingestion import registry
from smartcity.transformation.dbt import month_selection, run_dbt
from tests.component.landing import HEADER, make_landing, query, run_steps, settings_for

MONTHS = {
    "2024-01": HEADER + "AAA,A1,2024-01,50,100000,in_progress,,,2024-02-05T10:00:00+07:00\n",
    "2024-02": HEADER + "AAA,A1,2024-02,60,200000,in_progress,,,2024-03-05T10:00:00+07:00\n",
    "2024-03": HEADER + "AAA,A1,2024-03,70,300000,in_progress,,,2024-04-05T10:00:00+07:00\n",
}
# Nodes that read the registry alone, and nodes of the months (a relationship test to dim_cities included).
REGISTRY_NODES = (
    "model.smartcity.dim_cities",
    "model.smartcity.proposal_screening",
    "snapshot.smartcity.city_status_history",
)
MONTH_NODES = (
    "model.smartcity.city_progress_monthly",
    "test.smartcity.relationships_city_progress_monthly_city_code__city_code__ref_dim_cities_.",
)


def _built(settings) -> set[str]:
    """The unique ids of the nodes the last dbt build ran."""
    results = json.loads((settings.state_dir / "dbt_target" / "run_results.json").read_text(encoding="utf-8"))
    assert results["args"]["which"] == "build"
    return {result["unique_id"] for result in results["results"]}


def _ran(built: set[str], node: str) -> bool:
    return any(uid == node or (node.endswith(".") and uid.startswith(node)) for uid in built)


def _registry_kept(settings) -> bool:
    (counts,) = query(
        settings.pipeline_db,
        "select counts from pipeline.runs where step = 'transform' order by started_at desc limit 1",
    )[0]
    return json.loads(counts)["registry_kept"]


def _add_month(landing, month: str) -> None:
    (landing / "submissions" / month).mkdir()
    (landing / "submissions" / month / f"{month}.csv").write_text(MONTHS[month], encoding="utf-8")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """January; February after a release that reads the registry's names differently; March as usual."""
    base = tmp_path_factory.mktemp("selection")
    landing = make_landing(base / "landing", {"2024-01": {"2024-01.csv": MONTHS["2024-01"]}})
    settings = settings_for(landing, base / "warehouse.duckdb")
    seen = {}
    run_steps(settings, "january", date(2024, 1, 1))
    # (January's run_results.json is the documentation's: the first run generates it after the build.)
    seen["january"] = (set(), _registry_kept(settings), _names(settings))

    with pytest.MonkeyPatch.context() as patch:
        # The same registry files, read by a later release that spells the cities' English names otherwise.
        normalise_cities = registry.normalise_cities

        def renamed(rows):
            cities, faults = normalise_cities(rows)
            return cities.assign(name_en=cities["name_en"] + " (renamed)"), faults

        patch.setattr(registry, "_code_digest", lambda: "the code of a later release")
        patch.setattr(registry, "normalise_cities", renamed)
        for month in ("2024-02", "2024-03"):
            _add_month(landing, month)
            plan = run_steps(settings, month)
            assert not plan.rebuild  # the fingerprint did not change: an incremental build
            seen[month] = (_built(settings), _registry_kept(settings), _names(settings))
    return seen


def _names(settings) -> list[tuple]:
    return query(settings.warehouse, "select city_code, name_en from marts.dim_cities order by city_code")


def test_the_first_build_builds_the_registry_nodes(runs):
    _, kept, names = runs["january"]
    assert not kept
    assert names == [("AAA", "City A"), ("BBB", "City B")]


def test_registry_tables_read_again_by_a_new_release_are_built_again(runs):
    """February's pull read the same files with new code: the registry tables changed, the fingerprint did
    not. Kept as built, dim_cities would still publish the names the old code read."""
    built, kept, names = runs["2024-02"]
    assert not kept
    assert all(_ran(built, node) for node in REGISTRY_NODES + MONTH_NODES)
    assert names == [("AAA", "City A (renamed)"), ("BBB", "City B (renamed)")]


def test_a_month_with_the_registry_as_built_leaves_its_nodes_and_still_tests_the_months_against_them(runs):
    built, kept, names = runs["2024-03"]
    assert kept
    assert not any(_ran(built, node) for node in REGISTRY_NODES)
    assert all(_ran(built, node) for node in MONTH_NODES)
    assert names == [("AAA", "City A (renamed)"), ("BBB", "City B (renamed)")]


def test_a_model_reading_the_months_alone_is_never_left_out(tmp_path):
    """A future model that reads report_month() and the registry only is in the month's selection, and so
    are the models built on it."""
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "dbt_packages", "logs"))
    (project / "models" / "marts" / "cities_as_of_report_month.sql").write_text(
        "select city_code, {{ report_month() }} as report_month from {{ ref('dim_cities') }}\n",
        encoding="utf-8",
    )
    (project / "models" / "marts" / "cities_as_of_report_month_count.sql").write_text(
        "select count(*) as cities from {{ ref('cities_as_of_report_month') }}\n", encoding="utf-8"
    )
    landing = make_landing(tmp_path / "landing", {})
    settings = settings_for(landing, tmp_path / "warehouse.duckdb")
    result = run_dbt(settings, ["parse"], project_dir=project)
    assert result.success
    selection = month_selection(result.result)
    assert "cities_as_of_report_month+" in selection
    listed = run_dbt(
        settings,
        ["ls", "--resource-type", "model", "--select", *selection, "--output", "name"],
        project_dir=project,
    )
    assert listed.success
    assert {"cities_as_of_report_month", "cities_as_of_report_month_count"} <= set(listed.result)
    assert "dim_cities" not in set(listed.result)
