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

# CSV exports open in Excel with Thai intact: UTF-8 with a byte-order mark (Excel reads BOM-less UTF-8 as the
# system code page). SQL Lab's export honours this setting; the chart data download (CsvResponse) does not in
# Superset 6.1, whose Werkzeug 3 ignores a response's charset, so FLASK_APP_MUTATOR adds the mark there.
CSV_EXPORT = {"encoding": "utf-8-sig"}
_BOM = "\ufeff".encode()


def FLASK_APP_MUTATOR(app):  # noqa: N802 (Superset's setting name)
    @app.after_request
    def csv_with_byte_order_mark(response):
        if response.mimetype == "text/csv" and not response.is_streamed and not response.direct_passthrough:
            body = response.get_data()
            if not body.startswith(_BOM):
                response.set_data(_BOM + body)
        return response


# No calls home. Superset 6.1's front end draws a telemetry pixel from apachesuperset.gateway.scarf.sh in its
# menu, whatever the settings (the switch is a build-time one), and its default Content-Security-Policy allows
# it and map tiles from the internet. This policy allows the server itself only: the browser never makes those
# requests (it logs that it refused the pixel). Nothing the dashboards use comes from elsewhere.
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'", "data:"],
        "script-src": ["'self'", "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,  # TLS ends at the reverse proxy in front (README, "Production deployment")
    "session_cookie_secure": False,
}
