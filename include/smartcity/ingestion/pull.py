"""The pull step: copy each new landing file into the pipeline's store and load its raw rows.

Exactly once: a file is identified by its landing path and its checksum. Pulling a month again
ingests nothing twice; a changed file under the same name is a new submission. Received copies
are written once and never modified.

Everything that comes from the landing area is data, never code: file names, codes and remarks reach the
database only as bound parameters or through a registered frame, and a received copy's name is made from
the checksum and a cleaned tail of the file name, so no name can leave the received folder.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from smartcity.failpoints import failpoint
from smartcity.ingestion.sources import SUBMISSION_SUFFIXES, LandingArea, LandingFile, NotTaken
from smartcity.normalize import SUBMISSION_COLUMNS
from smartcity.readers import LoadedTable, RawTable, ReadLimits, UnreadableFile, load_table, read_table

log = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^A-Za-z0-9._\-\u0E00-\u0E7F]+")
# File systems allow 255 bytes in a name; a Thai character takes 3. The checksum prefix and '.partial' fit.
_MAX_NAME_TAIL_BYTES = 200


@dataclass(frozen=True)
class PullResult:
    month: date
    files_seen: int
    files_new: int
    rows_new: int
    files_unreadable: int
    files_empty: int = 0
    files_changing: int = 0


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_identity(landing_path: str, sha256: str) -> str:
    """Same path and same bytes = the same submission; anything else is a new one."""
    # surrogatepass: a file name that is not UTF-8 on disk reaches Python with lone surrogates; it is a
    # name all the same (valid names encode exactly as before).
    return hashlib.sha256(f"{landing_path}\n{sha256}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def storable_text(text: str) -> str:
    """Text that DuckDB can store (valid UTF-8): each byte of a file name that is not UTF-8 becomes U+FFFD.
    Everything else is kept verbatim."""
    try:
        text.encode()
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = text.encode("utf-8", "surrogateescape")  # a local name: its bytes as they are on disk
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")  # a remote name with an unpaired \ud800 escape
    return raw.decode("utf-8", "replace")


class ChangedWhileCopied(Exception):
    """The landing file's bytes changed between its checksum and its copy: it is still being written."""


def store_copy(source: Path, received_dir: Path, month: date, sha256: str) -> Path:
    """Write-once copy named by checksum, made read-only: written to a temporary name, its checksum checked
    against `sha256` (the bytes identified), then renamed into place. Raises ChangedWhileCopied when the
    landing file changed meanwhile (the copy is then discarded: the next run takes the finished file)."""
    folder = received_dir / month.strftime("%Y-%m")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{sha256[:16]}__{safe_name_tail(source.name)}"
    if target.exists():
        return target
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    try:
        with source.open("rb") as reader, partial.open("wb") as writer:
            for block in iter(lambda: reader.read(1 << 20), b""):
                digest.update(block)
                writer.write(block)
    except OSError as error:
        partial.unlink(missing_ok=True)
        if error.filename is not None:
            raise
        # A refused write names no file: name the copy, so the message says which disk is full.
        raise OSError(error.errno, error.strerror, str(partial)) from error
    if digest.hexdigest() != sha256:
        partial.unlink(missing_ok=True)
        raise ChangedWhileCopied(str(source))
    os.chmod(partial, 0o440)  # evidence of what was sent: never modified, readable by the pipeline only
    os.replace(partial, target)
    return target


def safe_name_tail(name: str) -> str:
    """The end of a file name (so the suffix stays) in letters, digits, Thai, '.', '_' and '-' only, short
    enough for any file system; without '/' it cannot name another folder, and behind a prefix no '..'."""
    tail = _UNSAFE.sub("_", name).encode()[-_MAX_NAME_TAIL_BYTES:]
    return tail.decode(errors="ignore") or "_"  # a Thai character cut in two is dropped


# Rows a pull commits at once. A commit costs as much as loading thousands of rows: DuckDB writes a large
# transaction straight into the database file, a small one twice (to its log, then at the checkpoint). A
# transaction holds its rows (and each file's reading tables) in memory until it commits: 250,000 rows are
# about 300 MB.
BATCH_ROWS = 250_000


