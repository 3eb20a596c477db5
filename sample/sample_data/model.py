"""The planned landing area: every submission file with its rows and the outcome each row must have.

Rows are held in canonical text (the spelling is the file's style, applied when writing), each with the
outcome the contract gives it: accepted, superseded (a later submission for the same project and month
replaced it) or quarantined with a reason code. Files the pipeline cannot read carry their bytes instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .common import month_text
from .variants import FileStyle

ACCEPTED, SUPERSEDED, QUARANTINED = "accepted", "superseded", "quarantined"
REASON_ORDER = (
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
)


@dataclass
class PlannedRow:
    values: dict[str, str]  # canonical text by column; '' = empty
    outcome: str = ACCEPTED
    reason: str = ""  # reason_code of a quarantined row
    note: str = ""  # what is special about the row: a planted fault, a correction, a late row ...
    verbatim: frozenset[str] = frozenset()  # columns written exactly as given (a planted fault)
    pinned: bool = False  # keeps status and submitted_at: it takes part in a supersession or a duplicate
    superseded_by: str = ""  # 'path#row' of the row that replaced it

    @property
    def key(self) -> tuple[str, str]:
        return self.values["project_code"], self.values["report_month"]

    @property
    def plain(self) -> bool:
        return not self.note and self.outcome == ACCEPTED and not self.pinned


@dataclass
class PlannedFile:
    path: str  # relative to the landing root
    folder: int  # month index of submissions/<YYYY-MM>/
    city: str
    style: FileStyle | None
    rows: list[PlannedRow] = field(default_factory=list)
    role: str = "regular"  # regular | late file | correction file | re-sent file | rejected
    content: bytes | None = None  # written as is (a file the pipeline rejects)
    rejected: str = ""  # why it lands in dq.rejected_files

    @property
    def blank_after(self) -> int | None:
        """Where the style's empty row goes: half-way down (never first or last)."""
        if self.style is None or not self.style.blank_row or len(self.rows) < 2:
            return None
        return len(self.rows) // 2


def folder_path(folder: int, name: str) -> str:
    return f"submissions/{month_text(folder)}/{name}"


def arrival_order(files: list[PlannedFile]) -> list[PlannedFile]:
    """The order the pipeline receives files in: landing month, then path."""
    return sorted(files, key=lambda f: (f.folder, f.path))


def settle(files: list[PlannedFile]) -> None:
    """Check that the rows planned as superseded are exactly the ones the contract supersedes, and note by
    what. For one project and month the accepted row with the latest submitted_at wins; a row without
    submitted_at counts at its file's arrival, which is after every timestamp in the sample."""
    contenders: dict[tuple[str, str], list[tuple[tuple, PlannedFile, int, PlannedRow]]] = {}
    for arrival, f in enumerate(arrival_order(files)):
        for number, row in enumerate(f.rows, start=1):
            if row.outcome == QUARANTINED:
                continue
            given = row.values["submitted_at"]
            rank = (0, datetime.fromisoformat(given), arrival, number) if given else (1, arrival, number)
            contenders.setdefault(row.key, []).append((rank, f, number, row))
    for key, rows in contenders.items():
        rows.sort(key=lambda item: item[0])
        _, winner_file, winner_number, _ = rows[-1]
        for _, f, number, row in rows:
            expected = SUPERSEDED if row is not rows[-1][3] else ACCEPTED
            if row.outcome != expected:
                raise AssertionError(
                    f"{f.path} row {number} {key}: planned {row.outcome}, contract {expected}"
                )
            if expected == SUPERSEDED:
                row.superseded_by = f"{winner_file.path}#{winner_number}"
