#!/usr/bin/env bash
# Entry point of the `superset` service: migrate its metadata database, create roles and permissions,
# create the admin user and register the warehouse read-only (bootstrap.py), then serve on port 8088.
set -euo pipefail
superset db upgrade
superset init
python /app/superset/bootstrap.py
exec gunicorn --bind 0.0.0.0:8088 --workers "${SUPERSET_WORKERS:-2}" --timeout 120 \
    --access-logfile - "superset.app:create_app()"
