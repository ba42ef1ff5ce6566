"""The alerts part of `make demo`: a month in progress, budgets on the generated data, local webhook and
SMTP servers, and a check that `finops_marts` sent exactly the alerts the marts call for, once each, on
both channels, and that a second run sends none.

The demo months are complete, so their month-end forecast is their actual cost. A budget can only be
forecast to overrun in a month still running: `add_month_in_progress` adds AWS's CUR of the current month
as delivered after its first 15 days (what Data Exports delivers mid-month). Budgets, with amounts from
the generated data so each status is known in advance (M: the newest complete month, N: the current one):
* `aws M over`: 90 % of AWS's billed cost of M (to the cent, rounded down): the actual exceeds it;
* `aws N at risk`: 125 % of AWS's cost of N's first 15 days: above the actual, below the month-end
  forecast (about twice the actual, 15 of 30 or 31 days);
* `aws M on track`: twice AWS's billed cost of M: no alert.
"""

from __future__ import annotations

import json
import os
from contextlib import ExitStack
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

CENT = Decimal("0.01")
SQL_CONFIG_ENV = "AIRFLOW_VAR_FINOPS_SQL_CONFIG"


@dataclass
class DemoAlerts:
    webhook: object  # standins.alert_sink.AlertSink
    mail: object  # standins.alert_sink.MailSink
    budgets: list[dict]
    env: dict[str, str] = field(default_factory=dict)

    def webhook_alerts(self) -> list[dict]:
        """Budget, anomaly and reconciliation alerts the webhook received (task failure alerts have no `kind`)."""
        if not self.webhook.path.exists():
            return []
        posted = [json.loads(line) for line in self.webhook.path.read_text().splitlines()]
        return [alert for alert in posted if alert.get("kind")]


def add_month_in_progress(data: dict, today) -> str:
    """AWS's CUR of `today`'s month as delivered after its first 15 days (every line item that ended by then;
    no tax or credit yet, those come with the month's end): added to data["aws"]; returns the month."""
    from datetime import UTC, datetime, timedelta

    import pyarrow as pa
    import pyarrow.compute as pc

    from standins.sample_data.aws import generate_cur2_month

    month = f"{today:%Y-%m}"
    rows = max(table.num_rows for table in data["aws"].values())
    table = generate_cur2_month(month, rows)
    cutoff = datetime(today.year, today.month, 1, tzinfo=UTC) + timedelta(days=15)
    ends = table["line_item_usage_end_date"]
    data["aws"][month] = table.filter(pc.less_equal(ends, pa.scalar(cutoff, type=ends.type)))
    return month


def aws_total(data: dict, month: str) -> Decimal:
    """AWS's billed cost (unblended) of a month, from the generated rows."""
    return sum((Decimal(repr(cost)) for cost in data["aws"][month]["line_item_unblended_cost"].to_pylist()), Decimal(0))


def demo_budgets(data: dict, month: str, month_in_progress: str) -> list[dict]:
    """The three budgets of the module docstring."""
    def budget(name: str, of: str, amount: Decimal) -> dict:
        return {"name": name, "month": of, "currency": "USD", "scope": {"provider": "aws"},
                "amount": str(amount.quantize(CENT, ROUND_FLOOR))}

    return [budget(f"aws {month} over", month, aws_total(data, month) * Decimal("0.9")),
            budget(f"aws {month_in_progress} at risk", month_in_progress,
                   aws_total(data, month_in_progress) * Decimal("1.25")),
            budget(f"aws {month} on track", month, aws_total(data, month) * 2)]


