"""A landing area in an object store: s3://bucket/prefix (or s3://CONN_ID@bucket/prefix, credentials from an
Airflow connection), or any other fsspec URI, with the same layout as a folder and the same rules for what
is taken (sources/rules.py). Objects appear whole when their upload completes, so no settling wait is needed.
Each file taken is downloaded into the local cache; nothing is ever written to the store.
"""

from __future__ import annotations

import json
import logging
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from smartcity.config import current_month
from smartcity.ingestion.sources import rules
from smartcity.ingestion.sources.base import LandingError, LandingFile, LandingUnavailable
from smartcity.ingestion.sources.cache import Cache
from smartcity.ingestion.sources.rules import NotTaken

log = logging.getLogger(__name__)

S3_ENDPOINT_VARIABLE = "SMARTCITY_S3_ENDPOINT_URL"
# Object stores: botocore's own bounded retries and timeouts.
S3_CONFIG = {"connect_timeout": 10, "read_timeout": 60, "retries": {"max_attempts": 5, "mode": "standard"}}


@dataclass
class _Scan:
    entries: dict[date, list[tuple[str, dict]]] = field(default_factory=dict)  # month -> (relative, info)
    not_taken: list[NotTaken] = field(default_factory=list)


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


def airflow_connection(conn_id: str, required: bool):
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
        conn = airflow_connection(conn_id, required=True)
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

    def __init__(self, fs, root: str, description: str, cache: Cache) -> None:
        self.fs = fs
        self.root = root.rstrip("/")
        self.description = description
        self._cache = cache
        self._scan: _Scan | None = None
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
        except Exception as error:  # a file system that connects when made (ftp://, sftp://) and cannot
            raise LandingError(
                f"SMARTCITY_LANDING={description!r}: the landing area cannot be reached "
                f"({type(error).__name__}: {error}); check the address, the network and the credentials"
            ) from None
        return cls(fs, root, description, Cache(cache_dir, description))

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
        return sorted(self._scanned().entries)

    def submission_files(self, month: date) -> list[LandingFile]:
        return [self._download(info, relative) for relative, info in self._scanned().entries.get(month, [])]

    def not_taken(self) -> list[NotTaken]:
        return list(self._scanned().not_taken)

    def _scanned(self) -> _Scan:
        if self._scan is None:
            self._scan = self._scan_submissions()
            for entry in self._scan.not_taken:
                log.warning("not taken: %r: %s", entry.path, entry.reason)
        return self._scan

    def _scan_submissions(self) -> _Scan:
        scan = _Scan()
        latest = current_month()
        for entry in sorted(self._list(f"{self.root}/submissions"), key=lambda e: e["name"]):
            name = posixpath.basename(entry["name"].rstrip("/"))
            relative = f"submissions/{name}"
            if entry.get("type") != "directory":
                scan.not_taken.append(rules.outside_month_folder(relative))
                continue
            month = rules.folder_month(name)
            if month is None:
                scan.not_taken.append(rules.not_a_month_folder(relative + "/"))
                continue
            out_of_range = rules.month_out_of_range(relative + "/", month, latest)
            if out_of_range is not None:
                scan.not_taken.append(out_of_range)
                continue
            taken = scan.entries.setdefault(month, [])
            for item in self._list(entry["name"].rstrip("/")):
                item_relative = f"{relative}/{posixpath.basename(item['name'].rstrip('/'))}"
                if item.get("type") == "directory":
                    scan.not_taken.append(rules.nested_folder(item_relative + "/", month))
                elif (problem := rules.name_problem(item_relative, month)) is not None:
                    scan.not_taken.append(problem)
                else:
                    taken.append((item_relative, item))
        for taken in scan.entries.values():
            taken.sort(key=lambda pair: pair[0])
        scan.not_taken.sort(key=lambda entry: entry.path)
        return scan

    def registry_file(self, name: str) -> LandingFile | None:
        try:
            info = self.fs.info(f"{self.root}/registry/{name}")
        except FileNotFoundError:
            return None
        except Exception as error:
            raise LandingUnavailable(self._fault(f"reading registry/{name}", error)) from None
        return self._download(info, f"registry/{name}") if info.get("type") == "file" else None
