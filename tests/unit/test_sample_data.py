"""The shipped sample landing area: deterministic, equal to its generator's output, calibrated, and carrying
every format variant and every kind of bad input the contract names, each with its expected outcome."""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from sample_data import generate, headline, writers
from sample_data.common import WINDOW, month_text
from sample_data.variants import MONTH_STYLES, TIMESTAMP_STYLES

SHIPPED = Path(__file__).resolve().parents[2] / "include" / "sample_landing"
MONTHS = [f"2023-{m:02d}" for m in range(4, 13)] + [f"2024-{m:02d}" for m in range(1, 4)]
REASONS = [
    "MISSING_REQUIRED",
    "UNKNOWN_CITY",
    "UNKNOWN_PROJECT",
    "PROJECT_CITY_MISMATCH",
    "BAD_MONTH",
    "FUTURE_MONTH",
    "BAD_NUMBER",
    "OUT_OF_RANGE",
    "BAD_STATUS",
    "BAD_OBSTACLE",
    "DUPLICATE",
]


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing")
    generate.write_landing(out)
    return out


@pytest.fixture(scope="module")
def read(generated: Path) -> headline.Landing:
    """The generated area as the independent checker reads it."""
    return headline.load(generated)


@pytest.fixture(scope="module")
def manifest(generated: Path) -> dict:
    return json.loads((generated / "EXPECTED_OUTCOMES.json").read_text(encoding="utf-8"))


def submission_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "submissions").glob("*/*") if p.is_file())


# ------------------------------------------------------------------------------- determinism, shipped