def start(stack: ExitStack, env: dict[str, str], data: dict, month: str, month_in_progress: str, workdir: Path,
          echo=print) -> DemoAlerts:
    """Start the local webhook and SMTP servers, point the alert connections at them and add the demo's
    budgets to `finops_sql_config` in `env` (kept: whatever else the Variable already holds there)."""
    from standins.alert_sink import AlertSink, MailSink

    webhook = stack.enter_context(AlertSink(workdir / "alerts.jsonl", echo=lambda line: None))
    mail = stack.enter_context(MailSink(echo=lambda line: None))
    budgets = demo_budgets(data, month, month_in_progress)
    sql_config = json.loads(env.get(SQL_CONFIG_ENV) or "{}")
    sql_config["budgets"] = [*sql_config.get("budgets", []), *budgets]
    alert_env = {
        "AIRFLOW_CONN_FINOPS_ALERTS": json.dumps({"conn_type": "http", "host": webhook.url}),
        "AIRFLOW_CONN_FINOPS_ALERTS_EMAIL": json.dumps(mail.connection()),
        SQL_CONFIG_ENV: json.dumps(sql_config),
    }
    env.update(alert_env)
    echo(f"alerts go to a local webhook ({webhook.url}, logged in {webhook.path}) and SMTP server "
         f"(127.0.0.1:{mail.port}); budgets: " + ", ".join(f"{b['name']} {b['amount']} USD" for b in budgets))
    return DemoAlerts(webhook, mail, budgets, alert_env)


def expected_subjects(data_dir: Path, sql_config_json: str) -> list[str]:
    """The alerts the marts call for (include/alerts/events.py), each once, on a first run."""
    from include.alerts.events import anomaly_events, budget_events, reconciliation_events
    from include.clickhouse import clickhouse_client
    from include.transform.config import sql_config

    os.environ["FINOPS_DATA_DIR"] = str(data_dir)
    client = clickhouse_client("filesystem")
    try:
        validated = sql_config(json.loads(sql_config_json))["budgets"]
        found = (budget_events(client, validated, "http://localhost:9009", Decimal(10))
                 + anomaly_events(client, "http://localhost:9009") + reconciliation_events(client, "http://localhost:9009"))
    finally:
        client.close()
    return sorted(event.subject for event in found if event.level > 0)


def second_run(alerts: DemoAlerts, data_dir: Path) -> dict:
    """`send_alerts` again on the same marts, as the next run of `finops_marts` would: nothing new to send."""
    from include.alerts.send import send_alerts

    saved = {key: os.environ.get(key) for key in alerts.env}
    os.environ.update(alerts.env)
    os.environ["FINOPS_DATA_DIR"] = str(data_dir)
    try:
        return send_alerts("filesystem", run_id="demo__second_run", sql_config=json.loads(alerts.env[SQL_CONFIG_ENV]))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def report(alerts: DemoAlerts, data_dir: Path) -> list[str]:
    """Print the alerts both channels received; returns the problems (empty when each expected alert
    arrived exactly once on each channel and a second run sent none)."""
    expected = expected_subjects(data_dir, alerts.env[SQL_CONFIG_ENV])
    posted = alerts.webhook_alerts()
    mailed = [message["subject"] for message in alerts.mail.messages]
    print(f"Alerts sent by finops_marts ({len(posted)} to the webhook, {len(mailed)} by e-mail):")
    for alert in posted:
        print(f"  {alert['text']}")
    again = second_run(alerts, data_dir)
    print(f"A second run of send_alerts on the same data sent {again['sent']} alert(s).")
    problems = []
    if sorted(alert["subject"] for alert in posted) != expected:
        problems.append(f"webhook received {sorted(a['subject'] for a in posted)}, expected {expected}")
    if sorted(mailed) != expected:
        problems.append(f"e-mail received {sorted(mailed)}, expected {expected}")
    if again["sent"]:
        problems.append(f"a second run sent {again['sent']} alert(s) again")
    # the three budgets set here from the generated data have known statuses; other budgets of the demo's
    # configuration (runners/demo_allocation.py: per cost center) alert as budget_status says (`expected`)
    own = {budget["name"] for budget in alerts.budgets}
    statuses = {alert["figures"]["budget_name"]: alert["figures"]["status"] for alert in posted
                if alert["kind"] == "budget" and alert["figures"]["budget_name"] in own}
    wanted = {alerts.budgets[0]["name"]: "over", alerts.budgets[1]["name"]: "at risk"}  # the third is on track
    if statuses != wanted:
        problems.append(f"budget alerts {statuses}, expected {wanted}")
    kinds = {alert["kind"] for alert in posted}
    if not {"budget", "anomaly"} <= kinds:
        problems.append(f"the demo data should raise budget and anomaly alerts, got kinds {sorted(kinds)}")
    return problems
