"""The DAGs' failure alert (`smartcity.alerts.notify_failure`, a notifier over the HTTP and SMTP providers'
notifiers) against a real HTTP server and a real (minimal) SMTP server on 127.0.0.1, called with a context
shaped like the one Airflow hands to `on_failure_callback`."""

from __future__ import annotations

import json
import logging
import socket
import socketserver
import threading
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from smartcity import alerts
from smartcity.alerts import notify_failure

LOG_URL = (
    "http://airflow.example:8080/dags/smartcity_monthly/runs/manual__2024-04-20/tasks/transform?try_number=3"
)


class FakeTaskInstance:
    """The attributes of Airflow's RuntimeTaskInstance that the callback reads."""

    dag_id = "smartcity_monthly"
    task_id = "transform"
    run_id = "manual__2024-04-20"
    try_number = 3
    log_url = LOG_URL

    def __init__(self, plan: dict | None = None, xcom_error: Exception | None = None):
        self._plan = plan
        self._xcom_error = xcom_error

    def xcom_pull(self, task_ids: str):
        if self._xcom_error:
            raise self._xcom_error
        return self._plan if task_ids == "plan" else None


class FakeDag:
    dag_id = "smartcity_monthly"


def airflow_context(params: dict | None = None, ti: FakeTaskInstance | None = None) -> dict:
    ti = ti or FakeTaskInstance()
    return {
        "dag": FakeDag(),
        "ti": ti,
        "task_instance": ti,
        "run_id": ti.run_id,
        "params": params if params is not None else {"month": "2024-03"},
        "exception": RuntimeError("dbt build failed: 2 tests failed"),
    }


@pytest.fixture
def webhook():
    """A real HTTP server on loopback that answers 500 to the first `fail_first` requests, then 200."""
    received: list[dict] = []
    state = {"fail_first": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the http.server API)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"body": json.loads(body), "content_type": self.headers["Content-Type"]})
            status = 500 if len(received) <= state["fail_first"] else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {
            "url": f"http://127.0.0.1:{server.server_port}/hooks/smartcity",
            "received": received,
            "state": state,
        }
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def no_channels(monkeypatch):
    monkeypatch.delenv(alerts.WEBHOOK_VARIABLE, raising=False)
    monkeypatch.delenv(alerts.EMAIL_VARIABLE, raising=False)
    monkeypatch.setattr(alerts, "RETRY_DELAYS_SECONDS", (0.0, 0.0))


def test_the_webhook_receives_the_failure_as_json(webhook, monkeypatch, no_channels):
    monkeypatch.setenv(alerts.WEBHOOK_VARIABLE, webhook["url"])
    notify_failure(airflow_context())
    assert len(webhook["received"]) == 1
    request = webhook["received"][0]
    assert request["content_type"] == "application/json"
    body = request["body"]
    assert body["dag"] == "smartcity_monthly"
    assert body["task"] == "transform"
    assert body["run"] == "manual__2024-04-20"
    assert body["month"] == "2024-03"
    assert body["error"] == "RuntimeError: dbt build failed: 2 tests failed"
    assert body["log_url"] == LOG_URL
    assert body["try_number"] == 3
    assert "transform" in body["text"] and LOG_URL in body["text"]


def test_the_month_comes_from_the_plan_when_the_run_had_no_month_parameter(webhook, monkeypatch, no_channels):
    monkeypatch.setenv(alerts.WEBHOOK_VARIABLE, webhook["url"])
    ti = FakeTaskInstance(plan={"target_month": "2024-02", "report_month": "2024-02", "months": []})
    notify_failure(airflow_context(params={"month": None}, ti=ti))
    # The plan task itself failed: no plan to read, no month, still an alert.
    notify_failure(airflow_context(params={}, ti=FakeTaskInstance(xcom_error=KeyError("no xcom"))))
    assert [r["body"]["month"] for r in webhook["received"]] == ["2024-02", None]


def test_a_failing_webhook_is_tried_three_times(webhook, monkeypatch, no_channels):
    monkeypatch.setenv(alerts.WEBHOOK_VARIABLE, webhook["url"])
    webhook["state"]["fail_first"] = 2
    notify_failure(airflow_context())
    assert len(webhook["received"]) == 3  # 500, 500, then accepted
    assert all(r["body"]["task"] == "transform" for r in webhook["received"])


