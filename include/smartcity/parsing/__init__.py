"""Turn the raw text a city sends into clean Python values.

Cities type their submissions by hand in Thai spreadsheets: Buddhist-Era years, Thai digits, Thai month
names, thousands separators, stray non-breaking spaces. Every such value passes through this package, so the
rest of the pipeline only ever sees `date`, `datetime` (UTC), `Decimal` and canonical codes. A value that
cannot be read raises `ParseError` with a message a submitter can act on; no input raises anything else.

`text` cleans text (and holds what the parsers share), `dates` reads months, dates and timestamps,
`numeric` reads numbers, percentages and amounts of money. The codes and headers of the contract's
vocabulary are read by smartcity.normalize.
"""

from smartcity.parsing.dates import (
    BANGKOK,
    BE_OFFSET,
    THAI_MONTH_ABBREVIATIONS,
    THAI_MONTH_NAMES,
    parse_date,
    parse_month,
    parse_timestamp,
)
from smartcity.parsing.numeric import parse_decimal, parse_money, parse_percent
from smartcity.parsing.text import WHITESPACE, ZERO_WIDTH, ParseError, clean_text, thai_to_ascii_digits

__all__ = [
    "BANGKOK",
    "BE_OFFSET",
    "THAI_MONTH_ABBREVIATIONS",
    "THAI_MONTH_NAMES",
    "WHITESPACE",
    "ZERO_WIDTH",
    "ParseError",
    "clean_text",
    "parse_date",
    "parse_decimal",
    "parse_money",
    "parse_month",
    "parse_percent",
    "parse_timestamp",
    "thai_to_ascii_digits",
]
