"""The demo's alerts (runners/demo_alerts.py): on the demo's data with its budgets, exactly one alert per
budget over and per flagged anomaly, on each channel, with the figures of the generated data; a second run
sends none. The models are built anew on a copy of the raw data of the session's demo build (tests never
write to its finops). The budget at risk needs the demo's month in progress, which only `make demo` loads
(tests/runners/test_demo_end_to_end.py); its status is hand-computed in tests/alerts/test_send.py."""

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import ROUND_FLOOR, Decimal

from include.settings import PROJECT_ROOT as ROOT
from runners import demo
from runners.demo_alerts import add_month_in_progress, demo_budgets
from tests.rill.demo_data import AWS_ROWS, GCP_ROWS, STRIPE_CUSTOMERS

SEND_TWICE = """
import json, sys
from include.alerts.send import send_alerts
from include.transform import query, run_transformations
config = json.loads(sys.argv[1])
for target in ("aws", "azure", "gcp", "stripe", "marts"):
    run_transformations(target, config=config, export=False)  # nothing here reads the parquet files
first = send_alerts("filesystem", run_id="demo", sql_config=config)
first["anomalies"] = query("SELECT count() FROM finops.cost_anomalies")[1][0][0]
print(json.dumps([first, send_alerts("filesystem", run_id="demo again", sql_config=config)]))
"""


def in_child(script: str, data_dir, config: dict) -> subprocess.CompletedProcess:
    env = {**os.environ, "FINOPS_DATA_DIR": str(data_dir), "FINOPS_DESTINATION": "filesystem", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", script, json.dumps(config)], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    return result


def test_the_demo_alerts_are_the_expected_ones(demo_marts, tmp_path, webhook, mail):
    months = demo_marts["months"]
    month = months[-1]
    data = demo.generate_sample_data(months, AWS_ROWS, GCP_ROWS, STRIPE_CUSTOMERS)
    month_in_progress = add_month_in_progress(data, date.today())
    # the session's demo build has no month in progress: its budgets are those of the newest complete month
    budgets = [b for b in demo_budgets(data, month, month_in_progress) if b["month"] == month]
    # hand-computed from the generated rows: AWS's billed cost of the newest month
    aws_total = sum((Decimal(repr(c)) for c in data["aws"][month]["line_item_unblended_cost"].to_pylist()), Decimal(0))
    assert [(b["name"], b["amount"]) for b in budgets] == [
        (f"aws {month} over", str((aws_total * Decimal("0.9")).quantize(Decimal("0.01"), ROUND_FLOOR))),
        (f"aws {month} on track", str((aws_total * 2).quantize(Decimal("0.01"), ROUND_FLOOR)))]

    copy = tmp_path / "demo"
    shutil.copytree(demo_marts["data_dir"] / "raw", copy / "raw")  # the demo's loads; the models are built anew
    config = {"budgets": budgets}
    # a process of its own: chdb opens one data folder per process, and this one has the session's open
    first, second = json.loads(in_child(SEND_TWICE, copy, config).stdout.splitlines()[-1])
    anomalies = first["anomalies"]
    assert anomalies >= 1, "the demo data has a flagged anomaly"
    assert first["sent"] == 2 * (1 + anomalies)  # the budget over and the anomalies, on both channels
    assert second["sent"] == 0
    alerts = [json.loads(line) for line in webhook.path.read_text().splitlines()]
    (over,) = [a["figures"] for a in alerts if a["kind"] == "budget"]
    assert (over["budget_name"], over["status"], Decimal(over["actual_cost"])) == (f"aws {month} over", "over", aws_total)
    assert Decimal(over["forecast_cost"]) == aws_total  # a complete month's forecast is its actual
    assert sum(a["kind"] == "anomaly" for a in alerts) == anomalies
    assert sorted(m["subject"] for m in mail.messages) == sorted(a["subject"] for a in alerts)


def test_the_month_in_progress_is_the_first_15_days_of_this_month():
    months = demo.demo_months(date.today())
    data = demo.generate_sample_data(months, AWS_ROWS, GCP_ROWS, STRIPE_CUSTOMERS)
    month = add_month_in_progress(data, date(2026, 12, 7))
    ends = data["aws"][month]["line_item_usage_end_date"].to_pylist()
    assert month == "2026-12" and ends and max(ends) <= datetime(2026, 12, 16, tzinfo=UTC)
    at_risk = demo_budgets(data, months[-1], month)[1]
    assert at_risk["name"] == "aws 2026-12 at risk"
    assert Decimal(at_risk["amount"]) > sum((Decimal(repr(c)) for c in
                                             data["aws"][month]["line_item_unblended_cost"].to_pylist()), Decimal(0))
