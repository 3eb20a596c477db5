"""Prepare Superset for the Smart City warehouse; run by start.sh after `superset db upgrade` and `init`.

Creates the admin user from SUPERSET_ADMIN_* when it does not exist yet (no default credentials), and
registers (or updates) the published DuckDB warehouse as a read-only, locked-down database:
SQLAlchemy URI `duckdb:////warehouse/warehouse.duckdb`, engine parameters `BI_CONNECT_ARGS` below, exposed in
SQL Lab, DML and file uploads disallowed.

`read_only` alone stops writes to the warehouse, not access to the server's files: DuckDB's table functions
would still read any file Superset can (`read_csv('/etc/passwd')`, `read_text('/proc/self/environ')`, which
holds Superset's secret key) and `COPY ... TO` would write files. `enable_external_access = false` turns off
every file and network access beyond the opened database (read_csv, read_text, glob, COPY, ATTACH, LOAD),
and `lock_configuration = true` forbids any later `SET`/`RESET`, so a SQL Lab user cannot switch it back.
"""

from __future__ import annotations

import json
import os
import sys

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


def main() -> None:
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import db, security_manager
        from superset.models.core import Database

        username = _required("SUPERSET_ADMIN_USER")
        if security_manager.find_user(username=username) is None:
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

        name = os.environ.get("SMARTCITY_DATABASE_NAME", "Smart City warehouse")
        uri = os.environ.get("SMARTCITY_WAREHOUSE_URI", "duckdb:////warehouse/warehouse.duckdb")
        database = db.session.query(Database).filter_by(database_name=name).one_or_none()
        if database is None:
            database = Database(database_name=name)
            db.session.add(database)
        database.set_sqlalchemy_uri(uri)
        database.extra = json.dumps(READ_ONLY_EXTRA)
        database.expose_in_sqllab = True
        database.allow_dml = False
        database.allow_file_upload = False
        database.allow_run_async = False
        db.session.commit()
        print(f"bootstrap: database {name!r} -> {uri} (read-only)")


if __name__ == "__main__":
    main()
