"""Hostile landing areas through the real pull and validate steps: files over the caps, junk, bombs and
hostile file names next to good files. Nothing is lost (contract section 3: every data row of every file
is accounted for once, or the file is listed as rejected), nothing runs, nothing lands outside its folder.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from smartcity.config import ConfigError, load_settings
from smartcity.pipeline import plan_run, run_pull, run_validate
from smartcity.readers import MB, ReadLimits
from smartcity.reporting.rejections import write_rejection_reports
from smartcity.state import connect
from tests.component.landing import HEADER, make_landing, pull_counts, query, snapshot
from tests.component.test_sources_http import TOKEN, api, env  # noqa: F401 (fixtures)

MARCH = date(2024, 3, 1)
FOLDER = "submissions/2024-03/"
CAPS = {"SMARTCITY_MAX_FILE_MB": "1", "SMARTCITY_MAX_ROWS_PER_FILE": "1000"}


def row(project: str, progress: float) -> str:
    return f"AAA,{project},2024-03,{progress},1000,in_progress,,,2024-04-05T10:00:00+07:00\n"


def bomb() -> bytes:
    """A workbook whose sheet unpacks to 50 MB of XML from 230 KB: 229 to 1."""
    book = openpyxl.Workbook()
    book.active.append(["city_code"])
    plain = io.BytesIO()
    book.save(plain)
    source = zipfile.ZipFile(plain)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for part in source.infolist():
            if part.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(part.filename, source.read(part.filename))
        with archive.open("xl/worksheets/sheet1.xml", "w") as stream:
            for _ in range(64):
                stream.write(b"<row/>" * (1 << 17))
    return buffer.getvalue()


# The files refused, each with words of its reason; then good files under hostile names.
JUNK = random.Random(7).randbytes(4096)
REFUSED: dict[str, tuple[str | bytes, str]] = {
    "random.csv": (JUNK, "does not look like a text CSV file"),
    "random.xlsx": (JUNK, "not a valid XLSX workbook"),
    "random.json": (JUNK, "not UTF-8"),
    "too_big.csv": (HEADER + row("A1", 1) * 30_000, "more than the 1 MB accepted in one file; split it"),
    "too_many.json": (
        json.dumps(
            [{"city_code": "AAA", "project_code": "A1", "progress_pct": n % 100} for n in range(1001)]
        ),
        "more than 1,000 data rows",
    ),
    "bomb.xlsx": (bomb(), "the workbook unpacks to more than 4 MB"),
    "deep.json": ("[" * 100_000, "levels deep"),
    "nul.csv": (HEADER + "AAA,A1\x00,2024-03,10,,,,,\n", "control bytes"),
    "not_rows.json": (
        json.dumps({"rows": [{"city_code": "AAA"}]}),
        "the top level of the file is a JSON object",
    ),
    "huge_cell.csv": (HEADER + "AAA,A1,2024-03,10,,,," + "x" * 40_000 + ",\n", "more than the 32,767"),
}
HOSTILE_NAMES = [
    "report..final.csv",
    "city a ; rm -rf ~.csv",
    "$(touch pwned).csv",
    "`touch pwned`.csv",
    'it\'s "quoted".csv',
    "a | b & c > out.csv",
    "line\nbreak.csv",
    "ชื่อไทย เมือง.csv",
    "ก" * 80 + ".csv",  # 244 bytes: a legal name, too long for the checksum prefix before this was bounded
]
BAD_BYTES_NAME = b"bad\xff name.csv"  # not UTF-8: Python sees a lone surrogate


def hostile_landing(base: Path) -> Path:
    files: dict[str, str | bytes] = {name: content for name, (content, _) in REFUSED.items()}
    files["good.csv"] = HEADER + row("A1", 10) + row("A2", 20)
    files["at_the_cap.csv"] = HEADER + "".join(row("A1", n / 10) for n in range(1000))
    files["nested.json"] = json.dumps([{"city_code": "AAA", "project_code": "A1", "obstacles": ["BUDGET"]}])
    for number, name in enumerate(HOSTILE_NAMES):
        # The unknown project makes each one a quarantined row, so the name also reaches a rejection report.
        files[name] = HEADER + row("A1", 30 + number) + row("NOPE", 1)
    landing = make_landing(base / "landing", {"2024-03": files})
    folder = os.fsencode(landing / "submissions" / "2024-03")
    Path(os.fsdecode(os.path.join(folder, BAD_BYTES_NAME))).write_text(
        HEADER + row("A2", 5), encoding="utf-8"
    )
    return landing


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    landing = hostile_landing(base)
    before = snapshot(landing)
    settings = load_settings(
        {"SMARTCITY_LANDING": str(landing), "SMARTCITY_WAREHOUSE": str(base / "w.duckdb"), **CAPS}
    )
    with pytest.MonkeyPatch.context() as patch:
        for variable, value in CAPS.items():  # as every task of the DAG sees them
            patch.setenv(variable, value)
        plan = plan_run(settings, "run-hostile")
        pulled = run_pull(settings, plan)
        validated = run_validate(settings, plan)
    return {"base": base, "landing": landing, "before": before, "settings": settings, "pulled": pulled,
            "validated": validated}  # fmt: skip


def test_every_file_is_received_once_and_each_one_over_a_cap_or_unreadable_is_rejected(hostile):
    db = hostile["settings"].pipeline_db
    on_disk = os.listdir(os.fsencode(hostile["landing"] / "submissions" / "2024-03"))
    received = dict(query(db, "select landing_path, unreadable_reason from raw.received_files"))
    assert len(received) == len(on_disk) == len(REFUSED) + 3 + len(HOSTILE_NAMES) + 1
    expected_names = {
        *REFUSED,
        "good.csv",
        "at_the_cap.csv",
        "nested.json",
        *HOSTILE_NAMES,
        "bad\ufffd name.csv",
    }
    assert set(received) == {FOLDER + name for name in expected_names}

    rejected = dict(query(db, "select source_file, reason from audit.rejected_files"))
    assert set(rejected) == {FOLDER + name for name in REFUSED}
    for name, (_, words) in REFUSED.items():
        assert words in rejected[FOLDER + name], name
        assert received[FOLDER + name] == rejected[FOLDER + name]
    assert hostile["pulled"]["files_unreadable"] == len(REFUSED)


def test_every_row_of_every_readable_file_is_accounted_for_exactly_once(hostile):
    db = hostile["settings"].pipeline_db
    per_file = query(
        db,
        """
        select f.landing_path, f.rows_read, f.unreadable_reason is not null,
            (select count(*) from raw.submission_rows r where r.file_id = f.file_id),
            (select count(*) from validated.submissions v where v.file_id = f.file_id),
            (select count(*) from audit.quarantine q where q.file_id = f.file_id)
        from raw.received_files f
        """,
    )
    for landing_path, rows_read, rejected, raw, accepted, quarantined in per_file:
        if rejected:
            assert (rows_read, raw, accepted, quarantined) == (None, 0, 0, 0), landing_path
        else:
            assert rows_read == raw == accepted + quarantined > 0, landing_path
    rows = {path: raw for path, _, _, raw, _, _ in per_file}
    assert rows[FOLDER + "at_the_cap.csv"] == 1000
    assert rows[FOLDER + "bad\ufffd name.csv"] == 1
    assert all(rows[FOLDER + name] == 2 for name in HOSTILE_NAMES)
    both = query(
        db,
        "select file_id, row_number from validated.submissions "
        "intersect select file_id, row_number from audit.quarantine",
    )
    assert both == []
    assert hostile["validated"]["rows_received"] == sum(rows.values()) == hostile["pulled"]["rows_new"]


def test_received_copies_are_exact_and_inside_the_received_folder(hostile):
    settings = hostile["settings"]
    month_folder = (settings.received_dir / "2024-03").resolve()
    landing_folder = os.fsencode(hostile["landing"] / "submissions" / "2024-03")
    originals = {
        os.fsdecode(name): Path(os.fsdecode(os.path.join(landing_folder, name))).read_bytes()
        for name in os.listdir(landing_folder)
    }
    copies = query(settings.pipeline_db, "select landing_path, stored_path from raw.received_files")
    for landing_path, stored_path in copies:
        copy = Path(stored_path).resolve()
        assert copy.parent == month_folder, stored_path
        assert len(os.fsencode(copy.name)) <= 255
        name = landing_path.removeprefix(FOLDER)
        original = originals.get(name, originals.get(os.fsdecode(BAD_BYTES_NAME)))
        assert copy.read_bytes() == original, landing_path
    assert len(list(month_folder.iterdir())) == len(originals)
    assert snapshot(hostile["landing"]) == hostile["before"]  # the landing area is only read


def test_no_file_name_runs_or_writes_anything(hostile):
    base: Path = hostile["base"]
    # `touch pwned` and `> out.csv` would have made these files, had a name reached a shell.
    assert not list(base.rglob("pwned")) and not list(base.rglob("out.csv"))
    assert not (Path.cwd() / "pwned").exists() and not (Path.cwd() / "out.csv").exists()
    allowed = (hostile["landing"], hostile["settings"].state_dir)
    for path in base.rglob("*"):
        assert any(path == root or path.is_relative_to(root) for root in allowed), path


def test_hostile_names_reach_the_rejection_reports_intact(hostile):
    folder = hostile["settings"].reports_dir / "rejections"
    written = [p for p in folder.rglob("*") if p.is_file()]
    assert written and all(p.parent == folder / "2024-03" for p in written)
    with (folder / "2024-03" / "AAA.csv").open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    sources = {line[0] for line in lines[1:]}
    assert {FOLDER + name for name in HOSTILE_NAMES} <= sources


# ----------------------------------------------------------------------------------------------- settings


def test_the_caps_are_settings_with_defaults_checks_and_a_round_trip(tmp_path):
    defaults = load_settings({})
    assert (defaults.max_file_mb, defaults.max_rows_per_file) == (100, 200_000)
    assert ReadLimits.of(defaults) == ReadLimits() == ReadLimits(100 * MB, 200_000)
    given = load_settings(
        {"SMARTCITY_WAREHOUSE": str(tmp_path / "w.duckdb"), "SMARTCITY_MAX_FILE_MB": " 2 ",
         "SMARTCITY_MAX_ROWS_PER_FILE": "1,500"}
    )  # fmt: skip
    assert ReadLimits.of(given) == ReadLimits(2 * MB, 1500)
    exported = given.as_env()
    assert (exported["SMARTCITY_MAX_FILE_MB"], exported["SMARTCITY_MAX_ROWS_PER_FILE"]) == ("2", "1500")
    assert load_settings(exported) == given


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SMARTCITY_MAX_FILE_MB", "0"),
        ("SMARTCITY_MAX_FILE_MB", "-1"),
        ("SMARTCITY_MAX_FILE_MB", "1.5"),
        ("SMARTCITY_MAX_FILE_MB", "100MB"),
        ("SMARTCITY_MAX_FILE_MB", "1025"),
        ("SMARTCITY_MAX_ROWS_PER_FILE", "0"),
        ("SMARTCITY_MAX_ROWS_PER_FILE", "1,0"),
        ("SMARTCITY_MAX_ROWS_PER_FILE", "2e5"),
        ("SMARTCITY_MAX_ROWS_PER_FILE", "1000001"),
        ("SMARTCITY_MAX_ROWS_PER_FILE", "๑๐๐"),
    ],
)
def test_a_bad_cap_is_a_config_error_naming_the_variable(variable, value):
    with pytest.raises(ConfigError) as error:
        load_settings({variable: value})
    message = str(error.value)
    assert message.startswith(f"{variable}={value!r} must be a whole number") and "default" in message


def test_the_row_cap_of_the_environment_reaches_the_pull(tmp_path, monkeypatch):
    landing = make_landing(tmp_path / "landing", {"2024-03": {"three.csv": HEADER + row("A1", 1) * 3}})
    settings = load_settings(
        {"SMARTCITY_LANDING": str(landing), "SMARTCITY_WAREHOUSE": str(tmp_path / "w.duckdb"),
         "SMARTCITY_MAX_ROWS_PER_FILE": "2"}
    )  # fmt: skip
    monkeypatch.setenv("SMARTCITY_MAX_ROWS_PER_FILE", "2")
    assert run_pull(settings, plan_run(settings, "run-1"))["files_unreadable"] == 1
    assert query(settings.pipeline_db, "select reason from audit.rejected_files") == [
        (
            "the file has more than 2 data rows, the most accepted in one file; split it into several files "
            "(for example one per city or per group of cities) of at most 2 rows each",
        )
    ]


# ------------------------------------------------------------------------------------ names from elsewhere


def test_names_from_an_http_api_stay_in_their_folders(api, env, tmp_path):  # noqa: F811 (the fixtures)
    state, base = api
    env.setenv("SMARTCITY_API_TOKEN", TOKEN)
    rows = [{"city_code": "AAA", "project_code": "A1", "report_month": "2024-03", "progress_pct": 10}]
    names = ["../../x", "ก" * 100, "a\nb; rm -rf ~ $(touch pwned)", "'); drop table raw.received_files; --"]
    state.months = {"2024-03": [{"name": name, "rows": rows} for name in names]}
    settings = load_settings({"SMARTCITY_LANDING": base, "SMARTCITY_WAREHOUSE": str(tmp_path / "w.duckdb")})

    assert run_pull(settings, plan_run(settings, "run-1")) == pull_counts(4, 4, 0)
    stored = dict(query(settings.pipeline_db, "select landing_path, stored_path from raw.received_files"))
    assert set(stored) == {
        FOLDER + ".._.._x.json",
        FOLDER + "ก" * 100 + ".json",
        FOLDER + "ab; rm -rf ~ $(touch pwned).json",
        FOLDER + "'); drop table raw.received_files; --.json",
    }
    for path in stored.values():
        assert Path(path).resolve().parent == (settings.received_dir / "2024-03").resolve()
    incoming = (settings.state_dir / "incoming").resolve()
    for path in tmp_path.rglob("*"):
        assert path.is_relative_to(settings.state_dir) or "airflow_home" in path.parts, path
        if path.is_relative_to(incoming):
            assert len(os.fsencode(path.name)) <= 255
    assert not list(tmp_path.rglob("x.json")) and not list(tmp_path.rglob("pwned"))


def test_report_file_names_never_leave_their_folder(tmp_path):
    # Registered city codes are [A-Z0-9_-]; a code that got past the registry anyway cannot escape either.
    landing = make_landing(tmp_path / "landing", {"2024-03": {"a.csv": HEADER + row("A1", 10)}})
    settings = load_settings(
        {"SMARTCITY_LANDING": str(landing), "SMARTCITY_WAREHOUSE": str(tmp_path / "w.duckdb")}
    )
    run_pull(settings, plan_run(settings, "run-1"))
    folder = settings.reports_dir / "rejections"
    with connect(settings.pipeline_db) as con:
        file_id = con.execute("select file_id from raw.received_files").fetchone()[0]
        for code in ("../../x", "..", "/etc/x", "a/../../b"):
            con.execute("insert into registry.cities (city_code) values (?)", [code])
            con.execute(
                "insert into audit.quarantine values ('run-1', 'a.csv', 1, ?, 'A1', 'UNKNOWN_PROJECT', "
                "'bad. Fix: fix it', '{}', ?, ?)",
                [code, file_id, MARCH],
            )
        written = write_rejection_reports(con, folder, MARCH)
    assert len(written) == 8 and len({p.name for p in written}) == 8
    month_folder = (folder / "2024-03").resolve()
    assert all(p.resolve().parent == month_folder and p.is_file() for p in written)
    inputs = (landing, settings.received_dir)
    others = [p for p in tmp_path.rglob("*") if p.is_file() and not any(p.is_relative_to(i) for i in inputs)]
    assert sorted(p for p in others if p.suffix in (".csv", ".xlsx")) == sorted(written)
