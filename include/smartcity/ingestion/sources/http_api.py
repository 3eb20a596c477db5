"""The submissions HTTP API as a landing area (docs/sources.md), read-only.

Registry CSVs are cached as received; each submitted item becomes `<name>.json` holding its rows as
deterministic JSON, so the same rows always give the same checksum (exactly-once ingestion). Every request has
a timeout; 5xx, 429 and connection errors are retried with bounded exponential backoff (tenacity).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from smartcity.config import current_month
from smartcity.ingestion.sources import rules
from smartcity.ingestion.sources.base import LandingError, LandingFile, LandingUnavailable
from smartcity.ingestion.sources.cache import CONTROL, Cache
from smartcity.ingestion.sources.object_store import airflow_connection
from smartcity.ingestion.sources.rules import NotTaken

log = logging.getLogger(__name__)

HTTP_CONN_ID_VARIABLE = "SMARTCITY_HTTP_CONN_ID"
API_TOKEN_VARIABLE = "SMARTCITY_API_TOKEN"
DEFAULT_HTTP_CONN_ID = "smartcity_api"
# Every request has a timeout (connect, read) in seconds; 5xx, 429 and connection errors are retried with
# exponential backoff (HTTP_BACKOFF, then 2x, 4x, ... at most HTTP_MAX_WAIT; a Retry-After answer is honoured
# up to that cap), HTTP_TRIES tries in all.
HTTP_TIMEOUT = (10.0, 60.0)
HTTP_TRIES = 5
HTTP_BACKOFF = 0.5
HTTP_MAX_WAIT = 8.0
HTTP_MAX_PAGES = 10_000


class _Transient(Exception):
    """A failure worth retrying: a 5xx or 429 answer, a connection error, a timeout."""

    def __init__(self, what: str, retry_after: float | None = None) -> None:
        super().__init__(what)
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:  # an HTTP date: fall back to our own backoff
        return None


def _api_token(env: Mapping[str, str]) -> tuple[str | None, str]:
    """The bearer token and where it came from (named in messages; the token itself never is)."""
    token = (env.get(API_TOKEN_VARIABLE) or "").strip()
    conn_id = (env.get(HTTP_CONN_ID_VARIABLE) or "").strip() or DEFAULT_HTTP_CONN_ID
    if token:
        return token, API_TOKEN_VARIABLE
    conn = airflow_connection(conn_id, required=False)
    if conn is not None and conn.password:
        return conn.password, f"connection {conn_id}"
    log.warning(
        "no API token: neither %s nor the Airflow connection %s (password) is set; calling without one",
        API_TOKEN_VARIABLE,
        conn_id,
    )
    return None, f"connection {conn_id}"


class HttpApi:
    """A landing area served by the submissions API (docs/sources.md), read-only.

    The registry CSVs are cached as received; each submitted item becomes `<name>.json` holding its rows
    as deterministic JSON, so the same rows always give the same checksum (exactly-once ingestion).
    """

    def __init__(
        self,
        base_url: str,
        cache: Cache,
        token: str | None,
        token_source: str,
        *,
        tries: int | None = None,
        backoff: float | None = None,
        max_wait: float | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> None:
        import requests

        self.base = base_url.rstrip("/")
        self.description = self.base
        self._cache = cache
        self._token_source = token_source
        self._tries = HTTP_TRIES if tries is None else tries
        self._backoff = HTTP_BACKOFF if backoff is None else backoff
        self._max_wait = HTTP_MAX_WAIT if max_wait is None else max_wait
        self._timeout = HTTP_TIMEOUT if timeout is None else timeout
        self._session = requests.Session()
        self._session.headers.update({"Accept": "application/json", "User-Agent": "smartcity-pipeline"})
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"
        self._not_taken: list[NotTaken] = []
        try:
            self._months = self._fetch_months()
        except LandingUnavailable as error:  # cannot reach it at all: the setting is what to check
            raise LandingError(str(error)) from None

    @classmethod
    def from_env(cls, landing: str, cache_dir: Path, env: Mapping[str, str]) -> HttpApi:
        parsed = urlparse(landing)
        if not parsed.hostname:
            raise LandingError(f"SMARTCITY_LANDING={landing!r} names no host")
        if parsed.username or parsed.password or parsed.query or parsed.fragment:
            raise LandingError(
                "SMARTCITY_LANDING: give the API's base URL alone (no user, token, query or fragment); the "
                f"token comes from the Airflow connection {DEFAULT_HTTP_CONN_ID} or {API_TOKEN_VARIABLE}"
            )
        base = landing.rstrip("/")
        token, source = _api_token(env)
        return cls(base, Cache(cache_dir, base), token, source)

    # -- requests ------------------------------------------------------------------------------------------

    def _wait(self, retry_state) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        exponential = self._backoff * 2 ** (retry_state.attempt_number - 1)
        asked = getattr(error, "retry_after", None)
        return min(self._max_wait, asked if asked is not None else exponential)

    def _attempt(self, url: str, params: dict | None):
        import requests

        try:
            response = self._session.get(url, params=params, timeout=self._timeout)
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as e:
            raise _Transient(type(e).__name__) from e
        if response.status_code == 429 or response.status_code >= 500:
            raise _Transient(
                f"HTTP {response.status_code}", _retry_after(response.headers.get("Retry-After"))
            )
        return response

    def _get(self, path: str, params: dict | None = None, missing_ok: bool = False):
        """GET {base}/{path}: the response, or None for a 404 when `missing_ok`."""
        import requests
        import tenacity

        url = f"{self.base}/{path}"
        shown = path + (f"?{'&'.join(f'{k}={v}' for k, v in params.items())}" if params else "")
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self._tries),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(_Transient),
            before_sleep=lambda state: log.warning(
                "GET %s: %s; try %d of %d",
                shown,
                state.outcome.exception(),
                state.attempt_number,
                self._tries,
            ),
            reraise=True,
        )
        try:
            response = retrying(self._attempt, url, params)
        except _Transient as error:
            raise LandingUnavailable(
                f"SMARTCITY_LANDING={self.description}: GET {shown} failed {self._tries} times "
                f"(last: {error}); the API is not answering, try again later"
            ) from None
        except requests.RequestException as error:
            raise LandingError(
                f"SMARTCITY_LANDING={self.description}: GET {shown} cannot be sent ({type(error).__name__})"
            ) from None
        status = response.status_code
        if status in (401, 403):
            raise LandingError(
                f"SMARTCITY_LANDING={self.description}: GET {shown} answered HTTP {status}: the token was "
                f"refused: check {self._token_source} (or set the Airflow connection {DEFAULT_HTTP_CONN_ID}, "
                f"whose password is the token, or {API_TOKEN_VARIABLE})"
            )
        if status == 404 and missing_ok:
            return None
        if status == 404:
            raise LandingError(
                f"SMARTCITY_LANDING={self.description}: GET {shown} answered HTTP 404 (not found): check the "
                f"base URL (the API is described in docs/sources.md) and the token ({self._token_source})"
            )
        if status >= 400:
            raise LandingError(
                f"SMARTCITY_LANDING={self.description}: GET {shown} answered HTTP {status}: "
                f"{response.text[:200]!r}"
            )
        return response

    def _json(self, path: str, params: dict | None = None) -> Any:
        response = self._get(path, params)
        try:
            return response.json()
        except ValueError:
            raise self._not_as_documented(path, "the answer is not JSON") from None

    def _not_as_documented(self, path: str, what: str) -> LandingError:
        return LandingError(
            f"SMARTCITY_LANDING={self.description}: the answer to GET {path} is not as documented in "
            f"docs/sources.md: {what}"
        )

    # -- the landing area ----------------------------------------------------------------------------------

    def _fetch_months(self) -> dict[date, list[str]]:
        """The API's month names by the month (CE) each stands for; the others are listed as not taken."""
        document = self._json("submissions/months")
        if not isinstance(document, list) or not all(isinstance(m, str) for m in document):
            raise self._not_as_documented("submissions/months", 'expected a list like ["2024-01", ...]')
        months: dict[date, list[str]] = {}
        latest = current_month()
        for value in sorted(set(document)):
            path = f"submissions/{value}/"
            month = rules.folder_month(value)
            problem = (
                rules.not_a_month_folder(path)
                if month is None
                else rules.month_out_of_range(path, month, latest)
            )
            if problem is not None:
                self._not_taken.append(problem)
                log.warning("not taken: %r: %s", problem.path, problem.reason)
            else:
                months.setdefault(month, []).append(value)
        return months

    def submission_months(self) -> list[date]:
        return sorted(self._months)

    def not_taken(self) -> list[NotTaken]:
        return list(self._not_taken)

    def submission_files(self, month: date) -> list[LandingFile]:
        files: dict[str, LandingFile] = {}
        for folder in self._months.get(month, []):
            files.update(self._files_of(folder))
        return [files[k] for k in sorted(files)]

    def _files_of(self, folder: str) -> dict[str, LandingFile]:
        page: Any = 1
        pages_seen: set[int] = set()
        files: dict[str, LandingFile] = {}
        while page is not None:
            path = f"submissions?month={folder}&page={page}"
            if isinstance(page, bool) or not isinstance(page, int) or page in pages_seen:
                raise self._not_as_documented(path, f"next_page {page!r} is not a new page number or null")
            if len(pages_seen) >= HTTP_MAX_PAGES:
                raise self._not_as_documented(path, f"more than {HTTP_MAX_PAGES} pages")
            pages_seen.add(page)
            document = self._json("submissions", {"month": folder, "page": page})
            if not isinstance(document, dict) or not isinstance(document.get("items"), list):
                raise self._not_as_documented(path, 'expected {"items": [...], "next_page": N | null}')
            for item in document["items"]:
                name = self._file_name(folder, item)
                if name is None:
                    continue
                relative = f"submissions/{folder}/{name}"
                if relative in files:
                    raise self._not_as_documented(path, f"the file name {name!r} comes twice in {folder}")
                # Deterministic bytes: the same rows always give the same checksum. Rows that are not a list
                # are written all the same: the reader then rejects the file with a reason (nothing is lost).
                data = json.dumps(item.get("rows"), ensure_ascii=False, sort_keys=True, indent=None)
                files[relative] = LandingFile(
                    relative, self._cache.write_bytes(relative, data.encode("utf-8"))
                )
            page = document.get("next_page")
        return files

    def _file_name(self, folder: str, item: Any) -> str | None:
        """The item's file name made safe as a local name; None (and the item listed as not taken) when it
        has none that can be used."""
        name = item.get("name") if isinstance(item, dict) else None
        safe = (
            CONTROL.sub("", name.strip().replace("/", "_").replace("\\", "_"))
            if isinstance(name, str)
            else ""
        )
        if safe in ("", ".", ".."):
            shown = str(name)[:60] if isinstance(name, str) else "(none)"
            problem = NotTaken(
                f"submissions/{folder}/{shown}",
                "UNUSABLE_NAME",
                f"the API lists an item whose file name ({shown!r}) cannot be used; give every submission a "
                "file name",
                rules.folder_month(folder),
            )
            self._not_taken.append(problem)
            log.warning("not taken: %r: %s", problem.path, problem.reason)
            return None
        return safe if safe.lower().endswith(".json") else f"{safe}.json"

    def registry_file(self, name: str) -> LandingFile | None:
        relative = f"registry/{name}"
        response = self._get(relative, missing_ok=True)
        if response is None:
            return None
        return LandingFile(relative, self._cache.write_bytes(relative, response.content))
