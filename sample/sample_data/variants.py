"""How each submission file is written: container, encoding, delimiter, headers and the spelling of values.

The rows of the sample are built in canonical text (`2024-03`, `45.50`, `1234567.89`, ISO timestamps); a
`FileStyle` then says how one city office typed them that month: CSV with `,` or `;`, UTF-8 with or without
BOM or Thai Windows-874, XLSX or JSON, English or Thai headers, Buddhist-Era years, Thai month names, Thai
digits, `%` signs, thousands separators, stray spaces, a missing `submitted_at` or `status`. Every spelling
here is one the contract accepts, so a style never changes what a row says (`spell_row` is checked against
that by the independent reader in headline.py, which must get the canonical values back).

A city keeps its habits from month to month (the same clerk, the same spreadsheet), with a chance of a change
each month; the choices come from seeded streams, so the styles are the same on every run.
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from .common import BE_OFFSET, rng

if TYPE_CHECKING:
    from .model import PlannedFile, PlannedRow

COLUMNS = (
    "city_code",
    "project_code",
    "report_month",
    "progress_pct",
    "spend_to_date_thb",
    "status",
    "obstacles",
    "remarks",
    "submitted_at",
)
THAI_HEADERS = {
    "city_code": "รหัสเมือง",
    "project_code": "รหัสโครงการ",
    "report_month": "เดือนที่รายงาน",
    "progress_pct": "ความก้าวหน้าสะสม",
    "spend_to_date_thb": "เบิกจ่ายสะสม",
    "status": "สถานะ",
    "obstacles": "ปัญหาอุปสรรค",
    "remarks": "หมายเหตุ",
    "submitted_at": "วันที่ส่ง",
}
THAI_MONTHS = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
THAI_MONTH_ABBREVIATIONS = (
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
)
_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")

# Spellings of report_month, with an example for 2024-03 (README and manifest use these names).
MONTH_STYLES = {
    "iso": "2024-03",
    "iso_day": "2024-03-31",
    "mm_yyyy": "03/2024",
    "be_iso": "2567-03",
    "be_day": "2567-03-31",
    "mm_be": "03/2567",
    "thai_full_be": "มีนาคม 2567",
    "thai_full_be2": "มีนาคม 67",
    "thai_abbr_be": "มี.ค. 2567",
    "thai_abbr_be2": "มี.ค. 67",
}
# Spellings of submitted_at, with an example.
TIMESTAMP_STYLES = {
    "iso": "2024-04-10T14:34:45+07:00",
    "space": "2024-04-10 14:34:45",
    "be_space": "2567-04-10 14:34:45",
    "dmy_be": "10/04/2567 14:34:45",
}
KINDS = ("csv", "xlsx", "json")
ENCODINGS = ("utf-8", "utf-8-sig", "cp874")


@dataclass(frozen=True)
class FileStyle:
    kind: str = "csv"  # csv | xlsx | json
    encoding: str = "utf-8"  # csv and json: utf-8 | utf-8-sig (BOM) | cp874 (csv only)
    delimiter: str = ","  # csv
    newline: str = "\n"  # csv: "\n" or "\r\n" (what Excel on Windows writes)
    headers: str = "en"  # en | th (the contract's Thai aliases)
    padded_headers: bool = False  # stray spaces around header names
    month: str = "iso"  # a key of MONTH_STYLES
    timestamp: str = "iso"  # a key of TIMESTAMP_STYLES
    thai_digits: bool = False  # ๐–๙ in months, numbers and timestamps
    percent: bool = False  # progress written with a % sign
    thousands: bool = False  # spend written with thousands separators
    padded_values: bool = False  # stray spaces (and a no-break space) around values
    obstacles_comma: bool = False  # obstacles separated by ', ' instead of ';'
    typed: bool = False  # xlsx: numbers, dates and times as Excel cells; json: numbers as JSON numbers
    sparse: bool = False  # some rows leave status and/or submitted_at empty
    omit: tuple[str, ...] = ()  # columns the file does not have at all (status, submitted_at)
    blank_row: bool = False  # csv/xlsx: an empty line among the rows (not a data row)
    extra_sheet: bool = False  # xlsx: a second worksheet the pipeline must ignore

    @property
    def extension(self) -> str:
        return self.kind

    def labels(self) -> list[str]:
        """The variants this style exercises, as short labels (manifest and README)."""
        found = [self.kind]
        if self.kind == "csv":
            found += [f"encoding {self.encoding}", f"delimiter '{self.delimiter}'"]
            if self.newline == "\r\n":
                found.append("CRLF line ends")
        if self.kind == "json" and self.encoding == "utf-8-sig":
            found.append("encoding utf-8-sig")
        found.append("Thai headers" if self.headers == "th" else "English headers")
        flags = {
            "padded headers": self.padded_headers,
            "Thai digits": self.thai_digits,
            "% signs": self.percent,
            "thousands separators": self.thousands,
            "padded values": self.padded_values,
            "obstacles separated by ','": self.obstacles_comma,
            "blank row": self.blank_row,
            "second worksheet": self.extra_sheet,
        }
        if self.typed:
            found.append("Excel number and date cells" if self.kind == "xlsx" else "JSON numbers")
        if not (self.typed and self.kind == "xlsx"):
            found += [f"report_month {self.month}", f"submitted_at {self.timestamp}"]
        found += [label for label, on in flags.items() if on]
        found += [f"no {column} column" for column in self.omit]
        return found


def _pick(r, weights: dict[str, float]) -> str:
    return r.choices(list(weights), weights=list(weights.values()))[0]


def _habit_or_month(habit, month_r, draw):
    """The city's usual choice, or (one month in three) whatever the person on duty did."""
    return draw(month_r) if month_r.random() < 0.3 else draw(habit)


