"""A landing area on the local file system (a path or a file:// URI), such as an SFTP drop folder.

Uploaders control what lands here, so the folder is scanned, not trusted (contract section 2): month folders
are read like row months (2567-03 is March 2024) and must lie between 2000 and the current month; only regular
files directly inside a month folder are taken; a link is followed only when it stays inside the landing area;
a file that cannot be opened, a hidden or temporary one, and one still being written are left where they
are and listed with their reason. Nothing here ever writes to the landing area.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from smartcity.config import ConfigError, current_month
from smartcity.ingestion.sources import rules
from smartcity.ingestion.sources.base import LandingError, LandingFile
from smartcity.ingestion.sources.rules import NotTaken

log = logging.getLogger(__name__)

# A file modified less than this long ago may still be uploading: the scan waits until it is this old and
# looks again; a file whose size or modification time changed meanwhile is left for the next run. Uploads
# write continuously, so a file that has not changed for 2 s has (almost always) arrived; one stalled longer
# than that is caught by the readers (a CSV cut mid-line, an XLSX without its zip directory, JSON without its
# closing bracket) and rejected, and the complete file, a new checksum, is received when it lands.
SETTLE_SECONDS = 2.0


@dataclass
class _Scan:
    files: dict[date, list[LandingFile]] = field(default_factory=dict)
    not_taken: list[NotTaken] = field(default_factory=list)


def _describe(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


class LocalFolder:
    """A landing area on the local file system (a path or a file:// URI)."""

    def __init__(self, root: Path, settle_seconds: float = SETTLE_SECONDS) -> None:
        self.root = root.resolve()
        self.description = str(root)
        self._settle_seconds = settle_seconds
        self._scan: _Scan | None = None
        if not self.root.is_dir():
            raise ConfigError(
                f"SMARTCITY_LANDING={root} is not a folder: point it at a landing area holding "
                "registry/ and submissions/<YYYY-MM>/"
            )
        if self.registry_file("cities.csv") is None:
            raise ConfigError(
                f"SMARTCITY_LANDING={root} has no registry/cities.csv: the city registry is required"
            )

    # -- the interface ---------------------------------------------------------------------------------------

    def submission_months(self) -> list[date]:
        return sorted(self._scanned().files)

    def submission_files(self, month: date) -> list[LandingFile]:
        return list(self._scanned().files.get(month, []))

    def not_taken(self) -> list[NotTaken]:
        return list(self._scanned().not_taken)

    def registry_file(self, name: str) -> LandingFile | None:
        path = self.root / "registry" / name
        relative = f"registry/{name}"
        if path.is_symlink() and not self._inside(path):
            # A registry is read whole and its faults quoted: a link to /etc/shadow must not be.
            raise LandingError(
                f"SMARTCITY_LANDING: {relative} is a link to a file outside the landing area, which is not "
                "followed; copy the registry file itself into registry/"
            )
        return LandingFile(relative, path) if path.is_file() else None

    # -- the scan --------------------------------------------------------------------------------------------

    def _inside(self, path: Path) -> bool:
        return Path(os.path.realpath(path)).is_relative_to(self.root)

    def _scanned(self) -> _Scan:
        if self._scan is None:
            self._scan = self._scan_submissions()
            for entry in self._scan.not_taken:
                # %r: a name may hold a line break, which must not forge a line of the log.
                log.warning("not taken: %r: %s", entry.path, entry.reason)
        return self._scan

    def _kind(self, path: Path) -> tuple[str, int]:
        """'dir', 'file', 'outside' (a link leaving the landing area), 'broken' or 'other', and the mode."""
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            if not self._inside(path):
                return "outside", mode
            try:
                mode = path.stat().st_mode
            except OSError:
                return "broken", mode
        if stat.S_ISDIR(mode):
            return "dir", mode
        if stat.S_ISREG(mode):
            return "file", mode
        return "other", mode

    def _scan_submissions(self) -> _Scan:
        scan = _Scan()
        folder = self.root / "submissions"
        if not folder.exists() and not folder.is_symlink():
            return scan
        kind, _ = self._kind(folder)
        if kind != "dir":
            scan.not_taken.append(rules.link_outside("submissions/", None))
            return scan
        latest = current_month()
        candidates: list[tuple[date, str, Path]] = []
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            relative = f"submissions/{entry.name}"
            kind, mode = self._kind(entry)
            if kind != "dir":
                scan.not_taken.append(
                    self._not_a_file(relative, None, kind, mode) or rules.outside_month_folder(relative)
                )
                continue
            month = rules.folder_month(entry.name)
            if month is None:
                scan.not_taken.append(rules.not_a_month_folder(relative + "/"))
                continue
            out_of_range = rules.month_out_of_range(relative + "/", month, latest)
            if out_of_range is not None:
                scan.not_taken.append(out_of_range)
                continue
            scan.files.setdefault(month, [])
            candidates += self._scan_month(entry, relative, month, scan)
        for month, relative, path in self._settled(candidates, scan):
            scan.files[month].append(LandingFile(relative, path))
        for files in scan.files.values():
            files.sort(key=lambda f: f.relative_path)
        scan.not_taken.sort(key=lambda entry: entry.path)
        return scan

    def _not_a_file(self, relative: str, month: date | None, kind: str, mode: int) -> NotTaken | None:
        if kind == "outside":
            return rules.link_outside(relative, month)
        if kind == "broken":
            return rules.broken_link(relative, month)
        if kind == "other":
            return rules.not_a_regular_file(relative, month, _describe(mode))
        return None

    def _scan_month(
        self, folder: Path, folder_relative: str, month: date, scan: _Scan
    ) -> list[tuple[date, str, Path]]:
        candidates = []
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            relative = f"{folder_relative}/{entry.name}"
            kind, mode = self._kind(entry)
            if kind == "dir":
                scan.not_taken.append(rules.nested_folder(relative + "/", month))
                continue
            problem = self._not_a_file(relative, month, kind, mode) or rules.name_problem(relative, month)
            if problem is None:
                try:
                    with entry.open("rb"):
                        pass
                except OSError as error:
                    problem = rules.cannot_be_read(relative, month, error.strerror or type(error).__name__)
            if problem is not None:
                scan.not_taken.append(problem)
            else:
                candidates.append((month, relative, entry))
        return candidates

    def _settled(self, candidates: list[tuple[date, str, Path]], scan: _Scan) -> list[tuple[date, str, Path]]:
        """The candidates that are not being written: unchanged across a wait when they changed lately."""
        if self._settle_seconds <= 0:
            return candidates
        seen = {path: path.stat() for _, _, path in candidates}
        now = time.time()
        young = [path for path, info in seen.items() if now - info.st_mtime < self._settle_seconds]
        if not young:
            return candidates
        wait = self._settle_seconds - min(now - seen[path].st_mtime for path in young)
        log.info(
            "%d file(s) changed in the last %g s: waiting %.1f s to see that they are complete",
            len(young),
            self._settle_seconds,
            max(wait, 0.0),
        )
        time.sleep(min(max(wait, 0.0), self._settle_seconds))
        settled = []
        for month, relative, path in candidates:
            before = seen[path]
            try:
                after = path.stat()
            except OSError:
                after = None
            if after is None or (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
                scan.not_taken.append(rules.still_being_written(relative, month, self._settle_seconds))
            else:
                settled.append((month, relative, path))
        return settled
