"""Helpers shared by the generator: months as integers, fixed-point text, seeded random streams.

Money is held in satang (int) and percentages in hundredths of a percent (int), so that the calibration is
exact integer arithmetic and the written text never depends on float formatting.
"""

from __future__ import annotations

import random

SEED = "smartcity-sample-landing-v1"
BE_OFFSET = 543

FIRST_MONTH_TEXT = "2023-04"
TARGET_MONTH_TEXT = "2024-03"


def rng(*parts: object) -> random.Random:
    """An independent random stream per purpose (and per city/project), so that changing one part of the
    sample does not reshuffle all the others. String seeds are hashed with SHA-512: stable across runs."""
    return random.Random(":".join([SEED, *map(str, parts)]))


def month_index(text: str) -> int:
    """'YYYY-MM' (CE) -> months since year 0."""
    year, month = text.split("-")
    return int(year) * 12 + int(month) - 1


def month_text(index: int, be: bool = False) -> str:
    year, month = divmod(index, 12)
    return f"{year + (BE_OFFSET if be else 0):04d}-{month + 1:02d}"


FIRST_MONTH = month_index(FIRST_MONTH_TEXT)
TARGET_MONTH = month_index(TARGET_MONTH_TEXT)
WINDOW = tuple(range(FIRST_MONTH, TARGET_MONTH + 1))  # the 12 report months of the sample


def fixed2(hundredths: int) -> str:
    """An integer number of hundredths as a plain decimal with 2 places: 123456 -> '1234.56'."""
    if hundredths < 0:
        raise ValueError(f"negative amount {hundredths}")
    whole, cents = divmod(hundredths, 100)
    return f"{whole}.{cents:02d}"


def planned_pct(start: int, end: int, month: int) -> float:
    """Planned progress of a project in a month, by contract section 4."""
    if month < start:
        return 0.0
    if month >= end:
        return 100.0
    return 100.0 * (month - start + 1) / (end - start + 1)


def round_div(numerator: int, denominator: int) -> int:
    """Integer division rounded half up (both operands non-negative)."""
    return (2 * numerator + denominator) // (2 * denominator)