def style_for(city: str, month: int) -> FileStyle:
    """The style of city's regular file in month: per-field habits of the city, with monthly changes."""

    def field(name: str, draw):
        return _habit_or_month(rng("habit", city, name), rng("style", city, month, name), draw)

    kind = field("kind", lambda r: _pick(r, {"csv": 0.68, "xlsx": 0.16, "json": 0.16}))
    encoding = "utf-8"
    if kind == "csv":
        encoding = field("encoding", lambda r: _pick(r, {"utf-8": 0.55, "utf-8-sig": 0.25, "cp874": 0.2}))
    elif kind == "json":
        encoding = field("encoding", lambda r: "utf-8-sig" if r.random() < 0.12 else "utf-8")
    month_weights = {name: 0.055 for name in MONTH_STYLES} | {"iso": 0.45}
    style = FileStyle(
        kind=kind,
        encoding=encoding,
        delimiter=field("delimiter", lambda r: ";" if r.random() < 0.25 else ",") if kind == "csv" else ",",
        headers="th"
        if encoding == "cp874"
        else field("headers", lambda r: "th" if r.random() < 0.3 else "en"),
        padded_headers=field("padded_headers", lambda r: r.random() < 0.12),
        month=field("month", lambda r: _pick(r, month_weights)),
        timestamp=field(
            "timestamp", lambda r: _pick(r, {"iso": 0.7, "space": 0.12, "be_space": 0.1, "dmy_be": 0.08})
        ),
        thai_digits=field("thai_digits", lambda r: r.random() < 0.08),
        percent=field("percent", lambda r: r.random() < 0.15),
        thousands=field("thousands", lambda r: r.random() < 0.2),
        padded_values=rng("style", city, month, "padded_values").random() < 0.1,
        obstacles_comma=field("obstacles_comma", lambda r: r.random() < 0.15),
        typed=kind != "csv" and field("typed", lambda r: r.random() < 0.5),
        sparse=rng("style", city, month, "sparse").random() < 0.08,
        blank_row=kind != "json" and rng("style", city, month, "blank_row").random() < 0.06,
        extra_sheet=kind == "xlsx" and field("extra_sheet", lambda r: r.random() < 0.3),
    )
    newline = "\n"
    if kind == "csv" and encoding != "utf-8" and rng("style", city, month, "newline").random() < 0.7:
        newline = "\r\n"
    omit_r = rng("style", city, month, "omit")
    roll = omit_r.random()
    omit = ("submitted_at",) if roll < 0.035 else ("status",) if roll < 0.055 else ()
    return replace(style, newline=newline, omit=omit)


# --------------------------------------------------------------------------------------------- spellings


class JsonNumber(str):
    """Text to be written into JSON as a number literal, exactly as given (45.50 stays 45.50)."""


def _digits(text: str, style: FileStyle) -> str:
    return text.translate(_THAI_DIGITS) if style.thai_digits else text


def spell_month(canonical: str, style: FileStyle) -> str:
    """'YYYY-MM' (CE) as this style writes it."""
    year, month = int(canonical[:4]), int(canonical[5:7])
    be = year + BE_OFFSET
    last = calendar.monthrange(year, month)[1]
    text = {
        "iso": f"{year:04d}-{month:02d}",
        "iso_day": f"{year:04d}-{month:02d}-{last:02d}",
        "mm_yyyy": f"{month:02d}/{year:04d}",
        "be_iso": f"{be}-{month:02d}",
        "be_day": f"{be}-{month:02d}-{last:02d}",
        "mm_be": f"{month:02d}/{be}",
        "thai_full_be": f"{THAI_MONTHS[month - 1]} {be}",
        "thai_full_be2": f"{THAI_MONTHS[month - 1]} {be % 100:02d}",
        "thai_abbr_be": f"{THAI_MONTH_ABBREVIATIONS[month - 1]} {be}",
        "thai_abbr_be2": f"{THAI_MONTH_ABBREVIATIONS[month - 1]} {be % 100:02d}",
    }[style.month]
    return _digits(text, style)


