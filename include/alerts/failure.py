"""Alert on task failure: a JSON POST to the webhook of the Airflow connection `finops_alerts`.

Configured by connection only: create `finops_alerts` (type http) with the webhook's URL as host
(e.g. `https://hooks.slack.com/services/...` or any endpoint that accepts JSON; credentials in the
connection, never in code). Without that connection the alert is logged as not sent and the task's
failure is unchanged. Light imports only: DAG files import this module (the HTTP hook is imported
when an alert is sent).
"""

from __future__ import annotations

from airflow.sdk.bases.notifier import BaseNotifier

from include import settings

ALERT_CONN_ID = settings.ALERT_CONN_ID


def failure_message(context) -> dict:
    """What the alert says: which task of which run failed, after how many tries, and why."""
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    error = context.get("exception")
    fields = {
        "dag_id": getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": getattr(dag_run, "run_id", None) or getattr(ti, "run_id", None),
        "try_number": getattr(ti, "try_number", None),
        "error": f"{type(error).__name__}: {error}" if error is not None else None,
        "log_url": getattr(ti, "log_url", None),
    }
    fields["text"] = (f"FinOps task failed: {fields['dag_id']}.{fields['task_id']} run {fields['run_id']} "
                      f"(try {fields['try_number']}): {fields['error']}")
    return fields


class FailureAlert(BaseNotifier):
    """POSTs `failure_message()` as JSON to the `finops_alerts` connection's URL."""

    def __init__(self, conn_id: str = ALERT_CONN_ID, endpoint: str | None = None):
        super().__init__()
        self.conn_id = conn_id
        self.endpoint = endpoint

    def notify(self, context) -> None:
        from airflow.sdk import BaseHook
        from airflow.sdk.exceptions import AirflowNotFoundException

        from include.alerts.webhook import post_json

        message = failure_message(context)
        try:
            BaseHook.get_connection(self.conn_id)
        except AirflowNotFoundException:
            self.log.warning("alert not sent (no Airflow connection %r configured): %s", self.conn_id, message["text"])
            return
        post_json(self.conn_id, message, self.endpoint)
        self.log.info("alert sent through connection %r: %s", self.conn_id, message["text"])