class PullBatches:
    """The transactions of a pull: files are registered and loaded in batches of about BATCH_ROWS rows, each
    committed whole. A pull cut short (a crash, a full disk) loses at most its open batch, whose files the
    next run pulls again, from the copies already received (write-once, named by checksum)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, batch_rows: int | None = None) -> None:
        self.con = con
        self.batch_rows = batch_rows or BATCH_ROWS
        self.pending = 0

    def file_loaded(self, rows: int) -> None:
        self.pending += rows
        if self.pending >= self.batch_rows:
            self.con.commit()
            self.con.begin()
            self.pending = 0


@contextmanager
def pull_transaction(con: duckdb.DuckDBPyConnection) -> Iterator[PullBatches]:
    con.begin()
    try:
        yield PullBatches(con)
    except BaseException:
        con.rollback()
        raise
    con.commit()


def pull_month(
    con: duckdb.DuckDBPyConnection,
    landing: LandingArea,
    received_dir: Path,
    month: date,
    run_id: str,
    limits: ReadLimits,
    batches: PullBatches,
) -> PullResult:
    """Receive and load the new files of one landing month (in the transactions of `pull_transaction`)."""
    files = landing.submission_files(month)
    known = {row[0] for row in con.execute("select file_id from raw.received_files").fetchall()}
    new_files = rows = unreadable = empty = changing = 0
    for landing_file in files:
        sha256 = sha256_of(landing_file.local_path)
        file_id = file_identity(landing_file.relative_path, sha256)
        if file_id in known:
            continue
        try:
            stored = store_copy(landing_file.local_path, received_dir, month, sha256)
        except ChangedWhileCopied:
            log.warning(
                "not taken: %r changed while it was copied; the next run takes it", landing_file.relative_path
            )
            changing += 1
            continue
        loaded = _register_file(con, landing_file, stored, file_id, sha256, month, run_id, limits)
        batches.file_loaded(max(loaded, 0))
        failpoint("pull.file_loaded")
        new_files += 1
        rows += max(loaded, 0)
        unreadable += loaded < 0
        empty += loaded == 0
    log.info(
        "pull %s: %d file(s) in the landing area, %d new (%d rows), %d unreadable, %d without a data row",
        month.strftime("%Y-%m"),
        len(files),
        new_files,
        rows,
        unreadable,
        empty,
    )
    return PullResult(month, len(files), new_files, rows, unreadable, empty, changing)


def record_not_taken(con: duckdb.DuckDBPyConnection, entries: list[NotTaken], run_id: str) -> None:
    """The landing area's entries not taken at this pull replace those of the last (dq.rejected_files rows
    without a file_id): the table lists what is there now, and a file fixed or removed leaves it."""
    con.execute("delete from audit.rejected_files where file_id is null")
    for entry in entries:
        con.execute(
            "insert into audit.rejected_files (run_id, source_file, reason, reason_code, received_month) "
            "values (?, ?, ?, ?, ?)",
            [run_id, storable_text(entry.path), entry.reason, entry.reason_code, entry.month],
        )


@dataclass(frozen=True)
class ReadOutcome:
    """What reading a submission file gave: its table (None when it cannot be read), and when nothing can be
    taken from it, why (`reason`, for the submitter) and the kind (`code`, dq.rejected_files.reason_code).
    The table is a `RawTable` of Python rows (`read_submission`) or a `LoadedTable` in DuckDB
    (`load_submission`)."""

    table: RawTable | LoadedTable | None
    reason: str | None = None
    code: str | None = None


NO_DATA_ROWS = (
    "the file holds no data row (nothing, or only a header): it was received, but nothing was taken from it; "
    "send the rows under the header"
)


def read_submission(path: Path, limits: ReadLimits) -> ReadOutcome:
    """A submission file's rows, or why nothing is taken from it (its type, UnreadableFile's reason, no data
    row). The pull step (`load_submission`) and `smartcity check` read files through the same readers, so both
    refuse the same files with the same words."""
    return _outcome(path, lambda: read_table(path, limits), lambda table: len(table.rows))


def load_submission(
    con: duckdb.DuckDBPyConnection, path: Path, limits: ReadLimits, into: str = "incoming_rows"
) -> ReadOutcome:
    """`read_submission` into the temporary table `into` of `con`, the rows never leaving DuckDB."""
    return _outcome(path, lambda: load_table(con, path, limits, into), lambda table: table.row_count)


def _outcome(path: Path, read, count) -> ReadOutcome:
    if path.suffix.lower() not in SUBMISSION_SUFFIXES:
        reason = (
            f"files of type '{path.suffix or '(none)'}' are not accepted; "
            "send the submission as .csv, .xlsx or .json"
        )
        return ReadOutcome(None, reason, "UNSUPPORTED_TYPE")
    try:
        table = read()
    except UnreadableFile as error:
        return ReadOutcome(None, error.reason, error.code)
    if not count(table):  # received, but it gives nothing: listed, so it is not silent
        return ReadOutcome(table, NO_DATA_ROWS, "NO_DATA_ROWS")
    return ReadOutcome(table)


def _register_file(
    con: duckdb.DuckDBPyConnection,
    landing_file: LandingFile,
    stored: Path,
    file_id: str,
    sha256: str,
    month: date,
    run_id: str,
    limits: ReadLimits,
) -> int:
    """Register one new file and load its rows (in the caller's transaction: `pull_transaction`). Returns
    rows loaded, -1 if unreadable."""
    arrived_at = datetime.now(UTC)
    landing_path = storable_text(landing_file.relative_path)
    outcome = load_submission(con, stored, limits)
    table, reason, code = outcome.table, outcome.reason, outcome.code
    loaded = table if isinstance(table, LoadedTable) else None
    con.execute(
        "insert into raw.received_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            file_id,
            landing_path,
            month,
            sha256,
            stored.stat().st_size,
            str(stored),
            arrived_at,
            run_id,
            loaded.file_format if loaded else None,
            loaded.encoding if loaded else None,
            loaded.row_count if loaded else None,
            reason if loaded is None else None,
        ],
    )
    if reason is not None:
        # %r: a file name may hold a line break, which must not forge a line of the log.
        log.warning("rejected %r: %s", landing_path, reason)
        con.execute(
            "insert into audit.rejected_files "
            "(run_id, source_file, reason, file_id, received_month, stored_path, reason_code) "
            "values (?, ?, ?, ?, ?, ?, ?)",
            [run_id, landing_path, reason, file_id, month, str(stored), code],
        )
    if loaded is None or not loaded.row_count:
        return -1 if loaded is None else 0
    # The file's rows straight from the reader's table: every column the contract names (NULL where the file
    # has none), the others only in raw_record.
    values = [loaded.value_column(column) or "null" for column in SUBMISSION_COLUMNS]
    con.execute(
        f"insert into raw.submission_rows (file_id, row_number, {', '.join(SUBMISSION_COLUMNS)}, "  # noqa: S608
        f"raw_record) select ?, row_number, {', '.join(values)}, raw_record from {loaded.table}",
        [file_id],
    )
    return loaded.row_count
