"""A national-scale landing area in the contract's formats: ~7,850 cities x 10 projects x 60 months.

`BENCH_SCALE` (or --scale) multiplies the number of cities (0.1 gives ~785 cities, ~471,000 rows).
Deterministic (seeded numpy; workbooks re-packed without the clock), mostly vectorised: it writes ~4.7 M
rows at full scale in about a minute. One file per month per block of 500 cities, as a province office
would send them, with the variety the contract allows in a realistic share (decided per file, seeded):

- 10 % Windows-874 CSV with Thai headers, Thai month names with two-digit Buddhist-Era years (มี.ค. 67),
  Thai digits in the progress and thousands separators in the spend;
- 10 % XLSX (half with Thai headers), progress and spend as numbers;
- 10 % JSON, numbers as JSON numbers;
- 70 % UTF-8 CSV, of which some with a BOM, some with ';', some with Thai headers, some with Buddhist-Era
  years (2567-03) and '%' after the progress;

and each month a small file of corrections whose rows are quarantined, one for each reason code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.writer.excel import ExcelWriter

CITIES_NATIONAL = 7850
PROJECTS_PER_CITY = 10
FIRST_MONTH = pd.Period("2019-04", freq="M")
DIMENSIONS = np.array(["ENV", "ENE", "MOB", "ECO", "LIV", "PEO", "GOV"])
OBSTACLES = np.array(["", "BUDGET", "POLICY", "PERSONNEL", "BUDGET;POLICY", "PROCUREMENT", "TECHNICAL"])
CITIES_PER_FILE = 500
COLUMNS = [
    "city_code",
    "project_code",
    "report_month",
    "progress_pct",
    "spend_to_date_thb",
    "status",
    "obstacles",
    "remarks",
    "submitted_at",
]
THAI_COLUMNS = [
    "รหัสเมือง",
    "รหัสโครงการ",
    "เดือนที่รายงาน",
    "ความก้าวหน้าสะสม",
    "เบิกจ่ายสะสม",
    "สถานะ",
    "ปัญหาอุปสรรค",
    "หมายเหตุ",
    "วันที่ส่ง",
]
THAI_MONTHS = [
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
]
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
THAI_REMARKS = np.array(["", "", "", "รอการจัดสรรงบประมาณ", "ติดตั้งอุปกรณ์แล้วบางส่วน"])
# The kind of each file, by share: (kind, probability).
KINDS = {"csv": 0.70, "csv-cp874": 0.10, "xlsx": 0.10, "json": 0.10}
FIXED_TIME = dt.datetime(2024, 4, 23, 9, 0, 0)  # workbooks carry no clock: the same rows, the same bytes
ZIP_TIME = (2024, 4, 23, 9, 0, 0)


def sizes(scale: float) -> tuple[int, int]:
    cities = max(2, round(CITIES_NATIONAL * scale))
    return cities, cities * PROJECTS_PER_CITY


def generate(out: Path, scale: float, months: int = 60, seed: int = 7850, write_from: int = 0) -> dict:
    """The landing area of `months` months at `scale`; with `write_from`, only the months from that index on
    are written (the earlier ones are drawn all the same, so every month's files are the same bytes). The
    counts returned: `rows` of every month, `files` and the kinds of the files written."""
    rng = np.random.default_rng(seed)
    cities, projects = sizes(scale)
    city_codes = np.array([f"LAO{i:05d}" for i in range(cities)])
    (out / "registry").mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "city_code": city_codes,
            "name_th": [f"เมือง {i}" for i in range(cities)],
            "name_en": [f"Local administration {i}" for i in range(cities)],
            "province_code": [f"TH-{10 + i % 80:02d}" for i in range(cities)],
            "operator_name": "Local administration",
            "operator_type": "local_government",
            "city_type": "livable",
            "peer_group": np.where(np.arange(cities) % 20 == 0, "province", "city"),
            "status": "certified",
            "status_since": "2019-01-15",
        }
    ).to_csv(out / "registry" / "cities.csv", index=False)
    project_city = np.repeat(city_codes, PROJECTS_PER_CITY)
    project_codes = np.char.add(
        np.char.add(project_city, "-"), np.tile(np.arange(PROJECTS_PER_CITY), cities).astype(str)
    )
    start = rng.integers(0, 48, projects)
    length = rng.integers(6, 48, projects)
    budget = rng.integers(1, 500, projects) * 100_000
    pd.DataFrame(
        {
            "project_code": project_codes,
            "city_code": project_city,
            "dimension_code": DIMENSIONS[rng.integers(0, 7, projects)],
            "name_th": "โครงการ",
            "name_en": "Project",
            "budget_thb": budget,
            "planned_start": [str(FIRST_MONTH + int(s)) for s in start],
            "planned_end": [str(FIRST_MONTH + int(s + n)) for s, n in zip(start, length, strict=True)],
            "funding_source": "public",
        }
    ).to_csv(out / "registry" / "projects.csv", index=False)
    rows = files = 0
    kinds: dict[str, int] = dict.fromkeys(KINDS, 0)
    progress = np.zeros(projects)
    block = CITIES_PER_FILE * PROJECTS_PER_CITY
    for index in range(months):
        month = FIRST_MONTH + index
        started = index >= start
        progress = np.where(started, np.minimum(progress + rng.uniform(0, 6, projects), 100), 0).round(2)
        frame = pd.DataFrame(
            {
                "city_code": project_city,
                "project_code": project_codes,
                "report_month": str(month),
                "progress_pct": progress,
                "spend_to_date_thb": (budget * progress / 100 * 0.9).round(2),
                "status": np.where(
                    progress >= 100, "completed", np.where(progress > 0, "in_progress", "not_started")
                ),
                "obstacles": OBSTACLES[rng.integers(0, len(OBSTACLES), projects)],
                "remarks": THAI_REMARKS[rng.integers(0, len(THAI_REMARKS), projects)],
                "submitted_at": f"{month + 1}-05T10:00:00+07:00",
            }
        )
        folder = out / "submissions" / str(month)
        blocks = range(0, projects, block)
        chosen = rng.choice(list(KINDS), size=len(blocks), p=list(KINDS.values()))
        variants = rng.integers(0, 6, size=len(blocks))
        rows += len(frame) + len(FAULTS)
        if index < write_from:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        for number, (first, kind, variant) in enumerate(zip(blocks, chosen, variants, strict=True)):
            part = frame.iloc[first : first + block]
            name = folder / f"block_{number:03d}"
            _write(name, part, str(kind), int(variant), month)
            kinds[str(kind)] += 1
            files += 1
        (folder / "corrections.csv").write_text(_corrections(frame, month), encoding="utf-8")
        files += 1
    return {"cities": cities, "projects": projects, "months": months, "rows": rows, "files": files, **kinds}


def _write(name: Path, part: pd.DataFrame, kind: str, variant: int, month: pd.Period) -> None:
    if kind == "csv-cp874":
        thai = _thai_spelling(part, month)
        thai.columns = THAI_COLUMNS
        thai.to_csv(name.with_suffix(".csv"), index=False, encoding="cp874", lineterminator="\r\n")
    elif kind == "xlsx":
        name.with_suffix(".xlsx").write_bytes(_workbook(part, thai_headers=variant % 2 == 0))
    elif kind == "json":
        records = part.to_dict(orient="records")
        for record in records:
            for key in ("obstacles", "remarks"):
                if record[key] == "":
                    record[key] = None
        name.with_suffix(".json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    else:  # UTF-8 CSV: plain (0, 1), with a BOM (2), ';' (3), Thai headers (4), Buddhist-Era years (5)
        spelled = part.copy()
        if variant == 5:
            spelled["report_month"] = f"{month.year + 543}-{month.month:02d}"
            spelled["progress_pct"] = spelled["progress_pct"].astype(str) + "%"
        if variant == 4:
            spelled.columns = THAI_COLUMNS
        spelled.to_csv(
            name.with_suffix(".csv"),
            index=False,
            encoding="utf-8-sig" if variant == 2 else "utf-8",
            sep=";" if variant == 3 else ",",
        )


def _thai_spelling(part: pd.DataFrame, month: pd.Period) -> pd.DataFrame:
    """A Thai office's spelling: มี.ค. 67, Thai digits in the progress, thousands separators in the spend."""
    spelled = part.copy()
    spelled["report_month"] = f"{THAI_MONTHS[month.month - 1]} {(month.year + 543) % 100:02d}"
    spelled["progress_pct"] = [str(value).translate(THAI_DIGITS) for value in part["progress_pct"]]
    spelled["spend_to_date_thb"] = [f"{value:,.2f}" for value in part["spend_to_date_thb"]]
    return spelled


def _workbook(part: pd.DataFrame, thai_headers: bool) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("รายงานความก้าวหน้า" if thai_headers else "progress")
    sheet.append(THAI_COLUMNS if thai_headers else COLUMNS)
    for row in part.itertuples(index=False):
        sheet.append([None if value == "" else value for value in row])
    props = workbook.properties
    props.creator = props.lastModifiedBy = "bench.generate"
    props.created = props.modified = FIXED_TIME
    first = io.BytesIO()
    with zipfile.ZipFile(first, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()  # save_workbook() would stamp `modified` with now
    out = io.BytesIO()
    with zipfile.ZipFile(first) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, source.read(entry.filename), compresslevel=6)
    return out.getvalue()


# One row quarantined for each reason code, every month: (reason, changes to a good row).
FAULTS = [
    ("MISSING_REQUIRED", {"city_code": ""}),
    ("UNKNOWN_CITY", {"city_code": "ZZZ99999"}),
    ("UNKNOWN_PROJECT", {"project_code": "LAO00000-99"}),
    ("PROJECT_CITY_MISMATCH", {"city_code": "LAO00001"}),
    ("BAD_MONTH", {"report_month": "sometime"}),
    ("FUTURE_MONTH", {"report_month": "+2"}),
    ("BAD_NUMBER", {"progress_pct": "fifty"}),
    ("OUT_OF_RANGE", {"progress_pct": "150"}),
    ("BAD_STATUS", {"status": "done?"}),
    ("BAD_OBSTACLE", {"obstacles": "WEATHER"}),
    ("DUPLICATE", {}),
]


def _corrections(frame: pd.DataFrame, month: pd.Period) -> str:
    """Rows about the first city's first project, each with one fault (DUPLICATE: the row as sent)."""
    good = {column: str(value) for column, value in frame.iloc[0].items()}
    lines = [",".join(COLUMNS)]
    for _, changes in FAULTS:
        row = {**good, **changes}
        if row["report_month"] == "+2":
            row["report_month"] = str(month + 2)
        lines.append(",".join(row[column] for column in COLUMNS))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--months", type=int, default=60)
    args = parser.parse_args()
    print(generate(args.out, args.scale, args.months))


if __name__ == "__main__":
    main()
