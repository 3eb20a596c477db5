"""Lineage goes forward only: staging reads sources, intermediate reads staging, intermediate, seeds and the
history snapshots, and nothing before the published layers (marts, dq, bi) reads one of them."""

from __future__ import annotations

import re
from pathlib import Path

from smartcity.config import DBT_PROJECT_DIR

MODELS = DBT_PROJECT_DIR / "models"
REF = re.compile(r"""\bref\(\s*['"](\w+)['"]\s*\)""")


def _models(folder: str) -> dict[str, Path]:
    return {path.stem: path for path in (MODELS / folder).rglob("*") if path.suffix in (".sql", ".py")}


def _names(folder: str) -> set[str]:
    return set(_models(folder))


def test_intermediate_models_read_only_staging_intermediate_seeds_and_snapshots():
    allowed = _names("staging") | _names("intermediate")
    allowed |= {path.stem for path in (DBT_PROJECT_DIR / "seeds").glob("*.csv")}
    allowed |= set(
        re.findall(r"- name: (\w+)", (DBT_PROJECT_DIR / "snapshots" / "_snapshots.yml").read_text())
    )
    published = _names("marts") | _names("dq") | _names("bi")
    assert published and not (published & allowed)
    for name, path in _models("intermediate").items():
        for ref in REF.findall(path.read_text(encoding="utf-8")):
            assert ref in allowed, f"{name} reads {ref}, a published model: move the logic to intermediate"


def test_staging_models_read_sources_only():
    for name, path in _models("staging").items():
        assert not REF.findall(path.read_text(encoding="utf-8")), name
