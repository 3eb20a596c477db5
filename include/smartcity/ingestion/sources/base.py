"""The interface every kind of landing area offers the pipeline, and the errors it raises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from smartcity.config import ConfigError
from smartcity.errors import PipelineError
from smartcity.ingestion.sources.rules import NotTaken

SUBMISSION_SUFFIXES = (".csv", ".xlsx", ".json")
REGISTRY_FILES = ("cities.csv", "projects.csv", "plan_assessments.csv")


class LandingError(ConfigError):
    """The landing area cannot be used as configured: refused, missing, or not answering as documented."""


class LandingUnavailable(PipelineError):
    """The landing area did not answer, even after bounded retries; a later try may succeed."""


@dataclass(frozen=True)
class LandingFile:
    """One file of the landing area, named by its path relative to the landing root."""

    relative_path: str
    local_path: Path


class LandingArea(Protocol):
    description: str

    def submission_months(self) -> list[date]:
        """The months (CE) of the month folders taken, oldest first."""
        ...

    def submission_files(self, month: date) -> list[LandingFile]:
        """The files taken from the folders of `month` (2024-03 and 2567-03 alike), by landing path."""
        ...

    def not_taken(self) -> list[NotTaken]:
        """Every entry under submissions/ that is not taken, with why (contract section 2)."""
        ...

    def registry_file(self, name: str) -> LandingFile | None: ...
