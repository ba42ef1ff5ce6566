"""Budget, anomaly and reconciliation alerts: once per event and channel, again only when worse, and
logged only after the channel took them (local webhook and SMTP servers, real SQL on chdb)."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from include.alerts.events import AlertEvent
from include.alerts.send import ReconciliationAlert, due, send_alerts
from include.alerts.webhook import AlertDeliveryError
from include.clickhouse import clickhouse_client
from include.reconciliation import record
from include.transform import run_transformations
from standins.ports import free_port
from tests.helpers.transform import run
from tests.transform.raw import aws_line, write_aws_period

D = Decimal
DASHBOARD = {"dashboard_url": "http://rill.test/"}


def daily(team: str, cost: float, day: int) -> dict:
    start = datetime(2026, 9, day, tzinfo=UTC)
    return aws_line("2026-09", "Usage", cost, resource_tags=json.dumps({"user:team": team}),
                    line_item_usage_start_date=start, line_item_usage_end_date=start + timedelta(days=1))


def config(at_risk: str = "250", over: str = "90") -> dict:
    def budget(name, amount, team):
        return {"name": name, "month": "2026-09", "amount": amount, "currency": "USD", "scope": {"tags": {"team": team}}}

    return {"budgets": [budget("team a at risk", at_risk, "a"), budget("team a over", over, "a"),
                        budget("team b on track", "400", "b")]}


def check(name: str, expected: str, actual: str) -> dict:
    return {"check_name": name, "period": "2026-09", "currency": "USD", "expected": D(expected), "actual": D(actual),
            "difference": D(actual) - D(expected), "passed": D(actual) == D(expected), "severity": "error",
            "description": "int_aws__cost_line_items net unblended = FOCUS BilledCost"}


def flag_anomaly(day: int, actual: str, expected: str) -> None:
    """finops.cost_anomalies as the marts would leave it with this one flagged day."""
    client = clickhouse_client("filesystem")
    try:
        client.command("TRUNCATE TABLE finops.cost_anomalies")
        client.insert("finops.cost_anomalies", [[
            "aws", date(2026, 9, day), "2026-09", "111111111111", "prod", "AmazonEC2", "USD", D(actual), D(expected),
            D(expected), 1.0, D(actual) - D(expected), float((D(actual) - D(expected)) / D(expected)), 30.0, 20,
            D(actual) - D(expected)]], column_names=[
            "provider", "usage_date", "month", "account_id", "account_name", "service_name", "currency", "actual_cost",
            "expected_cost", "mean_28d", "stddev_28d", "jump", "jump_pct", "z_score", "history_days",
            "jump_in_reporting_currency"])
    finally:
        client.close()


def record_checks(run_id: str, *results: dict) -> None:
    client = clickhouse_client("filesystem")
    try:
        record(client, "aws", list(results), run_id)
    finally:
        client.close()


def posted(webhook) -> list[dict]:
    return [json.loads(line) for line in webhook.path.read_text().splitlines()] if webhook.path.exists() else []


def send(budgets: dict, run_id: str) -> dict:
    return send_alerts("filesystem", run_id=run_id, sql_config=budgets, alerts_config=DASHBOARD)


def test_each_event_alerts_once_per_channel_and_again_only_when_worse(data_dir, webhook, mail):
    # team a 10/day and team b 5/day for 10 days of September: actual 100 / 50, month-end forecast 300 / 150
    write_aws_period(data_dir, "2026-09", [daily("a", 10.0, d) for d in range(1, 11)]
                     + [daily("b", 5.0, d) for d in range(1, 11)])
    run("aws", config=config())
    flag_anomaly(9, "40", "10")
    record_checks("r1", check("focus_billed_cost", "150", "149.5"), check("margin_billed_cost", "150", "150"))

    # first run: 2 budgets (at risk, over) + 1 anomaly + 1 failed check, on each of the two channels
    assert send(config(), "run1") == {"events": 6, "sent": 8, "resolved": 0, "not_sent_without_channel": 0,
                                      "channels": ["webhook", "email"]}
    texts = {alert["subject"]: alert["text"] for alert in posted(webhook)}
    assert texts == {
        "FinOps budget 'team a at risk' 2026-09: AT RISK":
            "FinOps budget 'team a at risk' 2026-09: AT RISK (tag team=a). Budget 250.00 USD; actual to date 100.00 USD; "
            "month-end forecast 300.00 USD; projected overrun 50.00 USD (120.00% of budget). "
            "Dashboard: http://rill.test/canvas/anomalies_and_forecast",
        "FinOps budget 'team a over' 2026-09: OVER":
            "FinOps budget 'team a over' 2026-09: OVER (tag team=a). Budget 90.00 USD; actual to date 100.00 USD; "
            "month-end forecast 300.00 USD; projected overrun 210.00 USD (333.33% of budget). "
            "Dashboard: http://rill.test/canvas/anomalies_and_forecast",
        "FinOps cost anomaly: AmazonEC2 in aws account 111111111111 (prod) on 2026-09-09":
            "FinOps cost anomaly: AmazonEC2 in aws account 111111111111 (prod) on 2026-09-09: usage cost 40.00 USD "
            "against 10.00 USD expected (mean of the previous 14 days), +30.00 USD (+300%), 30.0 standard deviations "
            "above the 28-day mean. Dashboard: http://rill.test/explore/cost_anomalies_explore",
        "FinOps reconciliation check failed: aws focus_billed_cost 2026-09":
            "FinOps reconciliation check failed: aws focus_billed_cost 2026-09 USD (run r1): expected 150.00 USD, "
            "actual 149.50 USD, difference -0.50 USD. int_aws__cost_line_items net unblended = FOCUS BilledCost. "
            "Dashboard: http://rill.test/explore/reconciliation_explore",
    }
    over = next(a for a in posted(webhook) if a["subject"].startswith("FinOps budget 'team a over'"))
    assert over["figures"] == {"budget_name": "team a over", "month": "2026-09", "scope": "tag team=a", "status": "over",
                               "currency": "USD", "budget_amount": "90", "actual_cost": "100", "forecast_cost": "300",
                               "overrun": "210"}
    assert sorted(m["subject"] for m in mail.messages) == sorted(texts)
    assert {tuple(m["to"]) for m in mail.messages} == {("a@example.com", "b@example.com")}
    assert "projected overrun 50.00 USD" in next(m["body"] for m in mail.messages if "at risk" in m["subject"])

    # the same data again: nothing
    assert send(config(), "run2")["sent"] == 0
    assert len(posted(webhook)) == 4 and len(mail.messages) == 4

    # worse: 'team a at risk' now over (budget 95 < actual 100); 'team a over' overruns by 2 more (212), which is
    # below the 10 % margin of its budget (8.80): one alert per channel, for the first only
    run_transformations("marts", config=config(at_risk="95", over="88"), export=False)
    flag_anomaly(9, "40", "10")  # the rebuild recomputed cost_anomalies: the same flagged day
    assert send(config(at_risk="95", over="88"), "run3")["sent"] == 2
    assert [a["subject"] for a in posted(webhook)[4:]] == ["FinOps budget 'team a at risk' 2026-09: OVER"]
    assert [m["subject"] for m in mail.messages[4:]] == ["FinOps budget 'team a at risk' 2026-09: OVER"]

    # the check passes in the next run (resolved, no alert), then fails again: a new alert; a larger anomaly: one more
    record_checks("r2", check("focus_billed_cost", "150", "150"))
    assert send(config(at_risk="95", over="88"), "run4") == {
        "events": 6, "sent": 0, "resolved": 2, "not_sent_without_channel": 0, "channels": ["webhook", "email"]}
    record_checks("r3", check("focus_billed_cost", "150", "149.5"))
    flag_anomaly(9, "45", "10")  # the day restated: the same event, a larger jump
    run_result = send(config(at_risk="95", over="88"), "run5")
    assert run_result["sent"] == 4
    assert sorted(a["subject"] for a in posted(webhook)[5:]) == [
        "FinOps cost anomaly: AmazonEC2 in aws account 111111111111 (prod) on 2026-09-09",
        "FinOps reconciliation check failed: aws focus_billed_cost 2026-09"]
    assert "usage cost 45.00 USD" in posted(webhook)[5]["text"] + posted(webhook)[6]["text"]


def event(level: int, measure: str, step: str = "10") -> AlertEvent:
    return AlertEvent(kind="budget", key="budget|b|2026-09", level=level, measure=D(measure), repeat_step=D(step),
                      subject="s", text="t", link="http://rill.test")


@pytest.mark.parametrize(("now", "last", "action"), [
    (event(1, "50"), None, "send"),  # new
    (event(1, "50"), (1, D(50)), None),  # the same again
    (event(2, "50"), (1, D(50)), "send"),  # at risk -> over
    (event(1, "59.99"), (1, D(50)), None),  # grew by less than the step
    (event(1, "60"), (1, D(50)), "send"),  # grew by the step
    (event(1, "60"), (2, D(0)), None),  # better than what was sent: quiet
    (event(1, "50", step="0"), (1, D(50)), None),  # a zero margin still needs growth
    (event(0, "0"), (1, D(50)), "resolve"),  # over: the next occurrence alerts again
    (event(0, "0"), (0, D(0)), None),
    (event(0, "0"), None, None),
])
def test_an_alert_is_due_when_new_or_worse(now, last, action):
    assert due(now, last) == action


def test_a_failed_send_leaves_no_state_and_is_sent_by_the_next_run(data_dir, mail, monkeypatch, tmp_path):
    record_checks("r1", check("focus_billed_cost", "150", "149.5"))
    secret = f"http://127.0.0.1:{free_port()}/services/T000/B000/secret-token"
    monkeypatch.setenv("AIRFLOW_CONN_FINOPS_ALERTS", json.dumps({"conn_type": "http", "host": secret}))
    with pytest.raises(AlertDeliveryError) as error:
        send({}, "run1")
    assert "webhook (finops_alerts)" in str(error.value) and "secret-token" not in str(error.value)
    # e-mail took it and logged it; the webhook's send left nothing
    assert [m["subject"] for m in mail.messages] == ["FinOps reconciliation check failed: aws focus_billed_cost 2026-09"]
    client = clickhouse_client("filesystem")
    try:
        assert client.query("SELECT channel, level FROM finops.alert_log").result_rows == [("email", 1)]
    finally:
        client.close()

    from standins.alert_sink import AlertSink

    with AlertSink(tmp_path / "alerts.jsonl", echo=lambda line: None) as webhook:
        monkeypatch.setenv("AIRFLOW_CONN_FINOPS_ALERTS", json.dumps({"conn_type": "http", "host": webhook.url}))
        assert send({}, "run2")["sent"] == 1  # the webhook only: e-mail already has it
        assert [a["subject"] for a in posted(webhook)] == [
            "FinOps reconciliation check failed: aws focus_billed_cost 2026-09"]
    assert len(mail.messages) == 1


def test_without_alert_connections_nothing_is_sent_or_logged(data_dir, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_FINOPS_ALERTS", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_FINOPS_ALERTS_EMAIL", raising=False)
    record_checks("r1", check("focus_billed_cost", "150", "149.5"))
    assert send({}, "run1") == {"events": 1, "sent": 0, "resolved": 0, "not_sent_without_channel": 1, "channels": []}
    client = clickhouse_client("filesystem")
    try:
        assert client.query("SELECT count() FROM finops.alert_log").result_rows == [(0,)]
    finally:
        client.close()


def test_the_checks_failure_path_alerts_the_failed_checks(data_dir, webhook, mail):
    """check_marts' on_failure_callback, called as Airflow calls a notifier (rendering, then notify)."""
    record_checks("manual__1", check("focus_billed_cost", "150", "149.5"))
    ReconciliationAlert()({"run_id": "manual__1", "ti": SimpleNamespace(task_id="check_marts")})
    assert [a["subject"] for a in posted(webhook)] == ["FinOps reconciliation check failed: aws focus_billed_cost 2026-09"]
    assert len(mail.messages) == 1


def test_finops_marts_sends_alerts_after_its_checks_and_from_their_failure_path():
    from airflow.dag_processing.dagbag import DagBag

    from include.settings import PROJECT_ROOT

    dag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "finops_marts.py")).dags["finops_marts"]
    assert dag.get_task("send_alerts").upstream_task_ids == {"check_marts"}
    assert any(isinstance(cb, ReconciliationAlert) for cb in dag.get_task("check_marts").on_failure_callback)


def test_a_provider_check_failure_stays_alerted_when_the_marts_checks_run_later(data_dir, webhook):
    record_checks("aws_costs_run", check("line_items_vs_daily_net_unblended", "150", "140"))
    record_checks("finops_marts_run", check("focus_billed_cost", "150", "150"))
    assert send({}, "run1")["sent"] == 1
    assert [a["subject"] for a in posted(webhook)] == [
        "FinOps reconciliation check failed: aws line_items_vs_daily_net_unblended 2026-09"]
