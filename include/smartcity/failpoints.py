"""Named failpoints: a testing hook that crashes a run at an exact point, to prove it recovers.

A standard technique (the Rust `fail` crate, FoundationDB's buggify): the code marks the points where a
crash would hurt most, e.g. `failpoint("publish.after_copy")`. A point does nothing unless the environment
variable SMARTCITY_FAILPOINT names it; then the process kills its own process group with SIGKILL, as a power
cut, an OOM kill or `kill -9` of the worker would: no exception handler, `finally` block or atexit hook runs.
`NAME@N` fires at the N-th time the point is reached in this process (default: the first).

This is a testing hook, not a setting (so it is read here, not in config.py): nothing in production sets
it. A test starts the run in a session of its own (`start_new_session=True`), so the kill reaches that run
only (with `smartcity run`, the CLI, `airflow dags test` and the task together).

The points (tests/component/test_faults.py kills runs at them and checks what the rerun publishes):
- `pull.file_loaded`: after each file is registered and loaded, its batch maybe not committed (ingestion.pull;
  tests/component/test_pull_batches.py)
- `pull.done`: every month pulled, nothing validated yet (pipeline.run_pull)
- `validate.month_done`: after each landing month's outcome is committed (pipeline.run_validate)
- `transform.model_built`: after each dbt model is built, the others still to come (transformation.dbt)
- `publish.start`: the marts checked, nothing written yet (pipeline.run_publish)
- `publish.after_copy`: the new snapshot written beside the warehouse, not swapped in (publication.publish)
- `publish.after_replace`: the snapshot swapped in, its Parquet copy not yet (publication.publish)
- `publish.before_record`: published, but the months not yet recorded as processed (pipeline.run_publish)
"""

from __future__ import annotations

import os
import signal
import sys
import threading

ENVIRONMENT_VARIABLE = "SMARTCITY_FAILPOINT"

_hits: dict[str, int] = {}
_lock = threading.Lock()  # dbt reports finished models from its worker threads


def armed(prefix: str) -> bool:
    """Whether the failpoint set starts with `prefix`: lets a caller skip setting up a hook nobody needs."""
    wanted = os.environ.get(ENVIRONMENT_VARIABLE, "")
    return bool(wanted) and wanted.startswith(prefix)


def failpoint(name: str) -> None:
    """Kill this process group with SIGKILL when SMARTCITY_FAILPOINT is `name` (`name@N`: at the N-th hit)."""
    wanted = os.environ.get(ENVIRONMENT_VARIABLE)
    if not wanted:
        return
    point, _, nth = wanted.partition("@")
    if point != name:
        return
    with _lock:
        _hits[name] = _hits.get(name, 0) + 1
        if _hits[name] != (int(nth) if nth else 1):
            return
    print(f"failpoint {name} reached: killing process group {os.getpgrp()}", file=sys.stderr, flush=True)
    os.killpg(os.getpgrp(), signal.SIGKILL)
