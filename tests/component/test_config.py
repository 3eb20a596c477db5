"""Configuration (contract section 1): defaults, the state folder, SMARTCITY_MONTH,
SMARTCITY_INDEX_WEIGHTS and SMARTCITY_LANDING, checked through `load_settings`, `open_landing` and
`plan_run` on real folders."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from smartcity.config import ConfigError, load_settings
from smartcity.ingestion.sources import open_landing
from smartcity.pipeline import plan_run
from smartcity.state import ensure_state
from tests.component.landing import HEADER, make_landing

REPO = Path(__file__).resolve().parents[2]
# The contract's pillars, written out here rather than taken from the code under test.
PILLARS = {"progress", "schedule", "plan_quality", "reporting", "coverage"}


def test_defaults_are_the_sample_landing_and_the_data_warehouse():
    settings = load_settings({})
    assert Path(settings.landing) == REPO / "include" / "sample_landing"
    assert settings.warehouse == REPO / "data" / "warehouse.duckdb"
    assert settings.month is None
    assert settings.index_weights is None
    # Blank values count as unset.
    assert (
        load_settings({"SMARTCITY_LANDING": " ", "SMARTCITY_WAREHOUSE": "", "SMARTCITY_MONTH": " "})
        == settings
    )


def test_the_month_defaults_to_the_latest_month_of_the_landing_area(tmp_path):
    landing = make_landing(
        tmp_path / "landing",
        {m: {"a.csv": HEADER} for m in ("2023-12", "2024-01", "2024-02")},
    )
    settings = load_settings(
        {"SMARTCITY_LANDING": str(landing), "SMARTCITY_WAREHOUSE": str(tmp_path / "w.duckdb")}
    )
    plan = plan_run(settings, "run-1")
    assert plan.target_month == "2024-02"
    assert plan.months == ["2023-12", "2024-01", "2024-02"]
    asked = load_settings({**settings.as_env(), "SMARTCITY_MONTH": "2024-01"})
    assert plan_run(asked, "run-2").months == ["2023-12", "2024-01"]


def test_the_state_folder_is_derived_from_the_warehouse_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings({"SMARTCITY_WAREHOUSE": "out/w.duckdb"})
    assert settings.warehouse == tmp_path / "out" / "w.duckdb"
    assert settings.state_dir.parent == tmp_path / "out"
    assert settings.state_dir != settings.warehouse
    assert settings.pipeline_db.is_relative_to(settings.state_dir)
    assert settings.received_dir.is_relative_to(settings.state_dir)
    # The same warehouse written two ways is the same state.
    assert load_settings({"SMARTCITY_WAREHOUSE": str(tmp_path / "out" / "w.duckdb")}).state_dir == (
        settings.state_dir
    )


def test_two_warehouse_paths_never_share_state(tmp_path):
    warehouses = [
        tmp_path / "a" / "w.duckdb",
        tmp_path / "b" / "w.duckdb",
        tmp_path / "a" / "x.duckdb",
        tmp_path / "a" / "w.db",
    ]
    all_settings = [load_settings({"SMARTCITY_WAREHOUSE": str(w)}) for w in warehouses]
    state_dirs = [s.state_dir for s in all_settings]
    assert len(set(state_dirs)) == len(warehouses)
    for one in state_dirs:
        for other in state_dirs:
            assert one == other or not one.is_relative_to(other)
    for settings in all_settings:
        ensure_state(settings)
    builds = [s.pipeline_db for s in all_settings]
    assert all(b.is_file() for b in builds)
    assert len(set(builds)) == len(warehouses)
    assert not any(w.exists() for w in warehouses)  # state is not the published file


def test_settings_round_trip_through_the_environment(tmp_path):
    settings = load_settings(
        {
            "SMARTCITY_LANDING": str(tmp_path),
            "SMARTCITY_WAREHOUSE": str(tmp_path / "w.duckdb"),
            "SMARTCITY_MONTH": "2024-03",
            "SMARTCITY_INDEX_WEIGHTS": '{"progress": 2, "coverage": 1}',
        }
    )
    assert load_settings(settings.as_env()) == settings


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2024-03", date(2024, 3, 1)), (" 2023-12 ", date(2023, 12, 1)), ("2024-01", date(2024, 1, 1))],
)
def test_month_setting_is_parsed(value, expected):
    assert load_settings({"SMARTCITY_MONTH": value}).month == expected


@pytest.mark.parametrize("value", ["2024-13", "2567-03", "March", "2024-00", "2024-3", "03/2024"])
def test_a_bad_month_setting_is_a_clear_config_error(value):
    with pytest.raises(ConfigError) as error:
        load_settings({"SMARTCITY_MONTH": value})
    message = str(error.value)
    assert "SMARTCITY_MONTH" in message
    assert value in message
    assert "YYYY-MM" in message


def test_index_weights_name_one_pillar_and_the_others_get_zero():
    weights = load_settings({"SMARTCITY_INDEX_WEIGHTS": '{"progress": 1}'}).index_weights
    assert set(weights) == PILLARS
    assert weights["progress"] == 1
    assert all(weights[p] == 0 for p in PILLARS - {"progress"})


def test_index_weights_keep_the_given_values():
    weights = load_settings({"SMARTCITY_INDEX_WEIGHTS": '{"schedule": 0.25, "reporting": 3}'}).index_weights
    assert weights == {p: {"schedule": 0.25, "reporting": 3.0}.get(p, 0.0) for p in PILLARS}


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ('{"speed": 1}', "speed"),
        # Merged into progress in methodology version 2 (docs/index-methodology.md, step 4).
        ('{"investment": 1}', "investment"),
        ('{"progress": 1, "happiness": 2}', "happiness"),
        ('{"progress": -1}', "progress"),
        ('{"progress": "high"}', "progress"),
        ('{"progress": true}', "progress"),
        ("progress=1", "JSON"),
        ('{"progress": 1', "JSON"),
        ("[1, 2]", "object"),
        ('{"progress": 0}', "above 0"),
    ],
)
def test_bad_index_weights_are_a_config_error_naming_the_variable(value, named):
    with pytest.raises(ConfigError) as error:
        load_settings({"SMARTCITY_INDEX_WEIGHTS": value})
    assert "SMARTCITY_INDEX_WEIGHTS" in str(error.value)
    assert named in str(error.value)


def test_a_landing_folder_that_does_not_exist_is_a_config_error(tmp_path):
    missing = tmp_path / "no-such-landing"
    with pytest.raises(ConfigError) as error:
        open_landing(str(missing))
    assert "SMARTCITY_LANDING" in str(error.value)
    assert str(missing) in str(error.value)
    settings = load_settings(
        {"SMARTCITY_LANDING": str(missing), "SMARTCITY_WAREHOUSE": str(tmp_path / "w.duckdb")}
    )
    with pytest.raises(ConfigError):
        plan_run(settings, "run-1")
    assert not settings.state_dir.exists()  # nothing was created for a run that could not start


def test_a_landing_folder_without_the_city_registry_is_a_config_error(tmp_path):
    (tmp_path / "submissions" / "2024-03").mkdir(parents=True)
    with pytest.raises(ConfigError) as error:
        open_landing(str(tmp_path))
    assert "cities.csv" in str(error.value)


def test_a_file_uri_names_a_local_landing_folder(tmp_path):
    landing = make_landing(tmp_path / "my landing", {"2024-02": {"a.csv": HEADER}})
    area = open_landing(landing.as_uri())
    assert area.submission_months() == [date(2024, 2, 1)]
    assert [f.relative_path for f in area.submission_files(date(2024, 2, 1))] == ["submissions/2024-02/a.csv"]
