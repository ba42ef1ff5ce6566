"""A JSON POST to the URL of an Airflow `http` connection (Slack incoming webhook, Teams, any endpoint).

The URL of a webhook is often its secret (Slack's path is the key): it is masked in task logs and never
put in a message; a failed POST names the connection and the HTTP status only.
"""

from __future__ import annotations

from airflow.sdk.bases.notifier import BaseNotifier

TIMEOUT_SECONDS = 30


class AlertDeliveryError(RuntimeError):
    """A channel did not take an alert; the message names the connection, never its URL or credentials."""


def post_json(conn_id: str, payload: dict, endpoint: str | None = None) -> None:
    import requests
    from airflow.providers.http.hooks.http import HttpHook
    from airflow.sdk.log import mask_secret

    hook = HttpHook(method="POST", http_conn_id=conn_id)
    session = hook.get_conn()  # auth and headers from the connection
    url = hook.url_from_endpoint(endpoint)
    mask_secret(url)
    try:
        response = session.post(url, json=payload, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        # the exception's text holds the URL: name the connection and the kind of error instead
        raise AlertDeliveryError(f"webhook of connection {conn_id!r}: {type(exc).__name__}") from None
    if not response.ok:
        raise AlertDeliveryError(f"webhook of connection {conn_id!r} answered HTTP {response.status_code}")


class WebhookNotifier(BaseNotifier):
    """POSTs `payload` (a JSON object with at least `text`, what Slack shows) to the connection's URL."""

    def __init__(self, conn_id: str, payload: dict):
        super().__init__()
        self.conn_id = conn_id
        self.payload = payload

    def notify(self, context) -> None:
        post_json(self.conn_id, self.payload)
