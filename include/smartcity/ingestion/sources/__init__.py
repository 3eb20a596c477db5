"""Where submissions come from: one interface, three kinds of landing area (docs/sources.md).

- `LocalFolder` (local.py): a folder or a file:// URI.
- `ObjectStore` (object_store.py): s3://bucket/prefix (or s3://CONN_ID@bucket/prefix, credentials from an
  Airflow connection), or any other fsspec URI, with the same layout as the folder.
- `HttpApi` (http_api.py): http(s)://host/base, the submissions API described in docs/sources.md.

Each takes the same entries (rules.py: month folders read like row months, files directly inside them, no
hidden, temporary or unfinished file, no link leaving the landing area) and lists the rest with its reason.
Remote files are downloaded into a local cache folder (the pipeline's state folder, `incoming/`), so every
reader and checksum works on a local path; nothing is ever written to the source. Credentials come from the
environment or an Airflow connection, never from SMARTCITY_LANDING itself.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

from smartcity.ingestion.sources.base import (
    REGISTRY_FILES,
    SUBMISSION_SUFFIXES,
    LandingArea,
    LandingError,
    LandingFile,
    LandingUnavailable,
)
from smartcity.ingestion.sources.rules import NotTaken

__all__ = [
    "REGISTRY_FILES",
    "SUBMISSION_SUFFIXES",
    "LandingArea",
    "LandingError",
    "LandingFile",
    "LandingUnavailable",
    "NotTaken",
    "open_landing",
]


def open_landing(landing: str, cache_dir: Path | None = None) -> LandingArea:
    """The landing area named by SMARTCITY_LANDING.

    Remote files are downloaded into `cache_dir` (the pipeline passes its state folder's `incoming/`);
    without one, into `smartcity-incoming/` in the system's temporary folder.
    """
    parsed = urlparse(landing)
    scheme = parsed.scheme.lower()
    if scheme in ("", "file") or len(scheme) == 1:  # a path (or a Windows drive letter)
        from smartcity.ingestion.sources.local import LocalFolder

        path = Path(unquote(parsed.path) if scheme == "file" else landing).expanduser()
        return LocalFolder(path.resolve())
    if cache_dir is None:
        cache_dir = Path(tempfile.gettempdir()) / "smartcity-incoming"
    if scheme in ("http", "https"):
        from smartcity.ingestion.sources.http_api import HttpApi

        return HttpApi.from_env(landing, cache_dir, os.environ)
    from smartcity.ingestion.sources.object_store import ObjectStore

    return ObjectStore.from_uri(landing, cache_dir, os.environ)
