"""The Superset import bundle (deploy/superset/bundle/) is what build_bundle.py writes, and holds together:
every chart's dataset and every dashboard's chart is in it, every title is Thai and English, every chart has
the saved query the chart data API runs, no table renders a value as HTML, and the database is the locked-down
connection of bootstrap.py. Importing it into a real Superset: tests/deploy/test_superset.py."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SUPERSET = REPO / "deploy" / "superset"
THAI = re.compile(r"[\u0e00-\u0e7f]")


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, SUPERSET / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _load(kind: str) -> list[dict]:
    return [
        yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted((SUPERSET / "bundle" / kind).rglob("*.yaml"))
    ]


def test_the_committed_yaml_is_what_the_script_writes():
    files = _module("build_bundle").bundle_files()
    on_disk = {
        str(p.relative_to(SUPERSET / "bundle")): p.read_text(encoding="utf-8")
        for p in (SUPERSET / "bundle").rglob("*.yaml")
    }
    assert on_disk == files, "run `python deploy/superset/build_bundle.py` and commit the bundle"


def test_every_reference_resolves_and_every_title_is_bilingual():
    (database,) = _load("databases")
    datasets = {d["uuid"]: d for d in _load("datasets")}
    charts = {c["uuid"]: c for c in _load("charts")}
    dashboards = _load("dashboards")
    assert all(d["database_uuid"] == database["uuid"] for d in datasets.values())
    assert {c["dataset_uuid"] for c in charts.values()} <= set(datasets)
    assert len(dashboards) == 3
    used = set()
    for dashboard in dashboards:
        assert THAI.search(dashboard["dashboard_title"]) and " · " in dashboard["dashboard_title"]
        for item in dashboard["position"].values():
            if isinstance(item, dict) and item.get("type") == "CHART":
                assert item["meta"]["uuid"] in charts
                used.add(item["meta"]["uuid"])
    assert used == set(charts)  # no chart left out of the dashboards
    for chart in charts.values():
        assert THAI.search(chart["slice_name"]) and re.search(r"[A-Za-z]", chart["slice_name"])
        context = json.loads(chart["query_context"])
        assert context["queries"] and context["form_data"]["viz_type"] == chart["viz_type"]
        if chart["viz_type"] == "table":
            assert chart["params"]["allow_render_html"] is False  # values a city sent stay text
    for dataset in datasets.values():
        for column in dataset["columns"]:
            assert THAI.search(column["verbose_name"]), (dataset["table_name"], column["column_name"])


def test_the_database_is_the_locked_down_connection_of_the_bootstrap():
    (database,) = _load("databases")
    bootstrap = _module("bootstrap")
    assert database["extra"]["engine_params"] == bootstrap.READ_ONLY_EXTRA["engine_params"]
    assert database["allow_dml"] is False and database["allow_file_upload"] is False
