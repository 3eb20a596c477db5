"""The index's methodology version, recorded with every published score (history.city_index_history).

A change to how scores, ranks or bands are computed must bump the version, and cannot be forgotten: the
ledger below pairs each version with the fingerprint of the code and settings that make the index, and
tests/unit/test_index_methodology.py fails as soon as the fingerprint of the working tree differs from the
last entry's. Formatting, comments and docstrings do not count (Python is compared as its syntax tree, SQL
without comments and with whitespace collapsed), so only a change of meaning asks for a new version. Nor
does how dbt stores a model (its materialization and incremental strategy: the SQL models' config block, the
Python models' storage settings), which changes the speed of a build, never a figure: the incremental tests
prove every incremental model equal to a full rebuild.

A SMARTCITY_INDEX_WEIGHTS override is a methodology of its own: its version carries the override's digest.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from smartcity.index.pillars import DEFAULT_WEIGHTS, PILLARS

REPO_ROOT = Path(__file__).resolve().parents[3]

# (version, fingerprint, what changed). Append a line for a new version; never edit a published one.
METHODOLOGY_VERSIONS: tuple[tuple[str, str | None, str], ...] = (
    (
        "1",
        None,
        "Six pillars; the latest plan assessment for every month; the Monte Carlo over the weights only, "
        "its band widened to contain the rank.",
    ),
    (
        "2",
        # Computed again when storage settings stopped counting (7 Dec 2026): the code of version 2 as
        # released gives this same digest.
        "05a5ea821f113e5e2d8afc98aeb155cd8dc3e9ddebbd335e7dc5bcfee8f93e6d",
        "Point in time; ranked / not ranked; cancelled projects at 0 %; investment merged into progress; "
        "weights calibrated on effective weights; Monte Carlo over every choice with Sobol indices; peer "
        "groups first.",
    ),
)
METHODOLOGY_VERSION = METHODOLOGY_VERSIONS[-1][0]

# What makes the scores, ranks and bands of marts.city_index_monthly (the audit and explanation marts read
# them but change none of them).
METHODOLOGY_FILES = (
    "dbt_project/macros/index_weights.sql",
    "dbt_project/models/intermediate/index/int_city_peer_groups_monthly.sql",
    "dbt_project/models/intermediate/index/int_city_plan_quality_monthly.sql",
    "dbt_project/models/intermediate/index/int_city_index_pillars.sql",
    "dbt_project/models/intermediate/index/int_city_index_rank_bands.py",
    "dbt_project/models/intermediate/index/int_index_weights.sql",
    "dbt_project/models/marts/index/city_index_monthly.sql",
    "include/smartcity/index/pillars.py",
    "include/smartcity/index/uncertainty.py",
    "include/smartcity/index/uncertainty_inputs.py",
)
# The dbt settings of the index that are not methodology: the version itself, and the one-at-a-time
# sensitivity table's step (a report, not an input of any score or rank).
_NOT_METHODOLOGY_VARS = {"index_methodology_version", "index_sensitivity_step"}


def methodology_version(weights_override: Mapping[str, float] | None = None) -> str:
    """The version of the index a build publishes: the declared one, or with an override of the default
    weights, `<version>+weights-<digest of the normalised weights>`."""
    if weights_override is None:
        return METHODOLOGY_VERSION
    given = _normalised(weights_override)
    if np.allclose(given, _normalised(DEFAULT_WEIGHTS), rtol=0, atol=1e-12):
        return METHODOLOGY_VERSION
    digest = hashlib.sha256(json.dumps([round(w, 12) for w in given]).encode()).hexdigest()[:10]
    return f"{METHODOLOGY_VERSION}+weights-{digest}"


def _normalised(weights: Mapping[str, float]) -> list[float]:
    vector = np.array([float(weights.get(p, 0.0)) for p in PILLARS])
    return (vector / vector.sum()).tolist()


def fingerprint(root: Path = REPO_ROOT) -> str:
    """A digest of the meaning of the index's code and settings (see the module's docstring)."""
    import yaml

    digest = hashlib.sha256()
    for name in METHODOLOGY_FILES:
        text = (root / name).read_text(encoding="utf-8")
        digest.update(name.encode())
        digest.update((_python_meaning(text) if name.endswith(".py") else _sql_meaning(text)).encode())
    variables = yaml.safe_load((root / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    settings = {
        name: value
        for name, value in variables.items()
        if name.startswith("index_") and name not in _NOT_METHODOLOGY_VARS
    }
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()


# dbt.config(...) settings of a Python model that say how dbt stores it, not what it computes.
_STORAGE_SETTINGS = {"materialized", "incremental_strategy", "unique_key", "on_schema_change", "month_column"}


def _python_meaning(source: str) -> str:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "config"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "dbt"
        ):
            node.keywords = [k for k in node.keywords if k.arg not in _STORAGE_SETTINGS]
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body[0] = ast.Pass()  # a docstring
    return ast.dump(tree, include_attributes=False)


def _sql_meaning(source: str) -> str:
    without_comments = re.sub(r"\{#.*?#\}", " ", source, flags=re.DOTALL)
    without_comments = re.sub(r"--[^\n]*", " ", without_comments)
    without_comments = re.sub(r"\{\{\s*config\(.*?\)\s*\}\}", " ", without_comments, flags=re.DOTALL)
    return " ".join(without_comments.split())
