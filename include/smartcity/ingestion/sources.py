"""Where submissions come from: one interface, three kinds of landing area (docs/sources.md).

- `LocalFolder`: a folder or a file:// URI.
- `ObjectStore`: s3://bucket/prefix (or s3://CONN_ID@bucket/prefix, credentials from an Airflow connection),
  or any other fsspec URI, with the same layout as the folder.
- `HttpApi`: http(s)://host/base, the submissions API described in docs/sources.md.

Remote files are downloaded into a local cache folder (the pipeline's state folder, `incoming/`), so every
reader and checksum works on a local path; nothing is ever written to the source. Credentials come from the
environment or an Airflow connection, never from SMARTCITY_LANDING itself.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import posixpath
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from smartcity.config import ConfigError
from smartcity.errors import PipelineError

log = logging.getLogger(__name__)

MONTH_FOLDER = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
SUBMISSION_SUFFIXES = (".csv", ".xlsx", ".json")
REGISTRY_FILES = ("cities.csv", "projects.csv", "plan_assessments.csv")

S3_ENDPOINT_VARIABLE = "SMARTCITY_S3_ENDPOINT_URL"
HTTP_CONN_ID_VARIABLE = "SMARTCITY_HTTP_CONN_ID"
API_TOKEN_VARIABLE = "SMARTCITY_API_TOKEN"
DEFAULT_HTTP_CONN_ID = "smartcity_api"

# Object stores: botocore's own bounded retries and timeouts.
S3_CONFIG = {"connect_timeout": 10, "read_timeout": 60, "retries": {"max_attempts": 5, "mode": "standard"}}
# HTTP API: every request has a timeout (connect, read) in seconds; 5xx, 429 and connection errors are
# retried with exponential backoff (HTTP_BACKOFF, then 2x, 4x, ... at most HTTP_MAX_WAIT; a Retry-After
# answer is honoured up to that cap), HTTP_TRIES tries in all.
HTTP_TIMEOUT = (10.0, 60.0)
HTTP_TRIES = 5
HTTP_BACKOFF = 0.5
HTTP_MAX_WAIT = 8.0
HTTP_MAX_PAGES = 10_000

_UNSAFE = re.compile(r"[^A-Za-z0-9._\-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# File systems allow 255 bytes in a name; remote names can be longer (an S3 key, an API's file name).
_MAX_LOCAL_NAME_BYTES = 200


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

    def submission_months(self) -> list[date]: ...

    def submission_files(self, month: date) -> list[LandingFile]: ...

    def registry_file(self, name: str) -> LandingFile | None: ...


def _month_of(name: str) -> date | None:
    match = MONTH_FOLDER.match(name)
    return date(int(match.group(1)), int(match.group(2)), 1) if match else None


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
        months = [m for child in folder.iterdir() if child.is_dir() and (m := _month_of(child.name))]
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


# --------------------------------------------------------------------------------------------------------
# The local cache of remote files
# --------------------------------------------------------------------------------------------------------


class _Cache:
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
    return f"{hashlib.sha256(encoded).hexdigest()[:16]}__{_CONTROL.sub('_', tail)}"


# --------------------------------------------------------------------------------------------------------
# Object stores (fsspec / s3fs)
# --------------------------------------------------------------------------------------------------------


def _version_of(info: Mapping[str, Any]) -> str | None:
    """What identifies one version of a remote object, or None when the store tells nothing usable."""
    tag = next((info[k] for k in ("ETag", "etag", "md5", "checksum") if info.get(k) is not None), None)
    modified = next(
        (info[k] for k in ("LastModified", "last_modified", "mtime", "created") if info.get(k) is not None),
        None,
    )
    if tag is None and modified is None:
        return None
    return json.dumps([str(tag), info.get("size"), str(modified)])


def _airflow_connection(conn_id: str, required: bool):
    """The Airflow connection `conn_id`, looked up only when asked for (Airflow is imported here, lazily)."""
    try:
        from airflow.sdk import BaseHook
    except ImportError as error:
        if not required:
            return None
        raise LandingError(
            f"SMARTCITY_LANDING names the Airflow connection {conn_id!r}, but Airflow cannot be imported "
            f"here ({error})"
        ) from None
    try:
        return BaseHook.get_connection(conn_id)
    except Exception as error:  # AirflowNotFoundException, or a secrets backend that fails
        if not required:
            log.debug("no Airflow connection %r: %s", conn_id, error)
            return None
        raise LandingError(
            f"SMARTCITY_LANDING names the Airflow connection {conn_id!r}, which cannot be found ({error}); "
            f"define it in Airflow, or as the environment variable AIRFLOW_CONN_{conn_id.upper()}"
        ) from None


def _s3_options(env: Mapping[str, str], conn_id: str | None) -> dict[str, Any]:
    """s3fs options: the standard AWS_* variables and the endpoint, or the Airflow connection `conn_id`."""
    client: dict[str, Any] = {}
    options: dict[str, Any] = {"config_kwargs": dict(S3_CONFIG), "client_kwargs": client}
    endpoint = env.get(S3_ENDPOINT_VARIABLE) or env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    key, secret, token = (
        env.get(v) for v in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
    )
    if conn_id:
        conn = _airflow_connection(conn_id, required=True)
        extra = conn.extra_dejson or {}
        key = conn.login or extra.get("aws_access_key_id")
        secret = conn.password or extra.get("aws_secret_access_key")
        token = extra.get("aws_session_token")
        s3_service = (extra.get("service_config") or {}).get("s3") or {}
        endpoint = s3_service.get("endpoint_url") or extra.get("endpoint_url") or endpoint
        region = extra.get("region_name") or region
        ignored = sorted(k for k in ("role_arn", "profile_name", "assume_role_method") if extra.get(k))
        if ignored:
            log.warning("connection %s: %s not supported for the landing area; ignored", conn_id, ignored)
    if key and secret:
        options.update(key=key, secret=secret)
        if token:
            options["token"] = token
    if endpoint:
        client["endpoint_url"] = endpoint
    if region:
        client["region_name"] = region
    return options


class ObjectStore:
    """A landing area in an object store (s3://bucket/prefix or another fsspec URI), read-only."""

    def __init__(self, fs, root: str, description: str, cache: _Cache) -> None:
        self.fs = fs
        self.root = root.rstrip("/")
        self.description = description
        self._cache = cache
        self._check()

    @classmethod
    def from_uri(cls, landing: str, cache_dir: Path, env: Mapping[str, str]) -> ObjectStore:
        import fsspec

        parsed = urlparse(landing)
        scheme = parsed.scheme.lower()
        userinfo, _, host = parsed.netloc.rpartition("@")
        if ":" in userinfo:
            raise LandingError(
                f"SMARTCITY_LANDING: a secret in the URI ({scheme}://user:password@...) is not accepted; "
                "give credentials through AWS_* variables or an Airflow connection (s3://CONN_ID@bucket/prefix)"
            )
        if userinfo and scheme not in ("s3", "s3a"):
            raise LandingError(
                f"SMARTCITY_LANDING={landing!r}: the CONN_ID@ form names an Airflow connection for s3:// only"
            )
        description = landing.rstrip("/")
        options: dict[str, Any] = {}
        uri = landing
        if scheme in ("s3", "s3a"):
            options = _s3_options(env, userinfo or None)
            uri = f"s3://{host}{parsed.path}"
        try:
            fs, root = fsspec.core.url_to_fs(uri, skip_instance_cache=True, **options)
        except (ImportError, ValueError) as error:
            raise LandingError(
                f"SMARTCITY_LANDING={description!r}: the scheme {scheme}:// cannot be used ({error}); use a "
                "local folder, file://, s3://, http(s):// or an fsspec URI whose package is installed"
            ) from None
        return cls(fs, root, description, _Cache(cache_dir, description))

    def _fault(self, action: str, error: Exception) -> str:
        return f"SMARTCITY_LANDING={self.description}: {action} failed ({type(error).__name__}: {error})"

    def _check(self) -> None:
        cities = f"{self.root}/registry/cities.csv"
        try:
            info = self.fs.info(cities)
        except FileNotFoundError:
            info = None
        except PermissionError as error:
            raise LandingError(
                self._fault("reading registry/cities.csv", error)
                + ": access refused; check the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or the "
                "Airflow connection in s3://CONN_ID@bucket/prefix)"
            ) from None
        except Exception as error:
            raise LandingError(
                self._fault("reaching the object store", error)
                + f"; check the URI, the endpoint ({S3_ENDPOINT_VARIABLE} or AWS_ENDPOINT_URL), the network"
            ) from None
        if info is None and not self._exists(self.root):
            raise LandingError(
                f"SMARTCITY_LANDING={self.description}: nothing is there (no such bucket, or nothing under "
                "this prefix); point it at a landing area holding registry/ and submissions/<YYYY-MM>/"
            )
        if info is None or info.get("type") != "file":
            raise LandingError(
                f"SMARTCITY_LANDING={self.description} has no registry/cities.csv: the city registry is "
                "required (layout: registry/ and submissions/<YYYY-MM>/)"
            )

    def _exists(self, path: str) -> bool:
        try:
            return bool(self.fs.exists(path))
        except Exception:  # the question was only to word the message better
            return True

    def _list(self, path: str) -> list[dict]:
        try:
            entries = self.fs.ls(path, detail=True)
        except FileNotFoundError:
            return []
        except Exception as error:
            raise LandingUnavailable(self._fault(f"listing {path}", error)) from None
        own = path.rstrip("/")
        return [e for e in entries if e["name"].rstrip("/") != own]

    def _download(self, info: Mapping[str, Any], relative: str) -> LandingFile:
        version = _version_of(info)
        if not self._cache.is_current(relative, version):
            partial = self._cache.partial(relative)
            try:
                self.fs.get_file(info["name"], str(partial))
            except Exception as error:
                partial.unlink(missing_ok=True)
                raise LandingUnavailable(self._fault(f"downloading {relative}", error)) from None
            self._cache.commit(relative, partial, version)
            log.debug("downloaded %s", relative)
        return LandingFile(relative, self._cache.path(relative))

    def submission_months(self) -> list[date]:
        months = [
            m
            for e in self._list(f"{self.root}/submissions")
            if e.get("type") == "directory" and (m := _month_of(posixpath.basename(e["name"].rstrip("/"))))
        ]
        return sorted(set(months))

    def submission_files(self, month: date) -> list[LandingFile]:
        folder = month.strftime("%Y-%m")
        entries = sorted(
            (e for e in self._list(f"{self.root}/submissions/{folder}") if e.get("type") == "file"),
            key=lambda e: e["name"],
        )
        files = []
        for entry in entries:
            name = posixpath.basename(entry["name"].rstrip("/"))
            if not name.startswith("."):  # hidden objects are not submissions, as in a folder
                files.append(self._download(entry, f"submissions/{folder}/{name}"))
        return files

    def registry_file(self, name: str) -> LandingFile | None:
        try:
            info = self.fs.info(f"{self.root}/registry/{name}")
        except FileNotFoundError:
            return None
        except Exception as error:
            raise LandingUnavailable(self._fault(f"reading registry/{name}", error)) from None
        return self._download(info, f"registry/{name}") if info.get("type") == "file" else None


# --------------------------------------------------------------------------------------------------------
# The submissions HTTP API (docs/sources.md)
# --------------------------------------------------------------------------------------------------------


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
    conn = _airflow_connection(conn_id, required=False)
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
        cache: _Cache,
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
        return cls(base, _Cache(cache_dir, base), token, source)

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

    def _fetch_months(self) -> list[date]:
        document = self._json("submissions/months")
        if not isinstance(document, list) or not all(isinstance(m, str) for m in document):
            raise self._not_as_documented("submissions/months", 'expected a list like ["2024-01", ...]')
        months = set()
        for value in document:
            month = _month_of(value)
            if month is None:
                log.warning("the API lists %r as a month; not YYYY-MM, ignored", value)
            else:
                months.add(month)
        return sorted(months)

    def submission_months(self) -> list[date]:
        return list(self._months)

    def submission_files(self, month: date) -> list[LandingFile]:
        folder = month.strftime("%Y-%m")
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
                name = self._file_name(path, item)
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
        return [files[k] for k in sorted(files)]

    def _file_name(self, path: str, item: Any) -> str:
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise self._not_as_documented(path, f"an item has no file name: {str(item)[:120]!r}")
        safe = _CONTROL.sub("", name.strip().replace("/", "_").replace("\\", "_"))
        if safe in ("", ".", ".."):
            raise self._not_as_documented(path, f"the file name {name!r} cannot be used")
        return safe if safe.lower().endswith(".json") else f"{safe}.json"

    def registry_file(self, name: str) -> LandingFile | None:
        relative = f"registry/{name}"
        response = self._get(relative, missing_ok=True)
        if response is None:
            return None
        return LandingFile(relative, self._cache.write_bytes(relative, response.content))


# --------------------------------------------------------------------------------------------------------


def open_landing(landing: str, cache_dir: Path | None = None) -> LandingArea:
    """The landing area named by SMARTCITY_LANDING.

    Remote files are downloaded into `cache_dir` (the pipeline passes its state folder's `incoming/`);
    without one, into `smartcity-incoming/` in the system's temporary folder.
    """
    parsed = urlparse(landing)
    scheme = parsed.scheme.lower()
    if scheme in ("", "file") or len(scheme) == 1:  # a path (or a Windows drive letter)
        path = Path(unquote(parsed.path) if scheme == "file" else landing).expanduser()
        return LocalFolder(path.resolve())
    if cache_dir is None:
        cache_dir = Path(tempfile.gettempdir()) / "smartcity-incoming"
    if scheme in ("http", "https"):
        return HttpApi.from_env(landing, cache_dir, os.environ)
    return ObjectStore.from_uri(landing, cache_dir, os.environ)
