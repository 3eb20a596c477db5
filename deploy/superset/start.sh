#!/usr/bin/env bash
# Entry point of the `superset` service: migrate its metadata database, create roles and permissions, create the
# admin user and import the dashboards as code with the warehouse registered read-only (bootstrap.py), then
# serve. SUPERSET_APP_DIR (where bootstrap.py and bundle/ are) and SUPERSET_BIND default to the image's; the
# deployment test runs this same script as a plain process on loopback.
set -euo pipefail
app_dir="${SUPERSET_APP_DIR:-/app/superset}"
superset db upgrade
superset init
python "$app_dir/bootstrap.py"
exec gunicorn --bind "${SUPERSET_BIND:-0.0.0.0:8088}" --workers "${SUPERSET_WORKERS:-2}" --timeout 120 \
    --access-logfile - "superset.app:create_app()"
