"""Prepare Superset for the Smart City warehouse; run by start.sh after `superset db upgrade` and `init`.

Creates the admin user from SUPERSET_ADMIN_* when it does not exist yet (no default credentials), then imports
the dashboards as code (bundle/: the database, datasets, charts and dashboards as YAML, written by
build_bundle.py), overwriting what an earlier start imported. The database is the published DuckDB warehouse,
read-only and locked down: SQLAlchemy URI SMARTCITY_WAREHOUSE_URI (default
`duckdb:////warehouse/warehouse.duckdb`), engine parameters `BI_CONNECT_ARGS` below, exposed in SQL Lab, DML
and file uploads disallowed.

`read_only` alone stops writes to the warehouse, not access to the server's files: DuckDB's table functions
would still read any file Superset can (`read_csv('/etc/passwd')`, `read_text('/proc/self/environ')`, which
holds Superset's secret key) and `COPY ... TO` would write files. `enable_external_access = false` turns off
every file and network access beyond the opened database (read_csv, read_text, glob, COPY, ATTACH, LOAD),
and `lock_configuration = true` forbids any later `SET`/`RESET`, so a SQL Lab user cannot switch it back.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# How BI opens the warehouse (README "Connecting a BI tool"; proven by tests/e2e/test_bi_lockdown.py).
BI_CONNECT_ARGS = {
    "read_only": True,
    "config": {"enable_external_access": False, "lock_configuration": True},
}
READ_ONLY_EXTRA = {"engine_params": {"connect_args": BI_CONNECT_ARGS}}


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        sys.exit(f"bootstrap: {name} is not set (see deploy/.env.example)")
    return value


DEFAULT_WAREHOUSE_URI = "duckdb:////warehouse/warehouse.duckdb"
# The dashboards as code (datasets, charts, dashboards as YAML; written by build_bundle.py).
BUNDLE = Path(os.environ.get("SMARTCITY_SUPERSET_BUNDLE") or Path(__file__).with_name("bundle"))
DATABASE_FILE = "databases/Smart_City_warehouse.yaml"


def bundle_contents(uri: str) -> dict[str, str]:
    """The bundle's files as Superset's importer takes them, the database pointed at this deployment's
    warehouse with the locked-down connection (whatever the YAML says)."""
    import yaml

    contents = {
        path.relative_to(BUNDLE).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(BUNDLE.rglob("*.yaml"))
    }
    key = DATABASE_FILE
    if key not in contents:
        sys.exit(f"bootstrap: the dashboards bundle {BUNDLE} has no {DATABASE_FILE}")
    database = yaml.safe_load(contents[key])
    database["sqlalchemy_uri"] = uri
    database["extra"] = {**database.get("extra", {}), **READ_ONLY_EXTRA}
    database["allow_dml"] = database["allow_file_upload"] = database["allow_run_async"] = False
    contents[key] = yaml.safe_dump(database, allow_unicode=True, sort_keys=False)
    return contents


def main() -> None:
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        import yaml
        from superset import db, security_manager
        from superset.commands.importers.v1.assets import ImportAssetsCommand
        from superset.models.core import Database
        from superset.utils.core import override_user

        username = _required("SUPERSET_ADMIN_USER")
        user = security_manager.find_user(username=username)
        if user is None:
            user = security_manager.add_user(
                username=username,
                first_name="Smart City",
                last_name="Administrator",
                email=_required("SUPERSET_ADMIN_EMAIL"),
                role=security_manager.find_role("Admin"),
                password=_required("SUPERSET_ADMIN_PASSWORD"),
            )
            if not user:
                sys.exit(f"bootstrap: could not create the admin user {username!r}")
            print(f"bootstrap: admin user {username!r} created")

        uri = os.environ.get("SMARTCITY_WAREHOUSE_URI", DEFAULT_WAREHOUSE_URI)
        contents = bundle_contents(uri)
        database = yaml.safe_load(contents[DATABASE_FILE])
        # A database registered by an earlier bootstrap (same name, no uuid of ours) becomes the bundle's.
        existing = db.session.query(Database).filter_by(database_name=database["database_name"]).one_or_none()
        if existing is not None and str(existing.uuid) != database["uuid"]:
            existing.uuid = database["uuid"]
            db.session.commit()
        # Everything is overwritten on each start: the YAML in the repository is the truth.
        with override_user(user):
            ImportAssetsCommand(contents).run()
        dashboards = sum(1 for name in contents if name.startswith("dashboards/"))
        charts = sum(1 for name in contents if name.startswith("charts/"))
        print(
            f"bootstrap: database {database['database_name']!r} -> {uri} (read-only, no file access); "
            f"imported {dashboards} dashboards and {charts} charts from {BUNDLE}"
        )


if __name__ == "__main__":
    main()
