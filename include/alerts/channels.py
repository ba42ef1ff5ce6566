"""The alert channels, one per Airflow connection that exists: the webhook `finops_alerts` (type http:
Slack incoming webhook or any JSON endpoint) and the e-mail `finops_alerts_email` (type smtp). A channel
turns an alert into an Airflow notifier; nothing but the connections says which channels are on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from include import settings


@dataclass(frozen=True)
class Channel:
    name: str  # recorded in finops.alert_log: each channel keeps its own state
    conn_id: str
    notifier: Callable  # AlertEvent -> an Airflow BaseNotifier


def webhook_payload(event) -> dict:
    """`text` is what Slack (and most chat webhooks) show; the rest is for machines."""
    return {"text": event.text, "kind": event.kind, "key": event.key, "level": event.level,
            "subject": event.subject, "link": event.link, "figures": event.figures}


def _defined(conn_id: str) -> bool:
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return False
    return True


def configured_channels() -> list[Channel]:
    from include.alerts.mail import email_notifier, recipients
    from include.alerts.webhook import WebhookNotifier

    channels = []
    if _defined(settings.ALERT_CONN_ID):
        channels.append(Channel("webhook", settings.ALERT_CONN_ID,
                                lambda event: WebhookNotifier(settings.ALERT_CONN_ID, webhook_payload(event))))
    if _defined(settings.ALERT_EMAIL_CONN_ID):
        to = recipients(settings.ALERT_EMAIL_CONN_ID)
        channels.append(Channel("email", settings.ALERT_EMAIL_CONN_ID,
                                lambda event: email_notifier(event, settings.ALERT_EMAIL_CONN_ID, to)))
    return channels
