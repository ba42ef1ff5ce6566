"""A failed task alerts through the `finops_alerts` connection (a JSON POST to its URL), when configured."""

import json
from types import SimpleNamespace

import pytest

from include.alerts import ALERT_CONN_ID, FailureAlert
from include.dag_config import DEFAULT_ARGS
from standins.alert_sink import AlertSink


def failure_context():
    ti = SimpleNamespace(dag_id="aws_costs", task_id="load_cur", run_id="manual__2026-09-01", try_number=1,
                         log_url="http://127.0.0.1:8080/log")
    return {"ti": ti, "dag_run": SimpleNamespace(run_id="manual__2026-09-01"),
            "exception": ValueError("billing periods ['2026-01'] have no delivered manifest")}


@pytest.fixture
def webhook(tmp_path):
    with AlertSink(tmp_path / "alerts.jsonl", echo=lambda line: None) as sink:
        yield sink


def test_a_failure_posts_the_task_run_and_error_to_the_configured_webhook(webhook, monkeypatch):
    monkeypatch.setenv(f"AIRFLOW_CONN_{ALERT_CONN_ID.upper()}", json.dumps({"conn_type": "http", "host": webhook.url}))
    FailureAlert().notify(failure_context())
    (body,) = [json.loads(line) for line in webhook.path.read_text().splitlines()]
    assert (body["dag_id"], body["task_id"], body["run_id"], body["try_number"]) == (
        "aws_costs", "load_cur", "manual__2026-09-01", 1)
    assert "no delivered manifest" in body["error"] and "aws_costs.load_cur" in body["text"]


def test_without_the_connection_the_alert_is_logged_as_not_sent(monkeypatch):
    monkeypatch.delenv(f"AIRFLOW_CONN_{ALERT_CONN_ID.upper()}", raising=False)
    FailureAlert().notify(failure_context())  # no exception: the task's own failure stays what it was


def test_every_task_alerts_on_failure():
    assert any(isinstance(cb, FailureAlert) for cb in DEFAULT_ARGS["on_failure_callback"])
