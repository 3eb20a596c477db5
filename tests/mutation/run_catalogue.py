"""Run the catalogue of contract-rule mutants (tests/mutation/catalogue.yml) and print the kill rate.

Each mutant is applied alone to a copy of the repository (never to the working tree), then the tests named for
it run against the copy: a dbt selection (`dbt build --select`, on a copy of a build database made once from
the shipped sample, so the mutated model is rebuilt and its data and unit tests run) or pytest arguments. A
mutant is killed when its tests fail. Before any mutant runs, every selection must pass on the unmutated copy
(else a kill would mean nothing). Exit status 1 when a mutant survives or an entry is stale.

    python -m tests.mutation.run_catalogue [--only ID[,ID...]] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = Path(__file__).with_name("catalogue.yml")
BIN = Path(sys.executable).parent
TIMEOUT_SECONDS = 600  # a mutant whose tests run longer is counted as killed (it hangs: the suite notices)

# Builds the base database in the copy: pull, registry audit, validation and dbt build of the shipped sample,
# then writes the dbt variables the pipeline used, so a mutant's `dbt build` runs with the same ones.
BASE_BUILD = """
import json, sys
from pathlib import Path
from smartcity.config import load_settings
from smartcity.pipeline import STEPS, plan_run
from smartcity.transformation.dbt import TransformError, dbt_vars
out = Path(sys.argv[1])
settings = load_settings({"SMARTCITY_LANDING": "include/sample_landing",
                          "SMARTCITY_WAREHOUSE": str(out / "warehouse.duckdb")})
plan = plan_run(settings, "mutation-base")
for step in STEPS[:3]:
    step(settings, plan)
try:
    STEPS[3](settings, plan)
except TransformError as error:
    # A model or test that fails on the unmutated code is reported here; every mutant's selection must still
    # pass on the unmutated copy before the mutants run (checked next), so no kill is counted from it.
    print("WARNING: the base build is not clean: " + " ".join(str(error).split()))
# The months reach the models through pipeline.run_parameters, which the base build left in its database.
(out / "vars.json").write_text(json.dumps(dbt_vars(settings)))
(out / "db_path").write_text(str(settings.pipeline_db))
"""


@dataclass
class Mutant:
    id: str
    file: str
    original: str
    replacement: str
    rule: str = ""
    dbt: str | None = None
    dbt_exclude: str | None = None
    pytest: str | None = None
    reason: str = ""


def load(path: Path = CATALOGUE) -> tuple[list[Mutant], list[Mutant]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Mutant(**m) for m in data["mutants"]], [Mutant(**m) for m in data.get("equivalent", [])]


def stale_entries(mutants: list[Mutant], root: Path) -> list[str]:
    """Entries whose original text is not found exactly once (the code changed under the catalogue)."""
    problems = []
    for mutant in mutants:
        path = root / mutant.file
        found = path.read_text(encoding="utf-8").count(mutant.original) if path.exists() else 0
        if found != 1:
            problems.append(f"{mutant.id}: original text found {found} times in {mutant.file}")
        if (mutant.dbt is None) == (mutant.pytest is None) and not mutant.reason:
            problems.append(f"{mutant.id}: give exactly one of dbt or pytest")
    return problems


def baseline_selections(mutants: list[Mutant]) -> list[Mutant]:
    """The union of the mutants' selections, as one dbt build (plus one per exclusion) and one pytest run."""
    selections = []
    for exclude in sorted({m.dbt_exclude or "" for m in mutants if m.dbt}):
        chosen = sorted({m.dbt for m in mutants if m.dbt and (m.dbt_exclude or "") == exclude})
        selections.append(Mutant("baseline", "", "", "", dbt=" ".join(chosen), dbt_exclude=exclude or None))
    tests = sorted({part for m in mutants if m.pytest for part in m.pytest.split()})
    if tests:
        selections.append(Mutant("baseline", "", "", "", pytest=" ".join(tests)))
    return selections


