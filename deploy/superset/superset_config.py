"""Superset settings of the deployment (docker-compose.yml, service `superset`).

Everything secret comes from the environment, which Compose fills from `.env` (deploy/.env.example lists
the names); there is no default. The warehouse is registered by bootstrap.py, read-only.
"""

import os


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise RuntimeError(f"{name} is not set: copy deploy/.env.example to .env and fill it in")
    return value


SECRET_KEY = _required("SUPERSET_SECRET_KEY")
SQLALCHEMY_DATABASE_URI = _required("SUPERSET_DATABASE_URI")

# The BI tool reads; it never writes to the warehouse, nor uploads files into it.
PREVENT_UNSAFE_DB_CONNECTIONS = True
ROW_LIMIT = 50_000
WTF_CSRF_ENABLED = True
