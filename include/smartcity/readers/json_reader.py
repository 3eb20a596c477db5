"""JSON: an array of row objects, each key mapped to its canonical column, numbers kept as written.

A file of flat row objects (what every exporter writes) is decoded in one call of the json module's C decoder
and its rows built column by column. Anything else (a nested value, a key named twice, a row over a cap, a
syntax error, text that is not valid Unicode) is read element by element by the streaming decoder, which
stops at the first element over a cap and has the last word on the words of every refusal;
tests/unit/test_reader_equivalence.py proves both give the same rows.

One module on purpose (about 400 lines): the fast and the streaming decoder must give the same rows and the
same refusals, and they stay side by side so that a change to one is made, and reviewed, beside the other.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from smartcity.normalize import canonical_header
from smartcity.readers.limits import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_HEADER_CHARS,
    ReadLimits,
    UnreadableFile,
    header_too_long,
    read_bytes,
    shorten,
)
from smartcity.readers.rows import LoadedTable, RowCounter, check_cells, is_blank

_MAX_JSON_DEPTH = 10  # a row object holding, say, a list of obstacles is 2 deep
_JSON_SPACE = re.compile(r"[ \t\n\r]*")  # what the json module skips between tokens
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # \ud800-\udfff: text that may not be valid Unicode
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_FLOAT = re.compile(r"-?[0-9]+(?:\.[0-9]+(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)")
_CONSTANT = re.compile(r"NaN|Infinity")
# One encoder (json.dumps(ensure_ascii=False) makes one a call); decoded JSON holds no cycle to look for.
_JSON = json.JSONEncoder(ensure_ascii=False, check_circular=False)


class _JsonNumber(float):
    """A JSON number that remembers how it was written, so '45.50' stays '45.50' and not 45.5."""

    text: str

    def __new__(cls, text: str) -> _JsonNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number


class _DuplicateKey(ValueError):
    """An object names one key twice with different values: which one the city meant cannot be told."""

    def __init__(self, key: str, first: Any, second: Any) -> None:
        super().__init__(key)
        self.key, self.first, self.second = key, first, second


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object from its pairs; a key repeated with the same value is harmless, with another value it is
    refused (the json module would silently keep the last)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result and result[key] != value:
            raise _DuplicateKey(key, result[key], value)
        result.setdefault(key, value)
    return result


_DECODER = json.JSONDecoder(parse_float=_JsonNumber, parse_constant=_JsonNumber, object_pairs_hook=_object)


class _Rows:
    """Rows as they are built: row numbers, records, and the values of each canonical column (None where a
    row has none)."""

    def __init__(self) -> None:
        self.numbers: list[int] = []
        self.records: list[str] = []
        self.values: dict[str, list[str | None]] = {}

    def add(self, number: int, values: dict[str, str | None], record: str) -> None:
        self.extend([number], {name: [value] for name, value in values.items()}, [record])

    def extend(self, numbers: list[int], columns: dict[str, list[str | None]], records: list[str]) -> None:
        before = len(self.numbers)
        for name in columns.keys() - self.values.keys():
            self.values[name] = [None] * before
        for name, column in self.values.items():
            column.extend(columns.get(name) or [None] * len(numbers))
        self.numbers.extend(numbers)
        self.records.extend(records)

    def sort(self) -> None:
        """In row order, when rows of several kinds of object were built kind by kind."""
        if self.numbers != sorted(self.numbers):
            order = sorted(range(len(self.numbers)), key=self.numbers.__getitem__)
            self.numbers = [self.numbers[i] for i in order]
            self.records = [self.records[i] for i in order]
            self.values = {name: [column[i] for i in order] for name, column in self.values.items()}

    def load(
        self, con: duckdb.DuckDBPyConnection, into: str, columns: list[str], encoding: str
    ) -> LoadedTable:
        frame = pd.DataFrame(
            {
                "row_number": pd.Series(self.numbers, dtype="int32"),
                "raw_record": pd.Series(self.records, dtype=object),
                **{
                    f"value_{n}": pd.Series(self.values.get(name, [None] * len(self.numbers)), dtype=object)
                    for n, name in enumerate(columns, 1)
                },
            }
        )
        con.register("_reader_json_frame", frame)
        try:
            con.execute(f"create or replace temp table {into} as select * from _reader_json_frame")  # noqa: S608
        finally:
            con.unregister("_reader_json_frame")
        return LoadedTable(into, columns, len(self.numbers), "json", encoding, None)


def read_json(con: duckdb.DuckDBPyConnection, path: Path, limits: ReadLimits, into: str) -> LoadedTable:
    data = read_bytes(path, limits)
    encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            f"the file is not UTF-8 text (byte {error.start}); save the JSON file as UTF-8"
        ) from None
    if not text.strip():
        return _Rows().load(con, into, [], encoding)
    read = _read_flat(text, limits) or _read_streaming(text, limits)
    rows, columns = read
    return rows.load(con, into, columns, encoding)


# -------------------------------------------------------------------------------------- flat row objects


def _read_flat(text: str, limits: ReadLimits) -> tuple[_Rows, list[str]] | None:
    """The rows of an array of flat row objects, decoded at once and built column by column, rows of the same
    keys together; None for anything else. A file with more objects than the row cap is left to the
    streaming decoder, which stops at the cap: decoded at once, its rows would all be in memory first."""
    if text.count("{") > limits.max_rows or _SURROGATE_ESCAPE.search(text):
        return None
    bare = _JSON_STRING.sub('""', text)  # keys and texts emptied: what is left is numbers and punctuation
    # A number is kept as written: decoded as a float, unless one is written otherwise than Python writes it
    # back (45.50, 1e2, NaN), when each float remembers its text (slower).
    spelled = {token for token in _FLOAT.findall(bare)}
    canonical = not _CONSTANT.search(bare) and all(repr(float(token)) == token for token in spelled)
    try:
        elements = json.loads(
            text,
            parse_float=float if canonical else _JsonNumber,
            parse_constant=float if canonical else _JsonNumber,
        )
    except (ValueError, RecursionError):
        return None
    if type(elements) is not list or len(elements) > limits.max_rows or set(map(type, elements)) - {dict}:
        return None
    # A key named twice leaves one entry in its dict: outside strings, every ':' follows a key.
    if bare.count(":") != sum(map(len, elements)):
        return None
    groups: dict[tuple[str, ...], list[int]] = {}
    for index, element in enumerate(elements):
        groups.setdefault(tuple(element), []).append(index)
    names: list[str] = []
    of_key: dict[str, str] = {}
    for keys in groups:
        for key in keys:
            if key not in of_key:
                if len(key) > MAX_HEADER_CHARS or len(of_key) >= MAX_COLUMNS:
                    return None
                name = of_key[key] = canonical_header(key)
                if name and name not in names:
                    names.append(name)
    rows = _Rows()
    for keys, members in groups.items():
        taken: dict[str, int] = {}  # the first key meaning a column gives its value
        for position, key in enumerate(keys):
            if of_key[key]:
                taken.setdefault(of_key[key], position)
        cells = list(zip(*(elements[index].values() for index in members), strict=True)) or [()] * len(keys)
        columns: dict[str, list[str | None]] = {}
        for name, position in taken.items():
            texts = _texts(cells[position])
            if texts is None:
                return None  # a nested value
            columns[name] = texts
        if max((max(map(len, filter(None, column)), default=0) for column in columns.values()), default=0) > (
            MAX_CELL_CHARS
        ):
            return None
        kept = [row for row, values in enumerate(zip(*columns.values(), strict=True)) if not is_blank(values)]
        if len(kept) < len(members):
            members = [members[row] for row in kept]
            columns = {name: [column[row] for row in kept] for name, column in columns.items()}
        rows.extend([index + 1 for index in members], columns, [_JSON.encode(elements[i]) for i in members])
    rows.sort()
    return rows, names


def _texts(values: tuple[Any, ...]) -> list[str | None] | None:
    """The values of one key as text (as `_json_text` gives them); None when one of them is nested."""
    texts: list[str | None] = []
    for value in values:
        kind = type(value)
        if kind is str:
            texts.append(value or None)
        elif kind is float:  # written as Python writes it (checked above)
            texts.append(repr(value))
        elif kind is _JsonNumber:
            texts.append(value.text)
        elif kind is int:
            texts.append(str(value))
        elif kind is bool:
            texts.append("true" if value else "false")
        elif value is None:
            texts.append(None)
        else:
            return None
    return texts


# -------------------------------------------------------------------------------------- streaming decoder


def _read_streaming(text: str, limits: ReadLimits) -> tuple[_Rows, list[str]]:
    columns = _JsonColumns()
    counter = RowCounter(limits.max_rows, header_rows=0)
    rows = _Rows()
    for index, element in _json_elements(text):
        values = _json_values(index, element, columns)
        blank = is_blank(values.values())
        counter.add(blank)
        if blank:
            continue
        where = _where(index)
        check_cells(values.values(), where)
        rows.add(index, values, _record(element, where))
    return rows, columns.names


def _where(index: int) -> Callable[[], str]:
    return lambda: _json_element(index)


def _json_element(index: int) -> str:
    return f"element {index:,} of the array"


def _record(record: Any, where: Callable[[], str]) -> str:
    """`raw_record`: the row as JSON. Text that is not valid Unicode (a lone surrogate, from a JSON escape
    such as \\ud800) cannot be stored in the database: the file is refused, rather than the run failing."""
    text = _JSON.encode(record)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UnreadableFile(
            f"{where()} holds text that is not valid Unicode (an unpaired surrogate such as \\ud800); fix "
            "that text or export the data again"
        ) from None
    return text


def _json_elements(text: str) -> Iterator[tuple[int, Any]]:
    """The elements of the top-level array one at a time (index from 1), so that reading stops at a cap
    without the whole array ever being built."""
    position = _after_space(text, 0)
    if not text.startswith("[", position):
        kind = "object" if text.startswith("{", position) else None
        if kind is None:  # a scalar is short to decode, and decoding it tells whether it is JSON at all
            kind = _json_kind(_json_decode(text, position)[0])
        raise UnreadableFile(
            f"the top level of the file is a JSON {kind}, not an array of row objects; "
            "send the rows as [{...}, {...}]"
        )
    position = _after_space(text, position + 1)
    index = 0
    while not (index == 0 and text.startswith("]", position)):  # [] is an empty array
        index += 1
        try:
            element, position = _json_decode(text, position)
        except _DuplicateKey as twice:
            raise UnreadableFile(
                f"{_json_element(index)} names the key {shorten(twice.key, 60)!r} twice, with different "
                f"values ({shorten(str(twice.first), 40)!r} and {shorten(str(twice.second), 40)!r}); keep "
                "the one meant and send the file again"
            ) from None
        yield index, element
        position = _after_space(text, position)
        if text.startswith("]", position):
            break
        if not text.startswith(",", position):
            raise _not_json(json.JSONDecodeError("Expecting ',' delimiter", text, position))
        position = _after_space(text, position + 1)
    end = _after_space(text, position + 1)
    if end != len(text):
        raise _not_json(json.JSONDecodeError("Extra data", text, end))


def _after_space(text: str, position: int) -> int:
    """The position of the first token at or after `position`: past the blanks the json module skips."""
    blanks = _JSON_SPACE.match(text, position)  # matches everywhere, if only the empty string
    return blanks.end() if blanks else position


def _json_decode(text: str, position: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, position)
    except json.JSONDecodeError as error:
        raise _not_json(error) from None
    except _DuplicateKey:
        raise
    except RecursionError:  # the json module gives up near 1,000 levels: [[[[... is no row
        raise UnreadableFile(
            "the file nests arrays or objects hundreds of levels deep, which no table of rows does; "
            "send the rows as [{...}, {...}] with a plain value in each field"
        ) from None
    except ValueError as error:  # an integer too long to convert
        raise UnreadableFile(
            f"the file is not usable JSON ({shorten(str(error))}); export the data again"
        ) from None


def _not_json(error: json.JSONDecodeError) -> UnreadableFile:
    return UnreadableFile(
        f"the file is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}); "
        "fix it there or export the data again"
    )


class _JsonColumns:
    """The canonical column of each key, worked out once per distinct key, and the columns in first-seen
    order. Distinct keys are capped like columns: each costs a canonical_header call."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._of_key: dict[str, str] = {}

    def of(self, key: str, where: str) -> str:
        name = self._of_key.get(key)
        if name is None:
            if len(key) > MAX_HEADER_CHARS:
                raise UnreadableFile(header_too_long(f"a key of {where}", len(key)))
            if len(self._of_key) >= MAX_COLUMNS:
                raise UnreadableFile(
                    f"the rows use more than {MAX_COLUMNS} different keys, and a submission has 9 columns; "
                    "send only the columns of the data contract"
                )
            name = self._of_key[key] = canonical_header(key)
            if name and name not in self.names:
                self.names.append(name)
        return name


def _json_values(index: int, element: Any, columns: _JsonColumns) -> dict[str, str | None]:
    """An element's values by canonical column; the first key meaning a column gives its value."""
    where = _json_element(index)
    if not isinstance(element, dict):
        raise UnreadableFile(
            f"{where} is a JSON {_json_kind(element)}, not a row object; "
            'fix it so that every element is an object like {"city_code": ...}'
        )
    if _nesting(element) > _MAX_JSON_DEPTH:
        raise UnreadableFile(
            f"{where} nests arrays or objects more than {_MAX_JSON_DEPTH} levels deep; fix it so that each "
            "field holds a plain value (text, a number, true/false or null)"
        )
    values: dict[str, str | None] = {}
    for key, value in element.items():
        name = columns.of(key, where)
        if name and name not in values:
            values[name] = _json_text(value)
    return values


def _nesting(value: Any) -> int:
    """How deep arrays and objects nest in `value` (a flat row object is 1), counted without recursion and
    only up to one level past the cap."""
    deepest, stack = 0, [(value, 1)]
    while stack and deepest <= _MAX_JSON_DEPTH:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _json_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _JsonNumber):
        return value.text
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _json_kind(value: object) -> str:
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number")
