"""How the suite shares the two cores (pytest-xdist, `--dist loadgroup` in the Makefile)."""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)  # before xdist turns the groups into node ids
def pytest_collection_modifyitems(config, items):
    # A module's tests stay on one worker, so its module-scoped fixtures (a landing area run through the
    # pipeline, say) run once; every test that reads the shared sample run (tests/e2e/conftest.py) goes to one
    # worker too, so the sample goes through Airflow once, not once per worker.
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        if "sample_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("sample_run"))
        else:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))
