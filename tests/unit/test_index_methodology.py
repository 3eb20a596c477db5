"""The index's pillars are written once and its methodology version cannot be forgotten.

The fingerprint test fails whenever the code or settings that make the index's scores, ranks or bands change
meaning without a new entry in smartcity.index.methodology.METHODOLOGY_VERSIONS: that is how a methodology
change always bumps the version recorded with every published score (history.city_index_history)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from smartcity.config import INDEX_PILLARS
from smartcity.index.methodology import (
    METHODOLOGY_FILES,
    METHODOLOGY_VERSION,
    METHODOLOGY_VERSIONS,
    fingerprint,
    methodology_version,
)
from smartcity.index.pillars import DEFAULT_WEIGHTS, INTENDED_IMPORTANCE, PILLARS
from smartcity.reporting.labels import INDEX_PILLAR_LABELS

REPO = Path(__file__).resolve().parents[2]
DBT_VARS = yaml.safe_load((REPO / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]


def test_the_index_code_has_not_changed_since_the_last_methodology_version():
    current = fingerprint()
    version, declared, _ = METHODOLOGY_VERSIONS[-1]
    assert current == declared, (
        "The index's code or settings changed meaning since methodology version "
        f"{version}: add a new version to METHODOLOGY_VERSIONS in include/smartcity/index/methodology.py "
        f"with fingerprint {current!r} (and say what changed in docs/index-methodology.md)."
    )


def test_every_version_is_new_and_has_its_own_fingerprint():
    versions = [v for v, _, _ in METHODOLOGY_VERSIONS]
    fingerprints = [f for _, f, _ in METHODOLOGY_VERSIONS if f is not None]
    assert versions == sorted(set(versions), key=versions.index) and len(set(versions)) == len(versions)
    assert len(set(fingerprints)) == len(fingerprints)
    assert [int(v) for v in versions] == list(range(1, len(versions) + 1))
    assert METHODOLOGY_VERSION == versions[-1] == DBT_VARS["index_methodology_version"]


def copy_of_methodology(tmp_path: Path) -> Path:
    for name in [*METHODOLOGY_FILES, "dbt_project/dbt_project.yml"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, tmp_path / name)
    return tmp_path


def test_a_change_of_meaning_changes_the_fingerprint_and_a_comment_or_layout_does_not(tmp_path):
    root = copy_of_methodology(tmp_path)
    original = fingerprint(root)
    assert original == fingerprint()

    sql = root / "dbt_project/models/intermediate/index/int_city_index_pillars.sql"
    text = sql.read_text(encoding="utf-8")
    sql.write_text("-- a new comment\n" + text.replace("    select", "  select"), encoding="utf-8")
    python = root / "include/smartcity/index/uncertainty.py"
    source = python.read_text(encoding="utf-8")
    python.write_text(source.replace('"""', '"""Reworded. ', 1) + "\n# a comment\n", encoding="utf-8")
    assert fingerprint(root) == original

    python.write_text(source.replace("_TIE_DECIMALS = 9", "_TIE_DECIMALS = 8"), encoding="utf-8")
    assert fingerprint(root) != original
    python.write_text(source, encoding="utf-8")
    settings = root / "dbt_project/dbt_project.yml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("index_mc_seed: 20240423", "index_mc_seed: 1"),
        encoding="utf-8",
    )
    assert fingerprint(root) != original


def test_how_dbt_stores_a_model_is_not_its_meaning_and_what_it_computes_is(tmp_path):
    """Changing the incremental strategy of the index's models (SQL and Python) keeps the fingerprint; a
    change of what a Python model passes the computation does not."""
    root = copy_of_methodology(tmp_path)
    original = fingerprint(root)
    sql = root / "dbt_project/models/marts/index/city_index_monthly.sql"
    text = sql.read_text(encoding="utf-8")
    assert "incremental_strategy='replace_months'" in text
    sql.write_text(
        text.replace(
            "incremental_strategy='replace_months',",
            "incremental_strategy='delete+insert',\n    unique_key=['city_code', 'month'],",
        ),
        encoding="utf-8",
    )
    python = root / "dbt_project/models/intermediate/index/int_city_index_rank_bands.py"
    source = python.read_text(encoding="utf-8")
    assert 'incremental_strategy="replace_months",' in source
    python.write_text(
        source.replace(
            'incremental_strategy="replace_months",',
            'incremental_strategy="delete+insert",\n        unique_key=["city_code", "month"],',
        ),
        encoding="utf-8",
    )
    assert fingerprint(root) == original

    sql.write_text(text.replace("interval 2 month", "interval 3 month", 1), encoding="utf-8")
    assert fingerprint(root) != original
    sql.write_text(text, encoding="utf-8")
    python.write_text(source.replace("dbt.is_incremental", "not dbt.is_incremental", 1), encoding="utf-8")
    assert fingerprint(root) != original


def test_a_weights_override_is_a_version_of_its_own():
    assert methodology_version(None) == METHODOLOGY_VERSION
    assert methodology_version(dict(DEFAULT_WEIGHTS)) == METHODOLOGY_VERSION
    doubled = {pillar: 2 * weight for pillar, weight in DEFAULT_WEIGHTS.items()}
    assert methodology_version(doubled) == METHODOLOGY_VERSION  # the same weights once normalised
    progress_only = methodology_version({"progress": 1})
    assert re.fullmatch(rf"{METHODOLOGY_VERSION}\+weights-[0-9a-f]{{10}}", progress_only)
    assert progress_only == methodology_version({"progress": 3})
    assert progress_only != methodology_version({"progress": 1, "coverage": 1})


def test_the_pillars_are_listed_once_and_everything_else_agrees():
    assert tuple(DBT_VARS["index_pillars"]) == PILLARS == INDEX_PILLARS
    assert DBT_VARS["index_weights"] == dict(DEFAULT_WEIGHTS)
    assert DBT_VARS["index_intended_importance"] == dict(INTENDED_IMPORTANCE)
    assert sum(DEFAULT_WEIGHTS.values()) == sum(INTENDED_IMPORTANCE.values()) == 1
    assert tuple(INDEX_PILLAR_LABELS) == PILLARS
    weights_sql = (REPO / "dbt_project/models/intermediate/index/int_index_weights.sql").read_text(
        encoding="utf-8"
    )
    assert tuple(re.findall(r"\('(\w+)', \d+, '", weights_sql)) == PILLARS
    docs = yaml.safe_load((REPO / "dbt_project/models/marts/index/_index.yml").read_text(encoding="utf-8"))
    index = next(m for m in docs["models"] if m["name"] == "city_index_monthly")
    columns = [c["name"] for c in index["columns"]]
    assert columns[columns.index("peer_group") + 1 : columns.index("index_score")] == list(PILLARS)
