"""The demo's alerts (runners/demo_alerts.py): on the demo's marts with its budgets, exactly one alert per
budget over and per flagged anomaly, on each channel, with the figures of the generated data; a second run
sends none. Runs on a copy of the session's demo build (tests never write to its finops). The budget at
risk needs the demo's month in progress, which only `make demo` loads (tests/runners/test_demo_end_to_end.py);
its status is hand-computed in tests/alerts/test_send.py."""

import json
import shutil
from datetime import UTC, date, datetime
from decimal import ROUND_FLOOR, Decimal

from include.alerts.send import send_alerts
from include.transform import query, run_transformations
from runners import demo
from runners.demo_alerts import add_month_in_progress, demo_budgets
from tests.rill.demo_data import AWS_ROWS, GCP_ROWS, STRIPE_CUSTOMERS


def test_the_demo_alerts_are_the_expected_ones(demo_marts, tmp_path, monkeypatch, webhook, mail):
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
    shutil.copytree(demo_marts["data_dir"], copy, ignore=shutil.ignore_patterns("*.lock", "dlt_home", "dlt_pipelines"))
    monkeypatch.setenv("FINOPS_DATA_DIR", str(copy))
    monkeypatch.setenv("FINOPS_DESTINATION", "filesystem")
    config = {"budgets": budgets}
    run_transformations("marts", config=config)
    anomalies = query("SELECT count() FROM finops.cost_anomalies")[1][0][0]
    assert anomalies >= 1, "the demo data has a flagged anomaly"

    result = send_alerts("filesystem", run_id="demo", sql_config=config)
    assert result["sent"] == 2 * (1 + anomalies)  # the budget over and the anomalies, on both channels
    alerts = [json.loads(line) for line in webhook.path.read_text().splitlines()]
    (over,) = [a["figures"] for a in alerts if a["kind"] == "budget"]
    assert (over["budget_name"], over["status"], Decimal(over["actual_cost"])) == (f"aws {month} over", "over", aws_total)
    assert Decimal(over["forecast_cost"]) == aws_total  # a complete month's forecast is its actual
    assert sum(a["kind"] == "anomaly" for a in alerts) == anomalies
    assert sorted(m["subject"] for m in mail.messages) == sorted(a["subject"] for a in alerts)

    assert send_alerts("filesystem", run_id="demo again", sql_config=config)["sent"] == 0


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
