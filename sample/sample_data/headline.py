"""Independent check of the sample landing area: the March 2024 headline, by contract sections 2-4.

Plain Python over the written files (csv, json and openpyxl only). It shares no code with the generator or
the pipeline, so that a mistake in either cannot confirm itself here: it reads every format and spelling the
contract allows with its own small helpers, applies the contract's row checks (the first failing reason code
wins) and supersession (latest submitted_at; a row without one counts at its file's arrival), and computes
the figures from the accepted rows. It also gives every row's outcome, which must equal the generator's
EXPECTED_OUTCOMES.json.

    python -m sample_data.headline include/sample_landing [YYYY-MM]
"""

from __future__ import annotations

import calendar
import csv
import io
import json
import re
import sys
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl

# The figures the programme reported for March 2024 (Post Today, 23 April 2024).
TARGET_MONTH = "2024-03"
TARGETS = {
    "certified_cities": 30,
    "progress_pct": Decimal("27.57"),
    "investment_value_thb": Decimal("6842970000.00"),
    "top_cities": (
        ("MAE_MOH", Decimal("96.67")),
        ("KHLONG_PHADUNG", Decimal("89.38")),
        ("SAMYAN", Decimal("85.03")),
    ),
    "obstacle_order": ("BUDGET", "POLICY", "PERSONNEL"),
}
OTHER_CITIES_BELOW = Decimal("80")  # "clearly below" the third city
CENT = Decimal("0.01")
MANIFEST = "EXPECTED_OUTCOMES.json"

