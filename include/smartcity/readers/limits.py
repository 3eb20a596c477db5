"""The caps on one received file, the error that refuses a file, and the words shared by every reader.

Files come from outside, so every read is bounded (docs/data-contract.md "Limits"): the size is checked before
a byte is read, and the rows, columns, cells and (for XLSX) the unpacked archive are capped by the readers of
each format. A file over a cap is an `UnreadableFile` like any other: kept, listed with its reason, never
loaded whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from smartcity.config import DEFAULT_MAX_FILE_MB, DEFAULT_MAX_ROWS_PER_FILE, Settings

MB = 1 << 20  # as Windows counts the size a submitter sees
# Fixed caps, beside the configurable ones: no genuine submission comes near them, and each bounds the work a
# hostile file can cause. Excel itself holds at most 32,767 characters in a cell.
MAX_CELL_CHARS = 32_767
MAX_COLUMNS = 256  # a submission has 9 columns; cells right of this are read only when empty (padding)
MAX_HEADER_CHARS = 1_000  # a column name is a short label; also bounds canonical_header's regexes
XLSX_UNPACKED_FACTOR = 4  # a 200,000-row sheet unpacks to 100-200 MB: 4 times the file cap leaves room

EXPORT_CSV = "export the sheet again as CSV UTF-8 (Excel: File > Save As > CSV UTF-8)"
EXPORT_XLSX = "export the sheet again as .xlsx or .csv"


@dataclass(frozen=True)
class ReadLimits:
    """The caps on one file (SMARTCITY_MAX_FILE_MB, SMARTCITY_MAX_ROWS_PER_FILE)."""

    max_bytes: int = DEFAULT_MAX_FILE_MB * MB
    max_rows: int = DEFAULT_MAX_ROWS_PER_FILE

    @classmethod
    def of(cls, settings: Settings) -> ReadLimits:
        return cls(settings.max_file_mb * MB, settings.max_rows_per_file)

    @property
    def max_unpacked_bytes(self) -> int:
        return XLSX_UNPACKED_FACTOR * self.max_bytes


class UnreadableFile(Exception):
    """A received file that cannot be read at all; `reason` tells the submitter what to do about it, `code`
    names the kind (listed in dq.rejected_files): UNREADABLE, or INCOMPLETE for a file cut off mid-row."""

    def __init__(self, reason: str, code: str = "UNREADABLE") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def read_bytes(path: Path, limits: ReadLimits) -> bytes:
    """The file's bytes; a file over the size cap is refused before any of it is read."""
    size = path.stat().st_size
    if size <= limits.max_bytes:
        with path.open("rb") as handle:
            data = handle.read(size + 1)
            if len(data) > size:  # it grew since: read on, up to one byte over the cap
                data += handle.read(limits.max_bytes + 1 - len(data))
        if len(data) <= limits.max_bytes:
            return data
        size = len(data)
    raise UnreadableFile(
        f"the file is {size_text(size)}, more than the {size_text(limits.max_bytes)} accepted in one file; "
        "split it into several files (for example one per city or per group of cities) and send them together"
    )


def cell_too_long(where: str, length: str) -> str:
    return (
        f"{where} has a cell of {length} characters, more than the {MAX_CELL_CHARS:,} a spreadsheet cell "
        "holds; shorten it and send the file again"
    )


def header_too_long(where: str, length: int) -> str:
    return (
        f"{where} is {length:,} characters long, but a column name is a short label such as city_code or "
        "รหัสเมือง; check that the first row of the table is its header and send the file again"
    )


def shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def size_text(n_bytes: int) -> str:
    if n_bytes < MB:
        return f"{n_bytes:,} bytes"
    return f"{n_bytes / MB:,.0f} MB" if n_bytes % MB == 0 else f"{n_bytes / MB:,.1f} MB"
