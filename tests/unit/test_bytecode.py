"""The virtualenv is installed compiled (`uv pip install --compile-bytecode` in the Makefile). Where
PYTHONDONTWRITEBYTECODE is set, as on CI and in the images, Python writes no .pyc of its own, so without this
every `smartcity` process, Airflow task and test subprocess compiled Airflow, dbt and Great Expectations from
source again: about 7 s each time, a quarter of a small run."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

# The libraries whose import is most of a pipeline process's start-up.
HEAVY = ["airflow", "dbt", "great_expectations", "pandas", "sqlalchemy", "matplotlib", "jinja2"]


@pytest.mark.parametrize("package", HEAVY)
def test_every_module_of_the_heavy_libraries_has_its_bytecode(package):
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.origin is not None
    sources = [p for p in Path(spec.origin).parent.rglob("*.py") if "__pycache__" not in p.parts]
    missing = [p for p in sources if not Path(importlib.util.cache_from_source(str(p))).is_file()]
    assert not missing, (
        f"{len(missing)} of {len(sources)} modules of {package} have no .pyc (e.g. {missing[:3]}): "
        "reinstall with `rm .venv/.installed && make setup` (the Makefile installs with --compile-bytecode)"
    )
