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
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from smartcity.ingestion.sources import SUBMISSION_SUFFIXES, LandingArea, LandingFile
from smartcity.normalize import SUBMISSION_COLUMNS
from smartcity.readers import RawTable, ReadLimits, UnreadableFile, read_table

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


def store_copy(source: Path, received_dir: Path, month: date, sha256: str) -> Path:
    """Write-once copy named by checksum; written to a temporary name, then renamed into place."""
    folder = received_dir / month.strftime("%Y-%m")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{sha256[:16]}__{safe_name_tail(source.name)}"
    if not target.exists():
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    return target


def safe_name_tail(name: str) -> str:
    """The end of a file name (so the suffix stays) in letters, digits, Thai, '.', '_' and '-' only, short
    enough for any file system; without '/' it cannot name another folder, and behind a prefix no '..'."""
    tail = _UNSAFE.sub("_", name).encode()[-_MAX_NAME_TAIL_BYTES:]
    return tail.decode(errors="ignore") or "_"  # a Thai character cut in two is dropped


def pull_month(
    con: duckdb.DuckDBPyConnection,
    landing: LandingArea,
    received_dir: Path,
    month: date,
    run_id: str,
    limits: ReadLimits,
) -> PullResult:
    files = landing.submission_files(month)
    known = {row[0] for row in con.execute("select file_id from raw.received_files").fetchall()}
    new_files = rows = unreadable = 0
    for landing_file in files:
        sha256 = sha256_of(landing_file.local_path)
        file_id = file_identity(landing_file.relative_path, sha256)
        if file_id in known:
            continue
        stored = store_copy(landing_file.local_path, received_dir, month, sha256)
        loaded = _register_file(con, landing_file, stored, file_id, sha256, month, run_id, limits)
        new_files += 1
        rows += max(loaded, 0)
        unreadable += loaded < 0
    log.info(
        "pull %s: %d file(s) in the landing area, %d new (%d rows), %d unreadable",
        month.strftime("%Y-%m"),
        len(files),
        new_files,
        rows,
        unreadable,
    )
    return PullResult(month, len(files), new_files, rows, unreadable)


def read_submission(path: Path, limits: ReadLimits) -> tuple[RawTable | None, str | None]:
    """A submission file's rows, or why the file is refused (its type, or UnreadableFile's reason). The pull
    step and `smartcity check` both read files through this, so both refuse the same files with the same
    words."""
    if path.suffix.lower() not in SUBMISSION_SUFFIXES:
        return None, (
            f"files of type '{path.suffix or '(none)'}' are not accepted; "
            "send the submission as .csv, .xlsx or .json"
        )
    try:
        return read_table(path, limits), None
    except UnreadableFile as error:
        return None, error.reason


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
    """Register one new file and load its rows in one transaction. Returns rows loaded, -1 if unreadable."""
    arrived_at = datetime.now(UTC)
    landing_path = storable_text(landing_file.relative_path)
    table, reason = read_submission(stored, limits)
    con.begin()
    try:
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
                table.file_format if table else None,
                table.encoding if table else None,
                len(table.rows) if table else None,
                reason,
            ],
        )
        if table is None:
            # %r: a file name may hold a line break, which must not forge a line of the log.
            log.warning("rejected %r: %s", landing_path, reason)
            con.execute(
                "insert into dq.rejected_files values (?, ?, ?, ?, ?, ?)",
                [run_id, landing_path, reason, file_id, month, str(stored)],
            )
        elif table.rows:
            frame = pd.DataFrame(
                {
                    "file_id": file_id,
                    "row_number": [row.row_number for row in table.rows],
                    **{
                        column: pd.Series([row.values.get(column) for row in table.rows], dtype=object)
                        for column in SUBMISSION_COLUMNS
                    },
                    "raw_record": pd.Series([row.raw_record for row in table.rows], dtype=object),
                }
            )
            con.register("new_rows", frame)
            con.execute("insert into raw.submission_rows by name select * from new_rows")
            con.unregister("new_rows")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return -1 if table is None else len(table.rows)