ALIASES = {
    "รหัสเมือง": "city_code",
    "รหัสโครงการ": "project_code",
    "เดือนที่รายงาน": "report_month",
    "ความก้าวหน้าสะสม": "progress_pct",
    "เบิกจ่ายสะสม": "spend_to_date_thb",
    "สถานะ": "status",
    "ปัญหาอุปสรรค": "obstacles",
    "หมายเหตุ": "remarks",
    "วันที่ส่ง": "submitted_at",
}
_MONTHS = (
    "มกราคม ม.ค. กุมภาพันธ์ ก.พ. มีนาคม มี.ค. เมษายน เม.ย. พฤษภาคม พ.ค. มิถุนายน มิ.ย. "
    "กรกฎาคม ก.ค. สิงหาคม ส.ค. กันยายน ก.ย. ตุลาคม ต.ค. พฤศจิกายน พ.ย. ธันวาคม ธ.ค."
).split()
THAI_MONTH = {name.replace(".", ""): i // 2 + 1 for i, name in enumerate(_MONTHS)}
STATUSES = ("not_started", "in_progress", "completed", "suspended", "cancelled")
OBSTACLES = ("BUDGET", "POLICY", "PERSONNEL", "PROCUREMENT", "TECHNICAL", "LEGAL", "OTHER")
REQUIRED = ("city_code", "project_code", "report_month", "progress_pct")
BANGKOK = timezone(timedelta(hours=7))
ARRIVAL = "(arrival)"  # submitted_at of a row that gives none


@dataclass(frozen=True)
class Figures:
    month: str
    certified_cities: int
    projects: int  # projects of certified cities, cancelled ones left out
    progress_pct: Decimal
    investment_value_thb: Decimal
    spend_to_date_thb: Decimal
    city_progress_pct: dict[str, Decimal]  # certified cities, rounded to 0.01
    obstacle_projects: dict[str, int]  # projects whose state lists the obstacle, cancelled included


@dataclass
class Row:
    file: str  # path relative to the landing root
    folder: tuple[int, int]  # the landing month the file arrived for
    arrival: int  # position of its file in arrival order (landing month, then path)
    number: int  # 1 = first data row (blank rows not counted; JSON: position in the array)
    raw: dict[str, str | None]  # canonical column -> text as sent, None when empty
    value: dict = field(default_factory=dict)  # parsed values of a row that passes every check
    reason: str | None = None
    outcome: str = "accepted"


@dataclass
class Landing:
    root: Path
    cities: list[dict[str, str]]
    projects: list[dict[str, str]]
    rows: list[Row]
    rejected: dict[str, str]  # unreadable or unsupported file -> why


class Unreadable(Exception):
    pass


# ------------------------------------------------------------------------------------------- reading


def _read_registry(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _column(header: object) -> str:
    name = str(header or "").strip()
    return ALIASES.get(name, name.lower())


def _text(value: object) -> str | None:
    """A cell as text, None when empty. Excel numbers as written (45.5, 100), Excel dates as ISO."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    text = str(value)
    return text if text.strip() else None


def _table(cells: list[list[object]]) -> list[tuple[int, dict[str, str | None]]]:
    rows = [row for row in cells if any(_text(v) is not None for v in row)]
    if not rows:
        return []
    header = [_column(h) for h in rows[0]]
    return [
        (n, {h: _text(row[i]) if i < len(row) else None for i, h in enumerate(header) if h})
        for n, row in enumerate(rows[1:], start=1)
    ]


def _csv(data: bytes) -> list[tuple[int, dict[str, str | None]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp874")
        except UnicodeDecodeError as error:
            raise Unreadable(f"neither UTF-8 nor Windows-874: {error}") from None
    first = text.splitlines()[0] if text else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return _table([list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)])


def _xlsx(path: Path) -> list[tuple[int, dict[str, str | None]]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            cells = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
            book.close()
    except Exception as error:  # any damage, in any layer of the zip or the XML
        raise Unreadable(f"not a readable workbook: {type(error).__name__}") from None
    return _table(cells)


def _json(data: bytes) -> list[tuple[int, dict[str, str | None]]]:
    try:
        items = json.loads(data.decode("utf-8-sig"), parse_float=str, parse_int=str)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Unreadable(f"not JSON: {error}") from None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise Unreadable("not an array of row objects")
    rows = []
    for n, item in enumerate(items, start=1):
        values = {_column(k): None if v is None else _text(str(v)) for k, v in item.items()}
        if any(v is not None for v in values.values()):
            rows.append((n, values))
    return rows


def read_rows(path: Path) -> list[tuple[int, dict[str, str | None]]]:
    """(row number, canonical column -> text) of one submission file; Unreadable when it cannot be read."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv(path.read_bytes())
    if suffix == ".xlsx":
        return _xlsx(path)
    if suffix == ".json":
        return _json(path.read_bytes())
    raise Unreadable(f"file type {suffix or '(none)'} is not accepted")


# ------------------------------------------------------------------------------------------- values


def _ascii(text: str) -> str:
    return text.strip().translate(str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789"))


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        return 2500 + year - 543
    return year - 543 if year >= 2400 else year


def _valid(year: int, month: int, day: int = 1) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def parse_month(text: str) -> tuple[int, int] | None:
    """YYYY-MM, YYYY-MM-DD, MM/YYYY, a Thai month name or abbreviation with a 4- or 2-digit year."""
    t = _ascii(text)
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", t):
        year, month, day = _year(m[1]), int(m[2]), int(m[3] or 1)
    elif m := re.fullmatch(r"(\d{1,2})/(\d{4})", t):
        year, month, day = _year(m[2]), int(m[1]), 1
    elif (m := re.fullmatch(r"(\D+?)\s*(\d{4}|\d{2})", t)) and m[1].replace(".", "") in THAI_MONTH:
        year, month, day = _year(m[2]), THAI_MONTH[m[1].replace(".", "")], 1
    else:
        return None
    return (year, month) if _valid(year, month, day) else None


def parse_instant(text: str) -> datetime | None:
    """ISO (T or space, optional offset), or DD/MM/YYYY HH:MM[:SS]; BE years; no offset = Bangkok time."""
    t = _ascii(text)
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})([+-]\d{2}:\d{2})?", t):
        year, month, day, clock, offset = _year(m[1]), int(m[2]), int(m[3]), m.groups()[3:6], m[7]
    elif m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?", t):
        year, month, day, clock, offset = _year(m[3]), int(m[2]), int(m[1]), (m[4], m[5], m[6] or "0"), None
    else:
        return None
    if not _valid(year, month, day):
        return None
    zone = BANGKOK
    if offset:
        sign = 1 if offset[0] == "+" else -1
        zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    return datetime(year, month, day, *map(int, clock), tzinfo=zone)


def parse_number(text: str, percent: bool) -> Decimal | None:
    t = _ascii(text)
    if percent:
        t = t.removesuffix("%").strip()
    if not re.fullmatch(r"-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?", t):
        return None
    return Decimal(t.replace(",", ""))


def parse_status(text: str) -> str | None:
    code = re.sub(r"[\s-]+", "_", text.strip().lower())
    return code if code in STATUSES else None


def parse_obstacles(text: str) -> tuple[str, ...] | None:
    codes = [part.strip().upper() for part in re.split(r"[;,]", text) if part.strip()]
    return tuple(dict.fromkeys(codes)) if all(code in OBSTACLES for code in codes) else None


def _derived_status(progress: Decimal) -> str:
    """What the pipeline records for a row without status (the sample only leaves out that very one)."""
    return "not_started" if progress <= 0 else "completed" if progress >= 100 else "in_progress"


# --------------------------------------------------------------------------------------- row checks


def _judge(raw: dict[str, str | None], folder: tuple[int, int], registry: dict[str, str], cities: set[str]):
    """(first failing reason code or None, parsed values, identity for DUPLICATE)."""
    text = {c: (raw.get(c) or "").strip() or None for c in ALIASES.values()}
    city = text["city_code"].upper() if text["city_code"] else None
    project = text["project_code"].upper() if text["project_code"] else None
    month = parse_month(text["report_month"]) if text["report_month"] else None
    submitted = parse_instant(text["submitted_at"]) if text["submitted_at"] else None
    progress = parse_number(text["progress_pct"], percent=True) if text["progress_pct"] else None
    spend = parse_number(text["spend_to_date_thb"], percent=False) if text["spend_to_date_thb"] else None
    status = parse_status(text["status"]) if text["status"] else None
    obstacles = parse_obstacles(text["obstacles"]) if text["obstacles"] else ()
    checks = (  # in the contract's order; each is only asked when the ones before it passed
        ("MISSING_REQUIRED", lambda: any(text[c] is None for c in REQUIRED)),
        ("UNKNOWN_CITY", lambda: city not in cities),
        ("UNKNOWN_PROJECT", lambda: project not in registry),
        ("PROJECT_CITY_MISMATCH", lambda: registry[project] != city),
        ("BAD_MONTH", lambda: month is None or (text["submitted_at"] is not None and submitted is None)),
        ("FUTURE_MONTH", lambda: month > folder),
        ("BAD_NUMBER", lambda: progress is None or (text["spend_to_date_thb"] is not None and spend is None)),
        ("OUT_OF_RANGE", lambda: not (0 <= progress <= 100) or (spend is not None and spend < 0)),
        ("BAD_STATUS", lambda: text["status"] is not None and status is None),
        ("BAD_OBSTACLE", lambda: obstacles is None),
    )
    reason = next((code for code, failed in checks if failed()), None)
    parsed = {
        "city_code": city,
        "project_code": project,
        "report_month": month,
        "progress_pct": progress,
        "spend_to_date_thb": spend,
        "status": status,
        "obstacles": obstacles,
        "remarks": text["remarks"],
        "submitted_at": submitted,
    }
    # Identical = the same values; a value that does not parse is compared as the text sent.
    identity = tuple(
        parsed[c] if parsed[c] is not None or text[c] is None else ("text", text[c]) for c in parsed
    )
    return reason, parsed, identity


def load(landing: Path) -> Landing:
    """Read every file of the landing area and give each data row its outcome (contract section 3)."""
    cities = _read_registry(landing / "registry" / "cities.csv")
    projects = _read_registry(landing / "registry" / "projects.csv")
    registry = {p["project_code"]: p["city_code"] for p in projects}
    city_codes = {c["city_code"] for c in cities}
    files = sorted(
        (p for p in (landing / "submissions").glob("*/*") if p.is_file() and not p.name.startswith(".")),
        key=lambda p: (p.parent.name, p.name),
    )
    rows: list[Row] = []
    rejected: dict[str, str] = {}
    seen: set[tuple] = set()
    for arrival, path in enumerate(files):
        relative = path.relative_to(landing).as_posix()
        folder = (int(path.parent.name[:4]), int(path.parent.name[5:7]))
        try:
            table = read_rows(path)
        except Unreadable as error:
            rejected[relative] = str(error)
            continue
        for number, raw in table:
            row = Row(relative, folder, arrival, number, raw)
            row.reason, row.value, identity = _judge(raw, folder, registry, city_codes)
            if row.reason is None and identity in seen:
                row.reason = "DUPLICATE"
            seen.add(identity)
            if row.reason:
                row.outcome = "quarantined"
            elif row.value["status"] is None:
                row.value["status"] = _derived_status(row.value["progress_pct"])
            rows.append(row)
    _supersede([row for row in rows if row.outcome == "accepted"])
    return Landing(landing, cities, projects, rows, rejected)


def _supersede(accepted: list[Row]) -> None:
    """For each project and month the row submitted last stays; a row without submitted_at counts at its
    file's arrival, after every timestamp given; ties go to the later file, then the later row."""
    latest: dict[tuple, tuple[tuple, Row]] = {}
    for row in accepted:
        stamp = row.value["submitted_at"]
        rank = (0, stamp, row.arrival, row.number) if stamp else (1, row.arrival, row.number)
        key = (row.value["project_code"], row.value["report_month"])
        if key in latest and latest[key][0] > rank:
            row.outcome = "superseded"
            continue
        if key in latest:
            latest[key][1].outcome = "superseded"
        latest[key] = (rank, row)


def outcomes(source: Path | Landing) -> dict[str, list[tuple[int, str, str | None]]]:
    """(row, outcome, reason code) of every data row, by file."""
    landing = source if isinstance(source, Landing) else load(source)
    found: dict[str, list[tuple[int, str, str | None]]] = {path: [] for path in landing.rejected}
    for row in landing.rows:
        found.setdefault(row.file, []).append((row.number, row.outcome, row.reason))
    return found


def manifest_problems(source: Path | Landing) -> list[str]:
    """Where this reading differs from the generator's EXPECTED_OUTCOMES.json (empty when they agree)."""
    landing = source if isinstance(source, Landing) else load(source)
    manifest = json.loads((landing.root / MANIFEST).read_text(encoding="utf-8"))
    expected = {
        path: [(r["row"], r["outcome"], r.get("reason_code")) for r in entry["rows"]]
        for path, entry in manifest["files"].items()
    }
    found = outcomes(landing)
    problems = [
        f"{path}: expected {expected.get(path)}, read {found.get(path)}"
        for path in sorted(set(expected) | set(found))
        if expected.get(path) != found.get(path)
    ]
    if sorted(manifest["rejected_files"]) != sorted(landing.rejected):
        problems.append(
            f"rejected files: expected {manifest['rejected_files']}, read {sorted(landing.rejected)}"
        )
    return problems


# ---------------------------------------------------------------------------------------- figures


def _year_month(text: str) -> tuple[int, int]:
    """'YYYY-MM' or 'YYYY-MM-DD' of the registry, a year >= 2400 being Buddhist Era."""
    year, month = int(text[:4]), int(text[5:7])
    return (year - 543 if year >= 2400 else year, month)


def _pct(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def current(landing: Landing) -> list[Row]:
    return [row for row in landing.rows if row.outcome == "accepted"]


def states(source: Path | Landing, month: str) -> dict[str, dict]:
    """Each project's current row with the latest report_month <= month: its parsed values."""
    landing = source if isinstance(source, Landing) else load(source)
    limit = _year_month(month)
    best: dict[str, dict] = {}
    for row in current(landing):
        value = row.value
        if value["report_month"] <= limit:
            known = best.get(value["project_code"])
            if known is None or value["report_month"] > known["report_month"]:
                best[value["project_code"]] = value
    return best


def compute(source: Path | Landing, month: str = TARGET_MONTH) -> Figures:
    landing = source if isinstance(source, Landing) else load(source)
    limit = _year_month(month)
    certified = {
        c["city_code"]
        for c in landing.cities
        if c["status"] == "certified" and _year_month(c["status_since"]) <= limit
    }
    state = states(landing, month)
    never = {
        "progress_pct": Decimal(0),
        "spend_to_date_thb": Decimal(0),
        "status": "not_started",
        "obstacles": (),
    }
    budget: dict[str, Decimal] = {}
    earned: dict[str, Decimal] = {}
    spend = Decimal(0)
    obstacles: dict[str, int] = {}
    projects = 0
    for p in landing.projects:
        if p["city_code"] not in certified:
            continue
        row = state.get(p["project_code"], never)
        for code in row["obstacles"]:
            obstacles[code] = obstacles.get(code, 0) + 1
        if row["status"] == "cancelled":
            continue
        projects += 1
        b = Decimal(p["budget_thb"])
        budget[p["city_code"]] = budget.get(p["city_code"], Decimal(0)) + b
        earned[p["city_code"]] = earned.get(p["city_code"], Decimal(0)) + b * row["progress_pct"]
        spend += row["spend_to_date_thb"] or Decimal(0)
    total = sum(budget.values(), Decimal(0))
    return Figures(
        month=month,
        certified_cities=len(certified),
        projects=projects,
        progress_pct=_pct(sum(earned.values(), Decimal(0)) / total),
        investment_value_thb=total,
        spend_to_date_thb=spend,
        city_progress_pct={c: _pct(earned[c] / budget[c]) for c in sorted(budget) if budget[c]},
        obstacle_projects=dict(sorted(obstacles.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def misses(fig: Figures) -> list[str]:
    """What differs from the reported March 2024 headline (empty when everything matches)."""
    found = []
    for name in ("certified_cities", "progress_pct", "investment_value_thb"):
        if getattr(fig, name) != TARGETS[name]:
            found.append(f"{name}: {getattr(fig, name)} != {TARGETS[name]}")
    ranked = sorted(fig.city_progress_pct.items(), key=lambda kv: (-kv[1], kv[0]))
    if tuple(ranked[:3]) != TARGETS["top_cities"]:
        found.append(f"top cities: {ranked[:3]}")
    found += [f"{c} at {v} is not clearly below the top 3" for c, v in ranked[3:] if v >= OTHER_CITIES_BELOW]
    counts = fig.obstacle_projects
    order = TARGETS["obstacle_order"]
    rest = max((n for code, n in counts.items() if code not in order), default=0)
    chain = [counts.get(code, 0) for code in order] + [rest]
    if any(a <= b for a, b in zip(chain, chain[1:], strict=False)):
        found.append(f"obstacle ranking: {counts}")
    return found


def row_problems(source: Path | Landing) -> list[str]:
    """Consistency of the accepted, current rows: not ahead of their folder, spend within budget, status
    matching progress, cumulative figures never going down."""
    landing = source if isinstance(source, Landing) else load(source)
    budgets = {p["project_code"]: Decimal(p["budget_thb"]) for p in landing.projects}
    found = []
    history: dict[str, list[dict]] = {}
    for row in current(landing):
        value = row.value
        history.setdefault(value["project_code"], []).append(value)
        where = f"{row.file} row {row.number} {value['project_code']}"
        if value["report_month"] > row.folder:
            found.append(f"{where}: report month {value['report_month']} after its folder")
        if (value["spend_to_date_thb"] or 0) > budgets[value["project_code"]]:
            found.append(f"{where}: spend above budget")
        progress = value["progress_pct"]
        expected = {Decimal(0): {"not_started"}, Decimal(100): {"completed"}}.get(progress, {"in_progress"})
        if value["status"] not in expected | {"suspended", "cancelled"}:
            found.append(f"{where}: status {value['status']} at {progress} %")
    for code, values in history.items():
        values.sort(key=lambda v: v["report_month"])
        for before, after in zip(values, values[1:], strict=False):
            for column in ("progress_pct", "spend_to_date_thb"):
                if (after[column] or 0) < (before[column] or 0):
                    found.append(f"{code}: {column} goes down in {after['report_month']}")
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    landing = load(Path(args[0]) if args else Path("include/sample_landing"))
    fig = compute(landing, args[1] if len(args) > 1 else TARGET_MONTH)
    print(fig)
    problems = (misses(fig) if fig.month == TARGET_MONTH else []) + row_problems(landing)
    if (landing.root / MANIFEST).is_file():
        problems += manifest_problems(landing)
    for line in problems:
        print("MISS", line)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
