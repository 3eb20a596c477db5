"""Codes and headers as cities type them, read into the contract's vocabulary (smartcity.contract): project
statuses, obstacle lists, city and project codes, column headers in Thai or English.

The values themselves (text, months, dates, timestamps, numbers, money) are read by smartcity.parsing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from smartcity import contract
from smartcity.parsing import ParseError, clean_text, thai_to_ascii_digits
from smartcity.parsing.text import _show

# The contract's vocabulary lives in smartcity.contract; the names below are kept for the modules that read
# them from here.
OBSTACLE_CODES = contract.OBSTACLE_CODES
STATUS_CODES = contract.STATUS_CODES
SUBMISSION_COLUMNS = contract.SUBMISSION_COLUMNS
THAI_HEADER_ALIASES: Mapping[str, str] = contract.THAI_HEADER_ALIASES


def normalize_code(value: object) -> str | None:
    """A city or project code in its canonical spelling; the pattern itself is checked by validation."""
    text = clean_text(value)
    return None if text is None else thai_to_ascii_digits(text).upper()


_LIST_SEPARATORS = re.compile(r"[;,；，、]")


def parse_obstacles(value: str | None) -> tuple[str, ...]:
    """The obstacle codes of a row, deduplicated in the order written; '' or a lone dash means none."""
    text = clean_text(value)
    if text is None or re.fullmatch(r"[-–—]+", text):
        return ()
    codes: list[str] = []
    for part in _LIST_SEPARATORS.split(text):
        code = clean_text(part)
        if code is None:
            continue
        code = code.upper()
        if code not in OBSTACLE_CODES:
            raise ParseError(
                f"{_show(value)} is not a list of obstacles: {code!r} is not an obstacle code "
                f"(use {', '.join(OBSTACLE_CODES)}, separated by ';' or ',')"
            )
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def parse_status(value: str | None) -> str:
    """A project status code; 'In Progress' and 'in-progress' are the same status typed differently."""
    text = clean_text(value)
    code = re.sub(r"[\s-]+", "_", text.lower()) if text else ""
    if code not in STATUS_CODES:
        reason = "it is empty" if not text else f"use one of {', '.join(STATUS_CODES)}"
        raise ParseError(f"{_show(value)} is not a status: {reason}")
    return code


def canonical_header(name: str) -> str:
    """The contract's column name for a header as typed (Thai alias, 'Report Month'); unknown ones cleaned."""
    text = clean_text(name) or ""
    for candidate in (text, re.sub(r"\s*\([^()]*\)$", "", text)):
        if candidate in THAI_HEADER_ALIASES:
            return THAI_HEADER_ALIASES[candidate]
    cleaned = re.sub(r"[\s-]+", "_", text.lower())
    unit_less = re.sub(r"_*\([^()]*\)$", "", cleaned)
    return unit_less if unit_less in SUBMISSION_COLUMNS else cleaned


__all__ = [
    "OBSTACLE_CODES",
    "STATUS_CODES",
    "SUBMISSION_COLUMNS",
    "THAI_HEADER_ALIASES",
    "canonical_header",
    "normalize_code",
    "parse_obstacles",
    "parse_status",
]
