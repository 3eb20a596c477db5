"""scripts/apt-install, which `make test` uses for Chromium and PostgreSQL: it waits for a package lock held
by another process instead of failing. Run against a stand-in apt-get on PATH that reports the lock held."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "apt-install"
FAKE_APT = """#!/usr/bin/env bash
echo "$@" >> "{log}"
count=$(wc -l < "{log}")
if [ "$count" -le {busy} ]; then
    echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)" >&2
    exit 100
fi
exit {final}
"""


def _run(tmp_path: Path, busy: int, final: int = 0) -> tuple[subprocess.CompletedProcess, list[str]]:
    log = tmp_path / "calls.log"
    fake = tmp_path / "bin" / "apt-get"
    fake.parent.mkdir()
    fake.write_text(FAKE_APT.format(log=log, busy=busy, final=final), encoding="utf-8")
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}", "APT_LOCK_POLL_SECONDS": "0.1"}
    run = subprocess.run([str(SCRIPT), "chromium"], env=env, capture_output=True, text=True, timeout=120)
    return run, log.read_text(encoding="utf-8").splitlines()


def test_a_held_lock_is_waited_for_then_the_install_goes_on(tmp_path):
    run, calls = _run(tmp_path, busy=2)
    assert run.returncode == 0, run.stderr
    assert "waiting" in run.stderr
    assert [call.split()[2] for call in calls] == ["update", "update", "update", "install"]
    assert calls[-1].endswith("chromium")
    assert all("DPkg::Lock::Timeout=600" in call for call in calls)


def test_any_other_failure_is_reported_at_once(tmp_path):
    run, calls = _run(tmp_path, busy=0, final=1)
    assert run.returncode == 1 and len(calls) == 1
