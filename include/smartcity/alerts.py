"""The pipeline's alert channel, on Airflow notifiers: a failed task, and the deadline watch's list of cities
that have not reported.

Where alerts go is set in the environment of the Airflow workers (the same settings as before notifiers):

- `SMARTCITY_ALERT_WEBHOOK`: an http(s) URL; the alert is POSTed there as JSON through the HTTP provider's
  `HttpNotifier`, with a timeout and up to 3 tries;
- else `SMARTCITY_ALERT_EMAIL`: comma-separated addresses; the alert is e-mailed through the SMTP provider's
  `SmtpNotifier`, with the SMTP server of the standard Airflow settings (`AIRFLOW__SMTP__SMTP_HOST`, `_PORT`,
  `_USER`, `_PASSWORD`, `_MAIL_FROM`, `_STARTTLS`, `_SSL`, `_TIMEOUT`);
- else a warning in the task log says that no alert channel is configured.

Both settings are turned into an Airflow connection object here (not looked up in Airflow's metadata), so the
channel works the same in a task, a callback, a test or `airflow dags test`. Alert text is never rendered as a
Jinja template: an error message or a city name cannot inject one.

`notify_failure` (a `FailureNotifier`) is the DAGs' `on_failure_callback`; it never raises, since a broken
alert channel must not hide the failure it reports. The deadline watch (`deadline_watch.py`) sends its list
with `MissingSubmissionsNotifier`, which raises when no channel took the alert, so the task fails and retries.
"""

from __future__ import annotations

import html
import json
import logging
import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from airflow.providers.common.compat.notifier import BaseNotifier
from airflow.providers.http.hooks.http import HttpHook
from airflow.providers.http.notifications.http import HttpNotifier
from airflow.providers.smtp.hooks.smtp import SmtpHook
from airflow.providers.smtp.notifications.smtp import SmtpNotifier

log = logging.getLogger(__name__)

WEBHOOK_VARIABLE = "SMARTCITY_ALERT_WEBHOOK"
EMAIL_VARIABLE = "SMARTCITY_ALERT_EMAIL"
WEBHOOK_TRIES = 3
WEBHOOK_TIMEOUT_SECONDS = 10
RETRY_DELAYS_SECONDS = (2.0, 5.0)  # before the 2nd and the 3rd try
WEBHOOK_CONN_ID = "smartcity_alert_webhook"
SMTP_CONN_ID = "smartcity_alert_smtp"


class AlertNotSent(Exception):
    """No configured channel took the alert."""


@dataclass(frozen=True)
class Alert:
    subject: str  # the e-mail's subject
    text: str  # plain text, for e-mail and chat tools that show one field
    payload: dict[str, Any] = field(default_factory=dict)  # the webhook's JSON (`text` added unless given)


# ------------------------------------------------------------------------------------------- channels


def _connection(conn_id: str, **fields: Any):
    from airflow.sdk import Connection

    return Connection(conn_id=conn_id, **fields)


class _WebhookHook(HttpHook):
    """The HTTP provider's hook on SMARTCITY_ALERT_WEBHOOK: the whole URL is the connection's host."""

    def __init__(self, url: str) -> None:
        super().__init__(method="POST", http_conn_id=WEBHOOK_CONN_ID)
        self._url = url

    def get_connection(self, conn_id: str):  # type: ignore[override]
        return _connection(conn_id, conn_type="http", host=self._url)


