"""Numbers as cities type them: Thai digits, thousands separators, signs, '%' and baht marks, read exactly
(Decimal); amounts of money rounded half-up to satang."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from smartcity.parsing.text import ParseError, _prepare, _Reason, _show

_NUMBER = re.compile(
    r"^(?P<sign>[+-]?)\s*(?P<pre>฿|THB|%)?\s*(?P<sign2>[+-]?)\s*"
    r"(?P<body>[0-9.][0-9.,'’\s]*?)(?P<exp>[eE][+-]?[0-9]+)?"
    r"\s*(?P<post>%|฿|บาท|THB|\.-)?$",
    re.IGNORECASE,
)
_PLAIN = re.compile(r"^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
_GROUPED = re.compile(r"^[0-9]{1,3}(?P<sep>[,'’\s])[0-9]{3}(?:(?P=sep)[0-9]{3})*(?:\.[0-9]*)?$")
_SEPARATORS = re.compile(r"[,'’\s]")
_CURRENCY_MARKS = ("฿", "THB", "บาท", ".-")
_MAX_ADJUSTED_EXPONENT = 24  # 10^±25 of anything is a typo; bounding it keeps Decimal arithmetic exact
_MONEY_CONTEXT = Context(prec=60)
_SATANG = Decimal("0.01")

# Fast paths: the spellings almost every row uses (plain numbers) are recognised by one anchored regex and
# converted directly, to the very value the general parser gives (tests/unit/test_normalize.py proves it);
# anything else goes the general way.
_CANONICAL_PERCENT = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,6})?")
_CANONICAL_AMOUNT = re.compile(r"[0-9]{1,16}(?:\.[0-9]{1,2})?")


def _number_fault(text: str) -> str:
    """Why text is not a number, as specifically as can be said cheaply."""
    bare = text
    for mark in (*_CURRENCY_MARKS, "%"):
        bare = re.sub(re.escape(mark), "", bare, flags=re.IGNORECASE)
    if bare.strip().strip("+-").lower() in ("nan", "inf", "infinity"):
        return "it is not a finite number"
    if re.search(r"[^0-9.,'’\s+eE-]", bare):
        return "it contains characters that are not part of a number"
    if bare.count(".") > 1:
        return "it has more than one decimal point (write 1,234.5: ',' for thousands, '.' for decimals)"
    if "," in bare:
        return "a comma is only read as a thousands separator between groups of 3 digits (1,234.5)"
    return "it is not a well-formed number"


def _number_core(text: str, *, percent_ok: bool, currency_ok: bool) -> Decimal:
    m = _NUMBER.match(text.replace("\u2212", "-"))
    if m is None:
        raise _Reason(_number_fault(text))
    marks = [mark.upper() for mark in (m["pre"], m["post"]) if mark]
    if marks.count("%") > 1 or ("%" in marks and len(marks) > 1):
        raise _Reason("it mixes several unit marks")
    if "%" in marks and not percent_ok:
        raise _Reason("a percentage is not allowed here")
    if not currency_ok and any(mark != "%" for mark in marks):
        raise _Reason("a currency mark is not allowed here")
    if m["sign"] and m["sign2"]:
        raise _Reason("it has two signs")
    body = m["body"].strip()
    if _GROUPED.match(body) and not m["exp"]:
        body = _SEPARATORS.sub("", body)
    elif not _PLAIN.match(body):
        raise _Reason(_number_fault(text))
    try:
        number = Decimal((m["sign"] or m["sign2"]) + body + (m["exp"] or ""))
    except InvalidOperation:
        raise _Reason("its exponent is too large") from None
    if number and abs(number.adjusted()) > _MAX_ADJUSTED_EXPONENT:
        raise _Reason(f"its size ({number:.1e}) is not a real figure")
    return number


def parse_decimal(value: str | None) -> Decimal:
    """An exact number from Thai-style text: Thai digits, 1,234.5 or '1 234', signs, '%', ฿/บาท/THB, 1e6."""
    try:
        return _number_core(_prepare(value), percent_ok=True, currency_ok=True)
    except _Reason as reason:
        raise ParseError(f"{_show(value)} is not a number: {reason}") from None


def parse_percent(value: str | None) -> Decimal:
    """A percentage figure (0–100 scale, '%' optional); the range itself is validation's business."""
    if isinstance(value, str) and _CANONICAL_PERCENT.fullmatch(value):
        return Decimal(value)
    return _percent_general(value)


def _percent_general(value: str | None) -> Decimal:
    try:
        return _number_core(_prepare(value), percent_ok=True, currency_ok=False)
    except _Reason as reason:
        raise ParseError(f"{_show(value)} is not a percentage: {reason}") from None


def parse_money(value: str | None) -> Decimal:
    """An amount in baht rounded half-up to satang, the precision of the published DECIMAL columns."""
    if isinstance(value, str) and _CANONICAL_AMOUNT.fullmatch(value):
        return _to_satang(Decimal(value))
    return _money_general(value)


def _money_general(value: str | None) -> Decimal:
    try:
        number = _number_core(_prepare(value), percent_ok=False, currency_ok=True)
    except _Reason as reason:
        raise ParseError(f"{_show(value)} is not an amount of money: {reason}") from None
    return _to_satang(number)


def _to_satang(number: Decimal) -> Decimal:
    return number.quantize(_SATANG, rounding=ROUND_HALF_UP, context=_MONEY_CONTEXT)
