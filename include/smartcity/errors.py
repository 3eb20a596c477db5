"""Failures the pipeline explains to people. A traceback is for bugs; these carry a message instead."""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from contextlib import contextmanager


class PipelineError(Exception):
    """The run cannot go on; the message says what failed and what to do."""


class PermanentError(PipelineError):
    """Retrying will not help (bad settings, a broken registry, failing dbt tests): fail the task at once."""


class StorageError(PermanentError):
    """A file the pipeline keeps cannot be written or read: a full disk, a read-only folder, a damaged file.
    Retrying in a minute will not help until someone fixes the storage, so the task fails at once."""


# What to do about each kind of storage fault, found by errno (OSError) or by the system's message, which is
# all DuckDB passes on (its IO errors carry the text of errno, not the number).
_STORAGE_FAULTS = (
    (
        {errno.ENOSPC, errno.EDQUOT},
        ("no space left on device", "disk quota exceeded"),
        "free space on the disk that holds {where}",
    ),
    (
        {errno.EROFS},
        ("read-only file system",),
        "make {where} writable (its file system is mounted read-only)",
    ),
    ({errno.EACCES, errno.EPERM}, ("permission denied",), "give the pipeline's user write access to {where}"),
)


def _chain(error: BaseException):
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def storage_advice(error: BaseException, where: object) -> str | None:
    """What a person must do about the storage fault behind `error` (or its causes) at `where`, or None if it
    is not one (then it is a bug or another kind of failure, and is left alone)."""
    for link in _chain(error):
        code = link.errno if isinstance(link, OSError) else None
        text = str(link).lower()
        for codes, phrases, advice in _STORAGE_FAULTS:
            if code in codes or any(phrase in text for phrase in phrases):
                return advice.format(where=where)
    return None


def first_line(error: BaseException) -> str:
    """An error's message on one line (DuckDB's span several), for a one-sentence explanation."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def path_in(error: BaseException) -> str | None:
    """The file an error is about: an OSError's filename (the target, of a copy or a rename), or the first
    quoted path in DuckDB's message."""
    if isinstance(error, OSError) and (error.filename2 or error.filename):
        return str(error.filename2 or error.filename)
    match = re.search(r'"(/[^"]+)"', str(error))
    return match.group(1) if match else None


@contextmanager
def storage_faults_explained(step: str) -> Iterator[None]:
    """A full disk or a read-only folder met anywhere in a step (received copies, GX results, reports) ends
    it with a StorageError naming the file and what to do: a message, not a traceback."""
    try:
        yield
    except PipelineError:
        raise  # already says what to do
    except Exception as error:
        where = path_in(error) or "a file of the pipeline"
        advice = storage_advice(error, where)
        if advice is None:
            raise
        raise StorageError(
            f"the {step} step could not write {where} ({first_line(error)}): {advice}, and run "
            "again; what was received and published so far is kept"
        ) from error
