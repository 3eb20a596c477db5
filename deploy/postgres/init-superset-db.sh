#!/usr/bin/env bash
# Run once by the postgres image on its first start (/docker-entrypoint-initdb.d/): Superset's metadata gets
# a role and a database of its own, so the BI service never holds the Airflow metadata owner's password.
set -euo pipefail
: "${SUPERSET_DB_PASSWORD:?SUPERSET_DB_PASSWORD must be set (see deploy/.env.example)}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=superset_password="$SUPERSET_DB_PASSWORD" <<'SQL'
CREATE ROLE superset LOGIN PASSWORD :'superset_password';
CREATE DATABASE superset OWNER superset;
REVOKE ALL ON DATABASE superset FROM PUBLIC;
SQL