def test_a_webhook_that_never_accepts_gives_up_after_three_tries_without_raising(
    webhook, monkeypatch, no_channels, caplog
):
    monkeypatch.setenv(alerts.WEBHOOK_VARIABLE, webhook["url"])
    webhook["state"]["fail_first"] = 99
    with caplog.at_level(logging.WARNING, logger="smartcity.alerts"):
        notify_failure(airflow_context())
    assert len(webhook["received"]) == 3
    assert "did not accept the alert after 3 tries" in caplog.text


def test_an_unreachable_webhook_does_not_raise(monkeypatch, no_channels, caplog):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(alerts.WEBHOOK_VARIABLE, f"http://127.0.0.1:{port}/hook")
    with caplog.at_level(logging.WARNING, logger="smartcity.alerts"):
        notify_failure(airflow_context())
    assert caplog.text.count("webhook try") == 3


def test_without_a_channel_a_warning_says_so(no_channels, caplog):
    with caplog.at_level(logging.WARNING, logger="smartcity.alerts"):
        notify_failure(airflow_context())
    assert "no alert channel is configured" in caplog.text
    assert "SMARTCITY_ALERT_WEBHOOK" in caplog.text and "transform" in caplog.text


def test_a_context_missing_everything_does_not_raise(webhook, monkeypatch, no_channels):
    monkeypatch.setenv(alerts.WEBHOOK_VARIABLE, webhook["url"])
    notify_failure({})
    notify_failure(None)  # type: ignore[arg-type]  (nonsense in, still no exception out)
    assert webhook["received"][0]["body"]["dag"] is None


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib to deliver one message: no TLS, no auth."""

    def _say(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        self._say("220 test-smtp ready")
        envelope = {"from": None, "to": [], "data": b""}
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self._say("250 test-smtp")
            elif verb == "HELO":
                self._say("250 test-smtp")
            elif verb == "MAIL":
                envelope["from"] = command.split(":", 1)[1].split()[0]
                self._say("250 OK")
            elif verb == "RCPT":
                envelope["to"].append(command.split(":", 1)[1].strip())
                self._say("250 OK")
            elif verb == "DATA":
                self._say("354 end with <CRLF>.<CRLF>")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                envelope["data"] = b"".join(lines)
                self.server.messages.append(dict(envelope))  # type: ignore[attr-defined]
                self._say("250 OK queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 OK")


def test_without_a_webhook_the_alert_is_emailed_through_smtp(monkeypatch, no_channels):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.messages = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv(alerts.EMAIL_VARIABLE, "bi-team@example.org, ops@example.org")
        monkeypatch.setenv("AIRFLOW__SMTP__SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("AIRFLOW__SMTP__SMTP_PORT", str(server.server_address[1]))
        monkeypatch.setenv("AIRFLOW__SMTP__SMTP_STARTTLS", "False")
        monkeypatch.setenv("AIRFLOW__SMTP__SMTP_MAIL_FROM", "smartcity@example.org")
        notify_failure(airflow_context())
    finally:
        server.shutdown()
        server.server_close()
    assert len(server.messages) == 1  # type: ignore[attr-defined]
    envelope = server.messages[0]  # type: ignore[attr-defined]
    assert envelope["from"] == "<smartcity@example.org>"
    assert envelope["to"] == ["<bi-team@example.org>", "<ops@example.org>"]
    email = message_from_bytes(envelope["data"], policy=default_policy)
    assert email["Subject"] == "[smartcity] smartcity_monthly.transform failed (2024-03)"
    # SmtpNotifier sends a multipart message; the text is its HTML part, preformatted.
    body = email.get_body(preferencelist=("html", "plain")).get_content()
    assert "run: manual__2024-04-20" in body
    assert "error: RuntimeError: dbt build failed: 2 tests failed" in body
    assert f"log_url: {LOG_URL}" in body


def test_an_unreachable_smtp_server_does_not_raise(monkeypatch, no_channels, caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(alerts.EMAIL_VARIABLE, "bi-team@example.org")
    monkeypatch.setenv("AIRFLOW__SMTP__SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("AIRFLOW__SMTP__SMTP_PORT", str(port))
    monkeypatch.setenv("AIRFLOW__SMTP__SMTP_TIMEOUT", "2")
    with caplog.at_level(logging.WARNING, logger="smartcity.alerts"):
        notify_failure(airflow_context())
    assert "failure alert could not be sent" in caplog.text
