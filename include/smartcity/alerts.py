"""Telling people a run failed: the `on_failure_callback` of the DAGs' tasks.

Where the alert goes is set in the environment of the Airflow workers:

- `SMARTCITY_ALERT_WEBHOOK`: an http(s) URL; the alert is POSTed there as JSON (`dag`, `task`, `run`, `month`,
  `error`, `log_url`, `try_number`, and `text` for chat tools that show one field), with a timeout and up to
  3 tries;
- else `SMARTCITY_ALERT_EMAIL`: comma-separated addresses; the alert is sent through the SMTP server of the
  standard Airflow settings (`AIRFLOW__SMTP__SMTP_HOST`, `_PORT`, `_USER`, `_PASSWORD`, `_MAIL_FROM`,
  `_STARTTLS`, `_SSL`, `_TIMEOUT`);
- else a warning in the task log says that no alert channel is configured.

The callback never raises: a broken alert channel must not hide the failure it reports, and Airflow would only
log the exception anyway. Nothing here imports Airflow, so it is tested with a context dict shaped like
Airflow's.
"""

from __future__ import annotations

import logging
import os
import smtplib
import time
from email.message import EmailMessage
from typing import Any

log = logging.getLogger(__name__)

WEBHOOK_VARIABLE = "SMARTCITY_ALERT_WEBHOOK"
EMAIL_VARIABLE = "SMARTCITY_ALERT_EMAIL"
WEBHOOK_TRIES = 3
WEBHOOK_TIMEOUT_SECONDS = 10
RETRY_DELAYS_SECONDS = (2.0, 5.0)  # before the 2nd and the 3rd try


def _get(value: Any, name: str) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, name, None)


def _month(context: dict) -> str | None:
    """The report month of the failed run: the `month` parameter, else the plan task's month, if any."""
    month = (_get(context, "params") or {}).get("month")
    if month:
        return str(month)
    ti = _get(context, "ti") or _get(context, "task_instance")
    try:
        plan = ti.xcom_pull(task_ids="plan") if ti is not None and hasattr(ti, "xcom_pull") else None
    except Exception:  # the plan may not exist: the failure may be the plan's own
        plan = None
    if isinstance(plan, dict):
        return plan.get("report_month") or plan.get("target_month")
    return None


def failure_message(context: dict) -> dict[str, Any]:
    """What an alert says, from the context Airflow hands to `on_failure_callback`."""
    ti = _get(context, "ti") or _get(context, "task_instance")
    dag = _get(context, "dag")
    dag_run = _get(context, "dag_run")
    dag_id = _get(dag, "dag_id") or _get(ti, "dag_id")
    task_id = _get(ti, "task_id") or _get(_get(context, "task"), "task_id")
    run_id = _get(context, "run_id") or _get(dag_run, "run_id") or _get(ti, "run_id")
    error = _get(context, "exception")
    try:
        log_url = _get(ti, "log_url")
    except Exception:  # a property that reads Airflow's configuration
        log_url = None
    message = {
        "dag": dag_id,
        "task": task_id,
        "run": run_id,
        "month": _month(context),
        "try_number": _get(ti, "try_number"),
        "error": f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else error,
        "log_url": log_url,
    }
    message["text"] = (
        f"Smart City pipeline failed: DAG {dag_id}, task {task_id}, run {run_id}"
        + (f", month {message['month']}" if message["month"] else "")
        + f". Error: {message['error'] or 'unknown'}."
        + (f" Log: {log_url}" if log_url else "")
    )
    return message


def _post_webhook(url: str, message: dict[str, Any]) -> bool:
    import requests

    for attempt in range(1, WEBHOOK_TRIES + 1):
        try:
            response = requests.post(url, json=message, timeout=WEBHOOK_TIMEOUT_SECONDS)
            if response.status_code < 300:
                log.info("failure alert posted to the webhook (try %d)", attempt)
                return True
            problem = f"HTTP {response.status_code}"
        except requests.RequestException as error:
            problem = f"{type(error).__name__}: {error}"
        log.warning("failure alert: webhook try %d/%d failed (%s)", attempt, WEBHOOK_TRIES, problem)
        if attempt < WEBHOOK_TRIES:
            time.sleep(RETRY_DELAYS_SECONDS[min(attempt, len(RETRY_DELAYS_SECONDS)) - 1])
    log.error("failure alert: the webhook did not accept the alert after %d tries", WEBHOOK_TRIES)
    return False


def _smtp_setting(name: str, default: str) -> str:
    return os.environ.get(f"AIRFLOW__SMTP__{name.upper()}", default).strip()


def _is_true(value: str) -> bool:
    return value.lower() in ("1", "true", "yes", "on")


def _send_email(recipients: list[str], message: dict[str, Any]) -> bool:
    email = EmailMessage()
    email["Subject"] = (
        f"[smartcity] {message['dag']}.{message['task']} failed ({message['month'] or 'no month'})"
    )
    email["From"] = _smtp_setting("smtp_mail_from", "airflow@example.com")
    email["To"] = ", ".join(recipients)
    email.set_content(
        "\n".join(f"{key}: {message[key]}" for key in ("dag", "task", "run", "month", "error", "log_url"))
    )
    host = _smtp_setting("smtp_host", "localhost")
    port = int(_smtp_setting("smtp_port", "25"))
    timeout = float(_smtp_setting("smtp_timeout", "30"))
    user = _smtp_setting("smtp_user", "")
    password = _smtp_setting("smtp_password", "")
    smtp_class = smtplib.SMTP_SSL if _is_true(_smtp_setting("smtp_ssl", "false")) else smtplib.SMTP
    with smtp_class(host, port, timeout=timeout) as server:
        server.ehlo()
        if smtp_class is smtplib.SMTP and _is_true(_smtp_setting("smtp_starttls", "true")):
            if server.has_extn("starttls"):
                server.starttls()
                server.ehlo()
            elif user:
                raise smtplib.SMTPException(
                    "the server offers no STARTTLS; not sending the password in clear"
                )
        if user:
            server.login(user, password)
        server.send_message(email)
    log.info("failure alert e-mailed to %s through %s:%d", ", ".join(recipients), host, port)
    return True


def notify_failure(context: dict) -> None:
    """`on_failure_callback`: send the failure to the configured channel. Never raises."""
    try:
        message = failure_message(context)
        webhook = os.environ.get(WEBHOOK_VARIABLE, "").strip()
        recipients = [a.strip() for a in os.environ.get(EMAIL_VARIABLE, "").split(",") if a.strip()]
        if webhook:
            _post_webhook(webhook, message)
        elif recipients:
            _send_email(recipients, message)
        else:
            log.warning(
                "failure alert: no alert channel is configured (set %s or %s); %s",
                WEBHOOK_VARIABLE,
                EMAIL_VARIABLE,
                message["text"],
            )
    except Exception:  # an alert must never fail the callback
        log.exception("failure alert could not be sent")