def spell_timestamp(canonical: str, style: FileStyle) -> str:
    """'YYYY-MM-DDTHH:MM:SS+07:00' as this style writes it (the forms without offset are Bangkok time)."""
    assert canonical.endswith("+07:00"), canonical
    year, rest = int(canonical[:4]), canonical[4:19]  # rest: '-MM-DDTHH:MM:SS'
    month, day, clock = rest[1:3], rest[4:6], rest[7:]
    text = {
        "iso": canonical,
        "space": f"{year:04d}-{month}-{day} {clock}",
        "be_space": f"{year + BE_OFFSET}-{month}-{day} {clock}",
        "dmy_be": f"{day}/{month}/{year + BE_OFFSET} {clock}",
    }[style.timestamp]
    return _digits(text, style)


def spell_percent(canonical: str, style: FileStyle) -> str:
    return _digits(canonical + ("%" if style.percent else ""), style)


def spell_money(canonical: str, style: FileStyle) -> str:
    if style.thousands:
        whole, _, cents = canonical.partition(".")
        canonical = f"{int(whole):,}" + (f".{cents}" if cents else "")
    return _digits(canonical, style)


def _pad(text: str, position: int) -> str:
    return (" " + text + " ", "  " + text, text + "\u00a0", " " + text)[position % 4]


def header_names(style: FileStyle, columns: tuple[str, ...]) -> list[str]:
    names = [THAI_HEADERS[c] if style.headers == "th" else c for c in columns]
    return [_pad(n, i) for i, n in enumerate(names)] if style.padded_headers else names


def spell_row(values: dict[str, str], style: FileStyle, verbatim: frozenset[str], row_index: int) -> dict:
    """The cells of one row: text as typed, or (typed styles) Excel/JSON values. Empty values stay ''.

    A planted fault's columns (`verbatim`) are written exactly as given, as text."""
    cells: dict[str, object] = {}
    excel = style.typed and style.kind == "xlsx"
    number = style.typed and style.kind == "json"
    for column, value in values.items():
        if column in verbatim or value == "":
            cells[column] = value
        elif column == "report_month":
            cells[column] = (
                datetime(int(value[:4]), int(value[5:7]), 1) if excel else spell_month(value, style)
            )
        elif column == "submitted_at":
            cells[column] = (
                datetime.fromisoformat(value).replace(tzinfo=None) if excel else spell_timestamp(value, style)
            )
        elif column in ("progress_pct", "spend_to_date_thb"):
            if excel:
                cells[column] = float(value)
            elif number:
                cells[column] = JsonNumber(value)
            else:
                spell = spell_percent if column == "progress_pct" else spell_money
                cells[column] = spell(value, style)
        elif column == "obstacles" and style.obstacles_comma:
            cells[column] = value.replace(";", ", ")
        else:
            cells[column] = value
        padded = style.padded_values and column in _PADDED and column not in verbatim
        if padded and type(cells[column]) is str and cells[column]:
            cells[column] = _pad(cells[column], row_index + COLUMNS.index(column))
    return cells


_PADDED = ("city_code", "project_code", "progress_pct", "status", "report_month")


# ------------------------------------------------------------------------------------------ empty cells


def derived_status(progress: str) -> str:
    """The status a row without one is given (0 not started, 100 completed, else in progress)."""
    value = Decimal(progress)
    return "not_started" if value <= 0 else "completed" if value >= 100 else "in_progress"


def leave_gaps(files: list[PlannedFile]) -> None:
    """Apply the styles' missing columns and empty cells, where leaving a value out changes nothing:
    status only where it is the one derived from progress, submitted_at only on the single row of its
    project and month, never on a row that takes part in a supersession or a duplicate, nor on a planted
    fault's own column. A file whose style omits a column it cannot spare keeps the column."""
    live = Counter(row.key for f in files for row in f.rows if row.outcome != "quarantined")

    def spare(row: PlannedRow, column: str) -> bool:
        if row.pinned or column in row.verbatim:
            return False
        if row.outcome == "quarantined" or not row.values[column]:
            return True
        if column == "status":
            return row.values["status"] == derived_status(row.values["progress_pct"])
        return live[row.key] == 1

    for f in files:
        if f.style is None or not (f.style.sparse or f.style.omit):
            continue
        omit = tuple(c for c in f.style.omit if all(spare(row, c) for row in f.rows))
        f.style = replace(f.style, omit=omit)
        r = rng("gaps", f.path)
        for row in f.rows:
            for column in ("status", "submitted_at"):
                drop = column in omit or (
                    f.style.sparse and row.outcome == "accepted" and spare(row, column) and r.random() < 0.35
                )
                if drop:
                    row.values[column] = ""