class WebhookNotifier(HttpNotifier):
    """`HttpNotifier` posting JSON to the webhook URL, tried up to WEBHOOK_TRIES times."""

    def __init__(self, url: str, payload: dict[str, Any]) -> None:
        super().__init__(
            http_conn_id=WEBHOOK_CONN_ID,
            json=payload,
            extra_options={"timeout": WEBHOOK_TIMEOUT_SECONDS},
        )
        self.url = url

    @cached_property
    def hook(self) -> HttpHook:
        return _WebhookHook(self.url)

    def notify(self, context: Any) -> None:
        import tenacity

        def wait(state: tenacity.RetryCallState) -> float:
            return RETRY_DELAYS_SECONDS[min(state.attempt_number, len(RETRY_DELAYS_SECONDS)) - 1]

        def failed(state: tenacity.RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            log.warning(
                "alert: webhook try %d/%d failed (%s: %s)",
                state.attempt_number,
                WEBHOOK_TRIES,
                type(error).__name__,
                error,
            )

        try:
            self.hook.run_with_advanced_retry(
                {
                    "stop": tenacity.stop_after_attempt(WEBHOOK_TRIES),
                    "wait": wait,
                    "retry": tenacity.retry_if_exception_type(Exception),
                    "after": failed,
                    "reraise": True,
                },
                endpoint=None,
                json=self.json,
                extra_options=self.extra_options,
            )
        except Exception as error:
            raise AlertNotSent(
                f"the webhook did not accept the alert after {WEBHOOK_TRIES} tries ({error})"
            ) from error
        log.info("alert posted to the webhook")


def _smtp_setting(name: str, default: str) -> str:
    return os.environ.get(f"AIRFLOW__SMTP__{name.upper()}", default).strip()


def _is_true(value: str) -> bool:
    return value.lower() in ("1", "true", "yes", "on")


class _SettingsSmtpHook(SmtpHook):
    """The SMTP provider's hook on the AIRFLOW__SMTP__* settings."""

    def __init__(self) -> None:
        super().__init__(smtp_conn_id=SMTP_CONN_ID)

    def get_connection(self, conn_id: str):  # type: ignore[override]
        extra = {
            # STARTTLS is required when on (the default): a server without it gets no message, rather than a
            # password in clear.
            "disable_tls": not _is_true(_smtp_setting("smtp_starttls", "true")),
            "disable_ssl": not _is_true(_smtp_setting("smtp_ssl", "false")),
            "timeout": int(float(_smtp_setting("smtp_timeout", "30"))),
            "retry_limit": 0,
            "from_email": _smtp_setting("smtp_mail_from", "airflow@example.com"),
        }
        return _connection(
            conn_id,
            conn_type="smtp",
            host=_smtp_setting("smtp_host", "localhost"),
            port=int(_smtp_setting("smtp_port", "25")),
            login=_smtp_setting("smtp_user", "") or None,
            password=_smtp_setting("smtp_password", "") or None,
            extra=json.dumps(extra),
        )


class EmailNotifier(SmtpNotifier):
    """`SmtpNotifier` sending the alert's text (preformatted HTML) to the SMARTCITY_ALERT_EMAIL addresses."""

    def __init__(self, recipients: list[str], alert: Alert) -> None:
        super().__init__(
            to=recipients,
            from_email=_smtp_setting("smtp_mail_from", "airflow@example.com"),
            subject=alert.subject,
            html_content=f"<pre>{html.escape(alert.text)}</pre>",
            smtp_conn_id=SMTP_CONN_ID,
        )

    @cached_property
    def hook(self) -> SmtpHook:
        return _SettingsSmtpHook()


def deliver(alert: Alert, context: Any = None) -> bool:
    """Send the alert through the configured channel, with the providers' notifiers (called directly: the
    text is final, never a template). True when a channel took it; False when none is configured."""
    webhook = os.environ.get(WEBHOOK_VARIABLE, "").strip()
    recipients = [a.strip() for a in os.environ.get(EMAIL_VARIABLE, "").split(",") if a.strip()]
    if webhook:
        WebhookNotifier(webhook, {"text": alert.text, **alert.payload}).notify(context or {})
        return True
    if recipients:
        EmailNotifier(recipients, alert).notify(context or {})
        log.info("alert e-mailed to %s", ", ".join(recipients))
        return True
    log.warning(
        "alert: no alert channel is configured (set %s or %s); %s",
        WEBHOOK_VARIABLE,
        EMAIL_VARIABLE,
        alert.text,
    )
    return False


# ------------------------------------------------------------------------------------------- notifiers


class SmartCityNotifier(BaseNotifier):
    """A notifier whose alert is composed from the Airflow context in code, then delivered by `deliver`."""

    def compose(self, context: Any) -> Alert:
        raise NotImplementedError

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        """Nothing to render: an alert's text is composed in code and may quote input (errors, names)."""

    def notify(self, context: Any) -> None:
        if not deliver(self.compose(context), context):
            raise AlertNotSent(f"no alert channel is configured (set {WEBHOOK_VARIABLE} or {EMAIL_VARIABLE})")


class PreparedNotifier(SmartCityNotifier):
    """A notifier for an alert composed beforehand (the deadline watch's list); raises when not sent."""

    def __init__(self, alert: Alert) -> None:
        super().__init__()
        self.alert = alert

    def compose(self, context: Any) -> Alert:
        return self.alert


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
    """What a failure alert says, from the context Airflow hands to `on_failure_callback`."""
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


class FailureNotifier(SmartCityNotifier):
    """The DAGs' `on_failure_callback`: the failed task, its run and error, to the alert channel."""

    def compose(self, context: Any) -> Alert:
        message = failure_message(context)
        month = message["month"] or "no month"
        return Alert(
            subject=f"[smartcity] {message['dag']}.{message['task']} failed ({month})",
            text="\n".join(
                f"{key}: {message[key]}" for key in ("dag", "task", "run", "month", "error", "log_url")
            ),
            payload={"kind": "failure", **message},  # `text`: the one-line summary
        )

    def __call__(self, *args: Any) -> None:
        """Send the alert; never raise (the failure it reports must stay the task's error)."""
        try:
            self.notify(args[0] if len(args) == 1 else {})
        except AlertNotSent as error:
            log.error("failure alert: %s", error)
        except Exception:
            log.exception("failure alert could not be sent")


notify_failure = FailureNotifier()
