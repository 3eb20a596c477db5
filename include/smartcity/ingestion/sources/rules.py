"""What the pipeline takes from a landing area and why it leaves the rest (contract section 2).

Pure rules on names, shared by every kind of landing area: which folder names are months (a Buddhist-Era
year is read like a row's: 2567-03 is March 2024), which file names are uploads in progress or editor
droppings, and the sentence that tells a person why a file was not taken and what to do. Nothing here
touches a file system.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from smartcity.parsing import BE_OFFSET

# The earliest month a folder may name (contract section 2): the programme began in 2021, and anything before
# 2000 is a typo, never a month of submissions.
FIRST_FOLDER_YEAR = 2000
_MONTH_FOLDER = re.compile(r"^(\d{4})-(\d{2})$")
_MONTH_LIKE = re.compile(r"^\s*(\d{2,4})\D{1,3}(\d{1,2})\b|^\s*(\d{1,2})\D{1,3}(\d{4})\s*$")

# Names that upload tools, browsers and office suites give a file that is not complete or not a submission:
# WinSCP's .filepart, browsers' .crdownload/.download/.part, generic .tmp/.temp/.partial, Office's ~$ lock
# files, LibreOffice's .~lock.<name>#, editors' backups ending in ~.
TEMPORARY_SUFFIXES = (".part", ".partial", ".filepart", ".tmp", ".temp", ".crdownload", ".download", ".swp")
TEMPORARY_PREFIXES = ("~$", ".~lock.")


@dataclass(frozen=True)
class NotTaken:
    """An entry of the landing area the pipeline does not take, and why (listed in dq.rejected_files)."""

    path: str  # relative to the landing root, '/' separated; a folder ends with '/'
    reason_code: str
    reason: str
    month: date | None = None  # the month folder it lies in, when it lies in one


def folder_month(name: str) -> date | None:
    """The month a `YYYY-MM` folder name stands for, a 4-digit year >= 2400 read as Buddhist Era (-543), like
    a row's report_month; None when the name is not of that form (the range is `month_out_of_range`'s)."""
    match = _MONTH_FOLDER.match(name)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    year = int(match.group(1))
    return date(year - BE_OFFSET if year >= 2400 else year, int(match.group(2)), 1)


def not_a_month_folder(path: str) -> NotTaken:
    name = path.rstrip("/").rsplit("/", 1)[-1]
    hint = " (write the month with 4 digits, a dash and 2 digits: 2024-03)" if _MONTH_LIKE.match(name) else ""
    return NotTaken(
        path,
        "NOT_A_MONTH_FOLDER",
        f"the folder {name!r} is not a month folder{hint}; put the files in submissions/YYYY-MM/, the month "
        "they were sent for (a Buddhist-Era year such as 2567-03 is read as March 2024)",
    )


def month_out_of_range(path: str, month: date, latest: date) -> NotTaken | None:
    """A month folder before 2000 or after the current month is a typo; it is listed, never processed."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    if month.year < FIRST_FOLDER_YEAR:
        problem = f"is {month:%Y-%m} (CE), before {FIRST_FOLDER_YEAR}"
    elif month > latest:
        problem = f"is {month:%Y-%m} (CE), a month that has not begun yet (it is now {latest:%Y-%m})"
    else:
        return None
    return NotTaken(
        path,
        "MONTH_OUT_OF_RANGE",
        f"the month folder {name!r} {problem}; rename it to the month the files were sent for, e.g. "
        f"{latest:%Y-%m} (or {latest.year + BE_OFFSET}-{latest:%m} in Buddhist Era)",
    )


def outside_month_folder(path: str) -> NotTaken:
    return NotTaken(
        path,
        "OUTSIDE_MONTH_FOLDER",
        "the file lies directly under submissions/, outside any month folder; move it into "
        "submissions/YYYY-MM/, the month it was sent for",
    )


def nested_folder(path: str, month: date) -> NotTaken:
    return NotTaken(
        path,
        "NESTED_FOLDER",
        "a folder inside a month folder is not read; put its files directly in the month folder "
        f"submissions/{month:%Y-%m}/",
        month,
    )


def name_problem(path: str, month: date | None) -> NotTaken | None:
    """A hidden file or the name of an upload in progress / an editor's lock file; None for a submission."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    lowered = name.lower()
    if name.startswith(TEMPORARY_PREFIXES) or lowered.endswith(TEMPORARY_SUFFIXES) or name.endswith("~"):
        return NotTaken(
            path,
            "TEMPORARY_FILE",
            "the name is that of a temporary file (an upload in progress, or an office suite's lock or "
            "backup file); it is not read: when the upload is complete, give the file its real name",
            month,
        )
    if name.startswith("."):
        return NotTaken(
            path,
            "HIDDEN_FILE",
            "a hidden file (its name starts with '.') is not read; if it is a submission, rename it without "
            "the leading '.'",
            month,
        )
    return None


def link_outside(path: str, month: date | None) -> NotTaken:
    return NotTaken(
        path,
        "LINK_OUTSIDE_LANDING",
        "a link to a file outside the landing area is not followed; copy the file itself into the landing "
        "area",
        month,
    )


def broken_link(path: str, month: date | None) -> NotTaken:
    return NotTaken(
        path, "NOT_A_REGULAR_FILE", "a link to nothing (its target is missing); copy the file itself", month
    )


def not_a_regular_file(path: str, month: date | None, kind: str) -> NotTaken:
    return NotTaken(
        path,
        "NOT_A_REGULAR_FILE",
        f"not a regular file but {kind}; only files are read: copy the submission in as a file",
        month,
    )


def cannot_be_read(path: str, month: date | None, why: str) -> NotTaken:
    return NotTaken(
        path,
        "UNREADABLE",
        f"the file cannot be opened ({why}); give the pipeline's user read access to it (the landing area "
        "itself is never written), and it is taken by the next run",
        month,
    )


def still_being_written(path: str, month: date, seconds: float) -> NotTaken:
    return NotTaken(
        path,
        "INCOMPLETE",
        f"the file was still being written (it changed within the last {seconds:g} s); it is taken by the "
        "next run once it has stopped changing",
        month,
    )