def test_generating_twice_gives_identical_trees(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    generate.write_landing(first)
    generate.write_landing(second)
    assert tree(first) == tree(second)
    generate.write_landing(first)  # regenerating over an earlier output replaces it exactly
    assert tree(first) == tree(second)


def test_shipped_sample_equals_generator_output(generated: Path) -> None:
    shipped, fresh = tree(SHIPPED), tree(generated)
    assert sorted(shipped) == sorted(fresh), "file list differs: run `make sample`"
    differing = [name for name in fresh if shipped[name] != fresh[name]]
    assert differing == [], "content differs: run `make sample`"


def test_workbooks_do_not_depend_on_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    def book() -> bytes:
        workbook = openpyxl.Workbook()
        workbook.active.append(["city_code", 1.5])
        return writers.workbook_bytes(workbook)

    first = book()
    monkeypatch.setattr("time.time", lambda: 2_000_000_000.0)  # zip entries would carry this time
    assert book() == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {writers.ZIP_TIME}
        assert b"2024-04-23T09:00:00Z" in archive.read("docProps/core.xml")


def test_refuses_to_clear_a_folder_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "submissions").mkdir()
    (tmp_path / "submissions" / "real.csv").write_text("city_code\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        generate.write_landing(tmp_path)
    assert (tmp_path / "submissions" / "real.csv").exists()


# --------------------------------------------------------------------------------------- calibration


def test_march_2024_headline_is_the_reported_one(read: headline.Landing) -> None:
    fig = headline.compute(read, "2024-03")
    assert fig.certified_cities == 30
    assert fig.progress_pct == Decimal("27.57")
    assert fig.investment_value_thb == Decimal("6842970000.00")
    ranked = sorted(fig.city_progress_pct.items(), key=lambda kv: -kv[1])
    assert ranked[:3] == [
        ("MAE_MOH", Decimal("96.67")),
        ("KHLONG_PHADUNG", Decimal("89.38")),
        ("SAMYAN", Decimal("85.03")),
    ]
    assert len(ranked) == 30 and all(value < Decimal("80") for _, value in ranked[3:])
    counts = fig.obstacle_projects
    others = max(n for code, n in counts.items() if code not in {"BUDGET", "POLICY", "PERSONNEL"})
    assert counts["BUDGET"] > counts["POLICY"] > counts["PERSONNEL"] > others
    assert headline.misses(fig) == []


def test_submissions_are_consistent_and_progress_rises(read: headline.Landing) -> None:
    assert headline.row_problems(read) == []
    progress = [headline.compute(read, month).progress_pct for month in MONTHS]
    assert progress == sorted(progress) and progress[0] < progress[-1]


def test_every_project_state_is_the_calibrated_one_in_every_month(read: headline.Landing) -> None:
    """Variants, late rows, corrections, duplicates and bad rows change no project's state as of any month:
    the checker's reading of the files gives exactly the calibrated reports."""
    _, reports = generate.calibrated()
    canonical = sorted((row for rows in reports.values() for row in rows), key=lambda r: r["report_month"])
    for month in WINDOW:
        expected: dict[str, dict[str, str]] = {}
        for row in canonical:
            if row["report_month"] <= month_text(month):
                expected[row["project_code"]] = row
        found = headline.states(read, month_text(month))
        assert sorted(found) == sorted(expected), month_text(month)
        for code, row in expected.items():
            state = found[code]
            assert state["report_month"] == (int(row["report_month"][:4]), int(row["report_month"][5:])), code
            assert state["progress_pct"] == Decimal(row["progress_pct"]), (month_text(month), code)
            assert state["spend_to_date_thb"] == Decimal(row["spend_to_date_thb"]), (month_text(month), code)
            assert state["status"] == row["status"], (month_text(month), code)
            assert ";".join(state["obstacles"]) == row["obstacles"], (month_text(month), code)


# ----------------------------------------------------------------------------------- expected outcomes


def test_the_checker_reads_the_outcomes_of_the_manifest(read: headline.Landing) -> None:
    assert headline.manifest_problems(read) == []


def test_the_manifest_accounts_for_every_row_of_every_file(generated: Path, manifest: dict) -> None:
    files = {p.relative_to(generated).as_posix() for p in submission_files(generated)}
    assert set(manifest["files"]) == files
    totals = manifest["totals"]
    outcomes = Counter(row["outcome"] for entry in manifest["files"].values() for row in entry["rows"])
    assert totals["rows"] == sum(outcomes.values())
    assert totals["rows"] == totals["accepted"] + totals["superseded"] + totals["quarantined"]
    assert outcomes == {k: totals[k] for k in ("accepted", "superseded", "quarantined")}
    for path, entry in manifest["files"].items():
        assert [row["row"] for row in entry["rows"]] == list(range(1, len(entry["rows"]) + 1)), path
        for row in entry["rows"]:
            assert (row["outcome"] == "quarantined") == ("reason_code" in row), (path, row)
            assert (row["outcome"] == "superseded") == ("superseded_by" in row), (path, row)


def test_every_reason_code_is_planted_in_a_known_file_and_row(manifest: dict) -> None:
    planted = Counter(
        row["reason_code"]
        for entry in manifest["files"].values()
        for row in entry["rows"]
        if row["outcome"] == "quarantined"
    )
    assert sorted(planted) == sorted(REASONS)
    assert manifest["totals"]["quarantined_by_reason"] == {code: planted[code] for code in REASONS}
    quarantined_months = {
        path.split("/")[1]
        for path, entry in manifest["files"].items()
        if any(row["outcome"] == "quarantined" for row in entry["rows"])
    }
    assert len(quarantined_months) >= 10  # spread over the year, not bunched in one folder
    kinds = {
        Path(path).suffix
        for path, entry in manifest["files"].items()
        if any(row["outcome"] == "quarantined" for row in entry["rows"])
    }
    assert kinds == {".csv", ".xlsx", ".json"}


def test_late_rows_corrections_and_rejected_files_are_present(read: headline.Landing, manifest: dict) -> None:
    late = [r for r in read.rows if r.outcome == "accepted" and r.value["report_month"] < r.folder]
    assert len(late) >= 10 and len({r.file for r in late}) >= 8
    superseded = [r for r in read.rows if r.outcome == "superseded"]
    assert len(superseded) >= 8
    assert any(r.value["report_month"] == (2024, 3) for r in superseded)  # a March value is corrected
    assert sorted(read.rejected) == sorted(manifest["rejected_files"])
    assert {Path(path).suffix for path in read.rejected} == {".xlsx", ".pdf"}


# -------------------------------------------------------------------------------- formats and spellings


def test_every_file_format_and_encoding_is_present(generated: Path) -> None:
    kinds: Counter = Counter()
    for path in submission_files(generated):
        data = path.read_bytes()
        if path.suffix == ".csv":
            if data.startswith(b"\xef\xbb\xbf"):
                kinds["csv utf-8 bom"] += 1
            else:
                try:
                    data.decode("utf-8")
                    kinds["csv utf-8"] += 1
                except UnicodeDecodeError:
                    assert any("\u0e01" <= ch <= "\u0e5b" for ch in data.decode("cp874")), path
                    kinds["csv cp874 thai"] += 1
            first = data.split(b"\n", 1)[0]
            kinds["csv ;" if first.count(b";") > first.count(b",") else "csv ,"] += 1
            kinds["csv crlf"] += b"\r\n" in data
        elif path.suffix == ".xlsx":
            kinds["xlsx"] += zipfile.is_zipfile(path)
        elif path.suffix == ".json":
            kinds["json array"] += isinstance(json.loads(data.decode("utf-8-sig")), list)
    expected = (
        "csv utf-8",
        "csv utf-8 bom",
        "csv cp874 thai",
        "csv ;",
        "csv ,",
        "csv crlf",
        "xlsx",
        "json array",
    )
    assert {kind: kinds[kind] >= 5 for kind in expected} == dict.fromkeys(expected, True), kinds


def test_every_header_and_value_spelling_is_present(read: headline.Landing, manifest: dict) -> None:
    variants = manifest["variants"]
    for label in (
        (
            "Thai headers",
            "English headers",
            "padded headers",
            "padded values",
            "Thai digits",
            "% signs",
            "thousands separators",
            "obstacles separated by ','",
            "Excel number and date cells",
            "JSON numbers",
            "rows without status",
            "rows without submitted_at",
            "no status column",
            "no submitted_at column",
            "blank row",
            "second worksheet",
        )
        + tuple(f"report_month {name}" for name in MONTH_STYLES)
        + tuple(f"submitted_at {name}" for name in TIMESTAMP_STYLES)
    ):
        assert variants.get(label, 0) >= 3, label
    # And in the files themselves, as read back:
    months = [r.raw.get("report_month") or "" for r in read.rows if r.outcome == "accepted"]
    assert any(m.startswith("มีนาคม 2567") for m in months)
    assert any(m.strip() == "มี.ค. 67" for m in months)
    assert any("๒๕๖" in m for m in months)  # Thai digits
    assert any(m.strip().startswith("03/2567") for m in months)
    assert any((r.raw.get("progress_pct") or "").strip().endswith("%") for r in read.rows)
    assert any("," in (r.raw.get("spend_to_date_thb") or "") for r in read.rows if r.outcome == "accepted")
    assert any(not r.raw.get("submitted_at") for r in read.rows if r.outcome == "accepted")
    assert any(not r.raw.get("status") for r in read.rows if r.outcome == "accepted")
