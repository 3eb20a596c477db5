"""`smartcity run` starts Airflow's CLI through smartcity.airflow_command: the same command and exit codes,
without Python's last garbage collection at exit (seconds at national scale, after the run has finished)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import airflow

# A run's leftovers as the collector sees them: a reference cycle whose finalizer leaves a mark.
LEFTOVERS = textwrap.dedent(
    """
    import sys
    import airflow.__main__

    class Leftover:
        def __del__(self):
            open(sys.argv[1], "w").close()

    def tasks():
        leftover = Leftover()
        leftover.itself = leftover  # only the cyclic collector can free it
        return 0

    airflow.__main__.main = tasks
    """
)


def _run(code: str, *args: str, env_home) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"AIRFLOW_HOME": str(env_home), "PATH": "/usr/bin:/bin"},
    )


def test_the_command_is_airflows_own_with_its_exit_codes(tmp_path):
    def command(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "smartcity.airflow_command", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env={"AIRFLOW_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        )

    version = command("version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == airflow.__version__
    unknown = command("no-such-command")
    assert unknown.returncode == 2
    assert "airflow" in unknown.stderr and "no-such-command" in unknown.stderr


def test_what_the_tasks_leave_in_cycles_is_not_collected_again_at_exit(tmp_path):
    mark = tmp_path / "collected"
    frozen = _run(
        LEFTOVERS + "import smartcity.airflow_command\nsys.exit(smartcity.airflow_command.main())\n",
        str(mark),
        env_home=tmp_path,
    )
    assert frozen.returncode == 0, frozen.stderr
    assert not mark.exists()
    # The same leftovers, Airflow's CLI started as it is: the final collection finds and finalises them.
    plain = _run(LEFTOVERS + "sys.exit(airflow.__main__.main())\n", str(mark), env_home=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert mark.exists()
