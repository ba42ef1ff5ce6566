"""The alerts part of `make demo`: budgets on the generated data, local webhook and SMTP servers, and a
check that `finops_marts` sent exactly the alerts the marts call for, once each, on both channels.

Budgets (the newest demo month M, amounts from the generated data, so each status is known in advance):
* `aws M over`: 90 % of AWS's billed cost of M (to the cent, rounded down): the actual exceeds it;
* `gcp M at risk`: GCP's billed cost of M rounded up to the cent: the actual is within it, but the demo's GCP
  month ends before its last midnight, so the month-end forecast is above it;
* `aws M on track`: twice AWS's billed cost of M: no alert.
"""

from __future__ import annotations

import json
import os
from contextlib import ExitStack
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
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


def demo_budgets(data: dict, months: list[str]) -> list[dict]:
    """The three budgets of the module docstring, from the generated data of the newest month."""
    from runners.demo import expected_totals

    month = months[-1]
    totals = {provider: Decimal(0) for provider in ("aws", "gcp")}
    for cost in data["aws"][month]["line_item_unblended_cost"].to_pylist():
        totals["aws"] += Decimal(repr(cost))
    assert expected_totals(data)[month]["aws"] == totals["aws"].quantize(CENT)
    for row in data["gcp"]:
        if row["invoice"]["month"] == month.replace("-", ""):
            totals["gcp"] += Decimal(repr(row["cost"])) + sum((Decimal(repr(c["amount"])) for c in row.get("credits") or []),
                                                              Decimal(0))
    return [
        {"name": f"aws {month} over", "month": month, "currency": "USD", "scope": {"provider": "aws"},
         "amount": str((totals["aws"] * Decimal("0.9")).quantize(CENT, ROUND_FLOOR))},
        {"name": f"gcp {month} at risk", "month": month, "currency": "USD", "scope": {"provider": "gcp"},
         "amount": str(totals["gcp"].quantize(CENT, ROUND_CEILING))},
        {"name": f"aws {month} on track", "month": month, "currency": "USD", "scope": {"provider": "aws"},
         "amount": str((totals["aws"] * 2).quantize(CENT, ROUND_FLOOR))},
    ]


def start(stack: ExitStack, env: dict[str, str], data: dict, months: list[str], workdir: Path, echo=print) -> DemoAlerts:
    """Start the local webhook and SMTP servers, point the alert connections at them and add the demo's
    budgets to `finops_sql_config` in `env` (kept: whatever else the Variable already holds there)."""
    from standins.alert_sink import AlertSink, MailSink

    webhook = stack.enter_context(AlertSink(workdir / "alerts.jsonl", echo=lambda line: None))
    mail = stack.enter_context(MailSink(echo=lambda line: None))
    budgets = demo_budgets(data, months)
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


def expected_subjects(data_dir: Path, budgets: list[dict]) -> list[str]:
    """The alerts the marts call for (include/alerts/events.py), each once, on a first run."""
    from include.alerts.events import anomaly_events, budget_events, reconciliation_events
    from include.clickhouse import clickhouse_client
    from include.transform.config import sql_config

    os.environ["FINOPS_DATA_DIR"] = str(data_dir)
    client = clickhouse_client("filesystem")
    try:
        validated = sql_config({"budgets": budgets})["budgets"]
        found = (budget_events(client, validated, "http://localhost:9009", Decimal(10))
                 + anomaly_events(client, "http://localhost:9009") + reconciliation_events(client, "http://localhost:9009"))
    finally:
        client.close()
    return sorted(event.subject for event in found if event.level > 0)


def second_run(alerts: DemoAlerts, data_dir: Path, budgets: list[dict]) -> dict:
    """`send_alerts` again on the same marts, as the next run of `finops_marts` would: nothing new to send."""
    from include.alerts.send import send_alerts

    saved = {key: os.environ.get(key) for key in alerts.env}
    os.environ.update(alerts.env)
    os.environ["FINOPS_DATA_DIR"] = str(data_dir)
    try:
        return send_alerts("filesystem", run_id="demo__second_run", sql_config={"budgets": budgets})
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def report(alerts: DemoAlerts, data_dir: Path) -> list[str]:
    """Print the alerts both channels received; returns the problems (empty when each expected alert
    arrived exactly once on each channel and a second run sent none)."""
    expected = expected_subjects(data_dir, alerts.budgets)
    posted = alerts.webhook_alerts()
    mailed = [message["subject"] for message in alerts.mail.messages]
    print(f"Alerts sent by finops_marts ({len(posted)} to the webhook, {len(mailed)} by e-mail):")
    for alert in posted:
        print(f"  {alert['text']}")
    again = second_run(alerts, data_dir, alerts.budgets)
    print(f"A second run of send_alerts on the same data sent {again['sent']} alert(s).")
    problems = []
    if sorted(alert["subject"] for alert in posted) != expected:
        problems.append(f"webhook received {sorted(a['subject'] for a in posted)}, expected {expected}")
    if sorted(mailed) != expected:
        problems.append(f"e-mail received {sorted(mailed)}, expected {expected}")
    if again["sent"]:
        problems.append(f"a second run sent {again['sent']} alert(s) again")
    kinds = {alert["kind"] for alert in posted}
    if not {"budget", "anomaly"} <= kinds:
        problems.append(f"the demo data should raise budget and anomaly alerts, got kinds {sorted(kinds)}")
    return problems
