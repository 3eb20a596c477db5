#!/usr/bin/env bash
# Entry point of every Airflow container (and of the processes of tests/deploy/test_deployment.py).
#
# Simple Auth Manager opens its passwords file for writing ("a+"/"r+") even when every user already has a
# password, so it cannot read a Compose secret in place (secrets are read-only mounts). We copy the secret
# into AIRFLOW_HOME, readable by this user only, and point Airflow at the copy. Without the secret we refuse
# to start: Simple Auth Manager would otherwise invent a password and print it to the log.
set -euo pipefail

secret="${SMARTCITY_AIRFLOW_PASSWORDS_SECRET:-/run/secrets/airflow_passwords}"
if [[ ! -s "$secret" ]]; then
    echo "airflow-entrypoint: the Simple Auth Manager passwords file $secret is missing or empty." >&2
    echo "  Set AIRFLOW_PASSWORDS_FILE in .env to a JSON file such as {\"admin\": \"<password>\"}" >&2
    echo "  (see deploy/.env.example); there are no default credentials." >&2
    exit 64
fi

home="${AIRFLOW_HOME:?AIRFLOW_HOME must be set}"
mkdir -p "$home"
copy="$home/simple_auth_manager_passwords.json"
tmp="$(mktemp "$home/.simple_auth_manager_passwords.XXXXXX")" # mode 0600; unique if processes share a home
cat "$secret" >"$tmp"
mv -f "$tmp" "$copy"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="$copy"

exec airflow "$@"
