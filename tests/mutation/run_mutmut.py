"""mutmut over the Python that decides figures and verdicts, with the fast unit tests that state its rules.

mutmut expects the code under `src/` (or the project root); ours lives under `include/`. So the run takes
place in a staging folder: `src/smartcity` (a copy of include/smartcity), the chosen unit tests and a
pyproject.toml holding only the mutmut and pytest settings. The working tree is never touched.

Modules and tests (MODULES, TESTS): the value parsers (BE years, Thai months and digits, numbers, codes), the
scheduled run's month, and the row flags that decide DUPLICATE, FUTURE_MONTH, the submitted_at guard and a
missing status. Prints the score (killed / all mutants, timeouts counting as killed, mutants no test reaches
counting as survivors) and every survivor; `--show` prints each survivor's diff as well.

    python -m tests.mutation.run_mutmut [--show] [--keep]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODULES = [
    "smartcity/normalize.py",
    "smartcity/parsing/text.py",
    "smartcity/parsing/dates.py",
    "smartcity/parsing/numeric.py",
    "smartcity/schedule.py",
    "smartcity/validation/normalised_rows.py",
]
TESTS = [
    "tests/unit/test_normalize.py",
    "tests/unit/test_schedule.py",
    "tests/unit/test_row_flags.py",
    "tests/unit/test_normalised_rows.py",
]
# The functions of normalised_rows.py that need DuckDB and a validated schema (the registry join, the
# candidate search of DUPLICATE) are checked by the component tests (tests/component/test_row_validation.py),
# too slow to run once per mutant; the rule they serve (what is identical) is `identity`, mutated here.
DO_NOT_MUTATE_FUNCTIONS = [
    "add_registry_flags",
    "add_duplicate_flag",
    "_duplicate_candidates",
    "_accepted_rows",
]
KILLED = {"killed", "timeout", "segfault", "caught by type check"}
PYPROJECT = """
[tool.mutmut]
source_paths = ["src"]
only_mutate = {only}
pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:xdist", "-q"]
pytest_add_cli_args_test_selection = {tests}
use_git_change_detection = false

[tool.pytest.ini_options]
testpaths = ["tests"]
"""


def stage(root: Path) -> None:
    shutil.copytree(REPO / "include" / "smartcity", root / "src" / "smartcity")
    for name in ["tests/__init__.py", "tests/unit/__init__.py", *TESTS]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, root / name)
    only = [f"src/{module}" for module in MODULES]
    (root / "pyproject.toml").write_text(
        PYPROJECT.format(only=json.dumps(only), tests=json.dumps(TESTS)), encoding="utf-8"
    )
    for module in MODULES:
        exclude_functions(root / "src" / module, DO_NOT_MUTATE_FUNCTIONS)


def exclude_functions(path: Path, functions: list[str]) -> None:
    """Wrap each named top-level function in `# pragma: no mutate start` ... `end`: mutmut leaves it alone."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    out: list[str] = []
    inside = False
    for line in lines:
        top_level = line[:1] not in (" ", "\t", "\n", "#", ")", "") and not line.startswith('"""')
        if inside and top_level:
            out.append("# pragma: no mutate end\n")
            inside = False
        if any(line.startswith(f"def {function}(") for function in functions):
            out.append("# pragma: no mutate start\n")
            inside = True
        out.append(line)
    if inside:
        out.append("# pragma: no mutate end\n")
    path.write_text("".join(out), encoding="utf-8")


def results(root: Path) -> dict[str, str]:
    listed = subprocess.run(
        [str(BIN / "mutmut"), "results", "--all", "true"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    statuses = {}
    for line in listed.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            statuses[name] = status
    return statuses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print the diff of every survivor")
    parser.add_argument("--keep", action="store_true", help="keep the staging folder (printed)")
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--min-score", type=float, default=85.0)
    args = parser.parse_args(argv)

    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="smartcity-mutmut-"))
    try:
        stage(root)
        print(f"==> mutmut on {', '.join(MODULES)} with {', '.join(TESTS)}", flush=True)
        run = subprocess.run(
            [str(BIN / "mutmut"), "run", "--max-children", str(args.max_children)],
            cwd=root, capture_output=True, text=True,
        )  # fmt: skip
        statuses = results(root)
        if not statuses:
            print(run.stdout[-4000:], run.stderr[-4000:])
            print("mutmut produced no results")
            return 1
        counts = Counter(statuses.values())
        killed = sum(n for status, n in counts.items() if status in KILLED)
        survivors = sorted(name for name, status in statuses.items() if status not in KILLED)
        score = 100 * killed / len(statuses)
        by_function = Counter(name.split("__mutmut_")[0] for name in survivors)
        print(f"  statuses: {dict(sorted(counts.items()))}")
        for name in survivors:
            print(f"  SURVIVOR {name}: {statuses[name]}")
            if args.show:
                shown = subprocess.run(
                    [str(BIN / "mutmut"), "show", name], cwd=root, capture_output=True, text=True
                ).stdout
                print("    " + "\n    ".join(shown.strip().splitlines()[1:]))
        print(f"  survivors by function: {dict(by_function.most_common())}")
        print(f"\nmutmut score: {killed}/{len(statuses)} mutants killed ({score:.1f} %) in "
              f"{time.monotonic() - started:.0f} s")  # fmt: skip
        print(
            json.dumps(
                {"mutmut_killed": killed, "mutmut_total": len(statuses), "mutmut_score": round(score, 1)}
            )
        )
        return 0 if score >= args.min_score else 1
    finally:
        if args.keep:
            print(f"staging folder kept: {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
