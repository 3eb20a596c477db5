"""Where submissions come from. One interface; the local folder is the first implementation.

Object stores and the HTTP API plug in behind the same `LandingArea` protocol.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

from smartcity.config import ConfigError

MONTH_FOLDER = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
SUBMISSION_SUFFIXES = (".csv", ".xlsx", ".json")
REGISTRY_FILES = ("cities.csv", "projects.csv", "plan_assessments.csv")


@dataclass(frozen=True)
class LandingFile:
    """One file of the landing area, named by its path relative to the landing root."""

    relative_path: str
    local_path: Path


class LandingArea(Protocol):
    description: str

    def submission_months(self) -> list[date]: ...

    def submission_files(self, month: date) -> list[LandingFile]: ...

    def registry_file(self, name: str) -> LandingFile | None: ...


class LocalFolder:
    """A landing area on the local file system (a path or a file:// URI)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.description = str(root)
        if not root.is_dir():
            raise ConfigError(
                f"SMARTCITY_LANDING={root} is not a folder: point it at a landing area holding "
                "registry/ and submissions/<YYYY-MM>/"
            )
        if not (root / "registry" / "cities.csv").is_file():
            raise ConfigError(
                f"SMARTCITY_LANDING={root} has no registry/cities.csv: the city registry is required"
            )

    def submission_months(self) -> list[date]:
        folder = self.root / "submissions"
        if not folder.is_dir():
            return []
        months = []
        for child in folder.iterdir():
            match = MONTH_FOLDER.match(child.name)
            if child.is_dir() and match:
                months.append(date(int(match.group(1)), int(match.group(2)), 1))
        return sorted(months)

    def submission_files(self, month: date) -> list[LandingFile]:
        folder = self.root / "submissions" / month.strftime("%Y-%m")
        if not folder.is_dir():
            return []
        # Every regular file counts as received, whatever its suffix: an unsupported one is
        # rejected with a reason rather than silently ignored. Hidden files (editor droppings) are not
        # submissions.
        files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
        return [LandingFile(str(p.relative_to(self.root)), p) for p in sorted(files)]

    def registry_file(self, name: str) -> LandingFile | None:
        path = self.root / "registry" / name
        return LandingFile(str(path.relative_to(self.root)), path) if path.is_file() else None


def open_landing(landing: str) -> LandingArea:
    """The landing area named by SMARTCITY_LANDING."""
    parsed = urlparse(landing)
    if parsed.scheme in ("", "file"):
        path = Path(unquote(parsed.path) if parsed.scheme == "file" else landing).expanduser()
        return LocalFolder(path.resolve())
    raise ConfigError(
        f"SMARTCITY_LANDING={landing!r}: the scheme {parsed.scheme!r}:// is not supported; "
        "use a local folder or a file:// URI"
    )
