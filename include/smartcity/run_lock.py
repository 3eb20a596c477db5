"""One run at a time per warehouse: an advisory lock file in its state folder, `<state>/run.lock`.

The build database allows one writer, and two runs interleaving their steps would each see half of the
other's work. `smartcity run` takes the lock for the whole run and says at once, in one sentence, when another
run holds it; the DAG's tasks it starts run in child processes and recognise the lock as their parent's by the
token it hands them (SMARTCITY_RUN_LOCK_TOKEN). Tasks started by a scheduler take the lock for the length of
their step, waiting a bounded time for a `smartcity run` to finish. The lock is an flock: the system releases
it when its holder dies, even by SIGKILL, so a killed run never leaves it stuck.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from smartcity.config import Settings
from smartcity.errors import PipelineError, storage_advice

log = logging.getLogger(__name__)

TOKEN_VARIABLE = "SMARTCITY_RUN_LOCK_TOKEN"
# How long a scheduled task waits for another run (a `make run` by hand, say) before it fails and Airflow
# retries it later.
TASK_WAIT_SECONDS = 600.0
_POLL_SECONDS = 1.0


class RunLocked(PipelineError):
    """Another run holds the warehouse; the message names it and what to do."""


def lock_path(settings: Settings) -> Path:
    return settings.state_dir / "run.lock"


def _open(path: Path):
    """The lock file, or None when the state folder cannot be written (read-only, full): then no run can
    write the state either, there is nothing to serialise, and the step that writes says what to do."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Unbuffered: a write the disk refuses fails there, never again when the file is closed.
        return path.open("a+b", buffering=0)
    except OSError as error:
        if storage_advice(error, path.parent) is None:
            raise
        log.warning("the run lock %s cannot be created (%s); going on without it", path, error.strerror)
        return None


def _holder(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}


def _describe(holder: dict) -> str:
    if not holder:
        return "another run"
    return (
        f"another run ({holder.get('command', 'a run')}, pid {holder.get('pid')} on {holder.get('host')}, "
        f"started {holder.get('started_at')})"
    )


def _describe_holder(handle, text: str) -> None:
    """Who holds the lock, for the message a second run prints; only a description, so a full disk that
    refuses it does not stop the run (the state's own writes then say what to do)."""
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(text.encode("utf-8"))
    except OSError as error:
        log.debug("could not describe the run lock's holder: %s", error)


def _try_lock(handle) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextmanager
def run_lock(settings: Settings, command: str, wait_seconds: float = 0.0) -> Iterator[str]:
    """Hold the warehouse's run lock; yields the token children pass on. With `wait_seconds`, wait that long
    for the holder to finish; then (or at once) raise RunLocked naming who holds it."""
    path = lock_path(settings)
    handle = _open(path)
    if handle is None:
        yield ""
        return
    try:
        deadline = time.monotonic() + wait_seconds
        announced = False
        while not _try_lock(handle):
            if time.monotonic() >= deadline:
                raise RunLocked(
                    f"{_describe(_holder(path))} is processing the warehouse {settings.warehouse}; only one "
                    "run at a time can: wait for it to finish, then run again"
                )
            if not announced:
                log.info("waiting for %s to finish (up to %.0f s)", _describe(_holder(path)), wait_seconds)
                announced = True
            time.sleep(_POLL_SECONDS)
        token = uuid.uuid4().hex
        holder = {
            "token": token,
            "command": command,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        _describe_holder(handle, json.dumps(holder))
        try:
            yield token
        finally:
            _describe_holder(handle, "")
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


@contextmanager
def step_lock(settings: Settings, step: str) -> Iterator[None]:
    """The lock for one step of the DAG: already held when our parent `smartcity run` holds it (its token is
    in our environment), else taken for the step, waiting up to TASK_WAIT_SECONDS."""
    token = os.environ.get(TOKEN_VARIABLE)
    if token and _holder(lock_path(settings)).get("token") == token:
        yield
        return
    with run_lock(settings, f"the DAG's {step} step", wait_seconds=TASK_WAIT_SECONDS):
        yield
