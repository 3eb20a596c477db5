"""Text as a city typed it, made clean: invisible edge characters stripped, Thai digits made ASCII; and the
machinery every parser of the package shares (the error a submitter reads, the common first step)."""

from __future__ import annotations

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
# Every character for which str.isspace() (and so regex \s) holds, plus the zero-width ones: stripped by
# str.strip, which is linear, where a regex anchored at the end is quadratic on a long run of inner spaces.
# tests/unit/test_normalize.py checks the list against isspace() over all of Unicode.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_EDGE_JUNK = WHITESPACE + ZERO_WIDTH
_DROP_ZERO_WIDTH = dict.fromkeys(map(ord, ZERO_WIDTH))
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_SHOWN_LENGTH = 40
_MAX_LENGTH = 100


class ParseError(ValueError):
    """A submitted value could not be read; the message names the value and why, for the quarantine detail."""


class _Reason(Exception):
    """Internal: why a value failed, before the public function prefixes the value and what it should be."""


class _NoMatch(_Reason):
    """Internal: the value matches no accepted spelling at all; the public function says what was expected."""


def _is_missing(value: object) -> bool:
    """None, float NaN, pandas NA/NaT: the forms 'no value' takes when data went through pandas or Excel."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):  # pandas.NA (and array-likes) refuse to be a bool: treat as no value
        return True


def clean_text(value: object) -> str | None:
    """Text without invisible edge characters (spaces, NBSP, zero-width, BOM); None when nothing is left."""
    if _is_missing(value):
        return None
    text = str(value).strip(_EDGE_JUNK)
    return text or None


def thai_to_ascii_digits(s: str) -> str:
    """Thai digits ๐–๙ to 0–9: Python's int() reads them but DuckDB's cast does not, so convert early."""
    return s.translate(_THAI_DIGITS)


def _show(value: object) -> str:
    """The offending value for an error message, shortened so a fuzzed megabyte does not end up in a log."""
    text = str(value)
    if len(text) > _SHOWN_LENGTH:
        text = text[:_SHOWN_LENGTH] + "…"
    return repr(text)


def _prepare(value: object) -> str:
    """Common first step of every parser: trimmed, ASCII digits, no zero-width characters inside."""
    text = clean_text(value)
    if text is None:
        raise _Reason("it is empty")
    if len(text) > _MAX_LENGTH:  # no date or number is this long; also bounds the regexes' work
        raise _Reason("it is too long")
    return thai_to_ascii_digits(text).translate(_DROP_ZERO_WIDTH)
