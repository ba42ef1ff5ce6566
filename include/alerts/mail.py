"""E-mail alerts through the SMTP provider's notifier, on the Airflow connection `finops_alerts_email`
(type smtp: host, port, login and password; extras `from_email`, `to` (a list or comma-separated
addresses), and the provider's own `disable_tls`, `disable_ssl`, `timeout`, `retry_limit`)."""

from __future__ import annotations

from html import escape


def recipients(conn_id: str) -> list[str]:
    """The `to` extra of the connection; a connection without it is a configuration error naming it."""
    from airflow.sdk import BaseHook

    from include.alerts.config import AlertConfigError

    to = BaseHook.get_connection(conn_id).extra_dejson.get("to")
    addresses = [a.strip() for a in (to.split(",") if isinstance(to, str) else to or [])
                 if isinstance(a, str) and a.strip()]
    if not addresses:
        raise AlertConfigError(f"Airflow connection {conn_id!r}: extra 'to' (the alert recipients) is missing or empty")
    return addresses


def email_notifier(event, conn_id: str, to: list[str]):
    """The SMTP provider's SmtpNotifier for one alert (sender: the connection's `from_email`)."""
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    html = (f"<p>{escape(event.text)}</p>"
            f"<p><a href=\"{escape(event.link, quote=True)}\">Open the dashboard</a></p>")
    return SmtpNotifier(to=to, subject=event.subject, html_content=html, smtp_conn_id=conn_id)