class Workspace:
    """A copy of the repository's files (tracked and new, not ignored) with its own build database."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.repo = root / "repo"
        self.base = root / "base"
        self.env = {
            **os.environ,
            # The copy's code, not the editable install's: smartcity and tests import from the copy.
            "PYTHONPATH": os.pathsep.join([str(self.repo / "include"), str(self.repo)]),
            "AIRFLOW_HOME": str(root / "airflow"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            "DO_NOT_TRACK": "1",
        }
        self.vars: str | None = None
        self.db: Path | None = None

    def copy_repository(self) -> None:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO, check=True, capture_output=True,
        ).stdout.decode().split("\0")  # fmt: skip
        for name in filter(None, listed):
            source = REPO / name
            if source.is_file():
                target = self.repo / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)

    def build_base(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        run = subprocess.run(
            [sys.executable, "-c", BASE_BUILD, str(self.base)],
            cwd=self.repo, env=self.env, capture_output=True, text=True,
        )  # fmt: skip
        if run.returncode != 0:
            raise SystemExit(
                f"could not build the base database:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
            )
        for line in run.stdout.splitlines():
            if line.startswith("WARNING"):
                print("  " + line[:600], flush=True)
        self.vars = (self.base / "vars.json").read_text()
        self.db = Path((self.base / "db_path").read_text())

    def run_tests(self, mutant: Mutant) -> tuple[bool, str]:
        """(passed, last lines of output) for the mutant's selection on the copy as it is now."""
        if mutant.dbt:
            scratch = self.root / "scratch.duckdb"
            shutil.copyfile(self.db, scratch)
            project = self.repo / "dbt_project"
            command = [
                str(BIN / "dbt"), "build", "--select", mutant.dbt, "--project-dir", str(project),
                "--profiles-dir", str(project), "--target-path", str(self.root / "dbt_target"),
                "--log-path", str(self.root / "dbt_logs"), "--vars", self.vars,
            ]  # fmt: skip
            if mutant.dbt_exclude:
                command += ["--exclude", mutant.dbt_exclude]
            env = {**self.env, "SMARTCITY_PIPELINE_DB": str(scratch)}
        else:
            command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-p", "no:xdist"]
            command += mutant.pytest.split()
            env = self.env
        try:
            run = subprocess.run(
                command, cwd=self.repo, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS
            )
        except subprocess.TimeoutExpired:
            return False, f"timed out after {TIMEOUT_SECONDS} s"
        output = (run.stdout + run.stderr).strip().splitlines()
        if any("Nothing to do" in line or "no tests ran" in line for line in output):
            # A selection that selects nothing would let every mutant survive: the catalogue is wrong.
            raise SystemExit(f"{mutant.id}: the selection {mutant.dbt or mutant.pytest!r} selects nothing")
        return run.returncode == 0, "\n".join(output[-12:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated mutant ids")
    parser.add_argument("--keep", action="store_true", help="keep the workspace (printed) for inspection")
    args = parser.parse_args(argv)

    mutants, equivalent = load()
    if args.only:
        wanted = set(args.only.split(","))
        mutants = [m for m in mutants if m.id in wanted]
    problems = stale_entries(mutants + equivalent, REPO)
    if problems:
        print("The catalogue is stale:\n  " + "\n  ".join(problems))
        return 1

    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="smartcity-mutation-"))
    workspace = Workspace(root)
    try:
        workspace.copy_repository()
        if any(m.dbt for m in mutants):
            print("==> Base database: the shipped sample through pull, validate and dbt build", flush=True)
            workspace.build_base()
        print("==> Every selection on the unmutated copy (all must pass)", flush=True)
        for selection in baseline_selections(mutants):
            passed, tail = workspace.run_tests(selection)
            if not passed:
                print(f"The unmutated copy fails {selection.dbt or selection.pytest}:\n{tail}")
                return 1
        print(f"==> {len(mutants)} mutants, one at a time", flush=True)
        survivors = []
        for number, mutant in enumerate(mutants, 1):
            path = workspace.repo / mutant.file
            original = path.read_text(encoding="utf-8")
            path.write_text(original.replace(mutant.original, mutant.replacement, 1), encoding="utf-8")
            clock = time.monotonic()
            try:
                passed, tail = workspace.run_tests(mutant)
            finally:
                path.write_text(original, encoding="utf-8")
            verdict = "SURVIVED" if passed else "killed"
            print(
                f"  [{number:>2}/{len(mutants)}] {verdict:<8} {mutant.id:<40} "
                f"{time.monotonic() - clock:5.0f} s  ({mutant.dbt or mutant.pytest})",
                flush=True,
            )
            if passed:
                survivors.append(mutant)
    finally:
        if args.keep:
            print(f"workspace kept: {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    killed = len(mutants) - len(survivors)
    rate = 100 * killed / len(mutants)
    print(f"\nContract-rule catalogue: {killed}/{len(mutants)} mutants killed ({rate:.1f} %)")
    print(f"  in {time.monotonic() - started:.0f} s")
    for mutant in survivors:
        print(f"  SURVIVOR {mutant.id}: {mutant.file}: {mutant.original!r} -> {mutant.replacement!r}")
        print(f"           breaks: {mutant.rule}")
    if equivalent:
        print(f"Equivalent mutants, not counted ({len(equivalent)}):")
        for mutant in equivalent:
            print(f"  {mutant.id} ({mutant.file}): {' '.join(mutant.reason.split())}")
    print(json.dumps({"catalogue_killed": killed, "catalogue_total": len(mutants)}))
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
