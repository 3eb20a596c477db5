"""Local copies of remote landing files: every reader and checksum then works on a local path."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._\-]+")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# File systems allow 255 bytes in a name; remote names can be longer (an S3 key, an API's file name).
_MAX_LOCAL_NAME_BYTES = 200


class Cache:
    """Local copies of one remote landing area, under `<cache_dir>/<source key>/<relative path>`.

    The folder is created on the first download only, so a source that cannot be opened leaves nothing.
    A file is replaced atomically (written to `.partial`, then renamed). `_versions/` remembers which
    remote version (ETag, size, modification time) each copy holds, so an unchanged object is not
    downloaded again; the checksum of the copy, not this record, decides what is a new submission.
    """

    def __init__(self, cache_dir: Path, description: str) -> None:
        key = hashlib.sha256(description.encode()).hexdigest()[:10]
        self.root = cache_dir / f"{_UNSAFE.sub('_', description)[:60].strip('_')}-{key}"

    def path(self, relative: str) -> Path:
        return self.root.joinpath(*map(_local_name, relative.split("/")))

    def _version_file(self, relative: str) -> Path:
        return self.root.joinpath("_versions", *map(_local_name, relative.split("/")))

    def is_current(self, relative: str, version: str | None) -> bool:
        marker = self._version_file(relative)
        return (
            version is not None
            and self.path(relative).is_file()
            and marker.is_file()
            and marker.read_text(encoding="utf-8") == version
        )

    def partial(self, relative: str) -> Path:
        """Where to download a new version to; forgets the old version first, so a crash leaves none."""
        self._version_file(relative).unlink(missing_ok=True)
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target.with_name(target.name + ".partial")

    def commit(self, relative: str, partial: Path, version: str | None) -> Path:
        target = self.path(relative)
        os.replace(partial, target)
        if version is not None:
            marker = self._version_file(relative)
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(version, encoding="utf-8")
        return target

    def write_bytes(self, relative: str, data: bytes) -> Path:
        """Write `data` unless the copy already holds exactly these bytes."""
        target = self.path(relative)
        if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
            return target
        partial = self.partial(relative)
        partial.write_bytes(data)
        return self.commit(relative, partial, None)


def _local_name(name: str) -> str:
    """A remote name as a local file name: unchanged when the file system can hold it; else its checksum and
    its end (the suffix decides how the file is read). Every name has its own: '..' and '.' included."""
    encoded = name.encode("utf-8", "surrogatepass")  # an API's name may hold an unpaired \ud800 escape
    if name not in ("", ".", "..") and len(encoded) <= _MAX_LOCAL_NAME_BYTES and name.isprintable():
        return name
    tail = name.encode("utf-8", "replace")[-(_MAX_LOCAL_NAME_BYTES - 18) :].decode(errors="ignore")
    return f"{hashlib.sha256(encoded).hexdigest()[:16]}__{CONTROL.sub('_', tail)}"
