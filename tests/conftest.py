"""How the suite is shared between the pytest-xdist workers (`--dist loadgroup` in the Makefile): each test
module goes to one worker whole, so its module fixtures (often whole pipeline runs) run once; and every module
that reads the shipped sample's run (the session fixture `sample_run`, tests/e2e/conftest.py) goes to the same
worker, so the sample is run through Airflow once per `make test` rather than once per worker."""

from __future__ import annotations

import pytest

SAMPLE_GROUP = "sample_run"


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist turns the groups into node ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(True for _ in item.iter_markers("xdist_group")):
            continue
        module = item.nodeid.split("::")[0].removeprefix("tests/").removesuffix(".py")
        group = SAMPLE_GROUP if "sample_run" in getattr(item, "fixturenames", ()) else module
        item.add_marker(pytest.mark.xdist_group(group))
