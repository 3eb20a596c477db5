"""What makes a run rebuild the marts with no new month: a change to anything the figures are built from."""

from __future__ import annotations

import shutil

import pytest

from smartcity import planning
from smartcity.config import DBT_PROJECT_DIR, EXPECTATIONS_DIR
from smartcity.ingestion.sources import open_landing
from tests.component.landing import HEADER, make_landing, settings_for


@pytest.fixture
def copies(tmp_path, monkeypatch):
    """The fingerprinted folders copied, so the test can change them."""
    folders = {}
    for name, source in (
        ("DBT_PROJECT_DIR", DBT_PROJECT_DIR),
        ("EXPECTATIONS_DIR", EXPECTATIONS_DIR),
        ("INDEX_CODE_DIR", planning.INDEX_CODE_DIR),
    ):
        target = tmp_path / name
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("target", "logs", "__pycache__"))
        monkeypatch.setattr(planning, name, target)
        folders[name] = target
    landing = make_landing(tmp_path / "landing", {"2024-01": {"a.csv": HEADER}})
    settings = settings_for(landing, tmp_path / "w.duckdb")

    def fingerprint() -> str:
        return planning.build_fingerprint(open_landing(str(landing), tmp_path / "incoming"), settings)

    return folders, fingerprint


@pytest.mark.parametrize(
    ("folder", "path"),
    [
        ("DBT_PROJECT_DIR", "models/intermediate/index/int_city_index_rank_bands.py"),
        ("DBT_PROJECT_DIR", "models/marts/city_progress_monthly.sql"),
        ("EXPECTATIONS_DIR", "submission_rows.json"),
        ("INDEX_CODE_DIR", "uncertainty.py"),
    ],
)
def test_a_change_to_a_model_a_suite_or_the_index_code_changes_the_fingerprint(copies, folder, path):
    folders, fingerprint = copies
    before = fingerprint()
    assert fingerprint() == before
    changed = folders[folder] / path
    changed.write_text(changed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert fingerprint() != before
