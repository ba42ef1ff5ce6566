"""The demo's alerts (runners/demo_alerts.py): on the demo's marts with its budgets, exactly one alert per
budget over or at risk and per flagged anomaly, on each channel, with the figures of the generated data;
a second run sends none. Runs on a copy of the session's demo build (tests never write to its finops)."""

import json
import shutil
from decimal import Decimal

from include.alerts.send import send_alerts
from include.transform import query, run_transformations
from runners import demo
from runners.demo_alerts import demo_budgets
from tests.rill.demo_data import AWS_ROWS, GCP_ROWS, STRIPE_CUSTOMERS


def test_the_demo_alerts_are_the_expected_ones(demo_marts, tmp_path, monkeypatch, webhook, mail):
    months = demo_marts["months"]
    month = months[-1]
    data = demo.generate_sample_data(months, AWS_ROWS, GCP_ROWS, STRIPE_CUSTOMERS)
    budgets = demo_budgets(data, months)
    # hand-computed from the generated rows: AWS's and GCP's billed cost of the newest month
    aws_total = sum((Decimal(repr(c)) for c in data["aws"][month]["line_item_unblended_cost"].to_pylist()), Decimal(0))
    gcp_total = sum((Decimal(repr(r["cost"])) + sum((Decimal(repr(c["amount"])) for c in r.get("credits") or []),
                                                      Decimal(0))
                     for r in data["gcp"] if r["invoice"]["month"] == month.replace("-", "")), Decimal(0))
    assert [b["amount"] for b in budgets] == [str((aws_total * Decimal("0.9")).quantize(Decimal("0.01"), "ROUND_FLOOR")),
                                              str(gcp_total.quantize(Decimal("0.01"), "ROUND_CEILING")),
                                              str((aws_total * 2).quantize(Decimal("0.01"), "ROUND_FLOOR"))]

    copy = tmp_path / "demo"
    shutil.copytree(demo_marts["data_dir"], copy, ignore=shutil.ignore_patterns("*.lock", "dlt_home", "dlt_pipelines"))
    monkeypatch.setenv("FINOPS_DATA_DIR", str(copy))
    monkeypatch.setenv("FINOPS_DESTINATION", "filesystem")
    config = {"budgets": budgets}
    run_transformations("marts", config=config)
    anomalies = query("SELECT count() FROM finops.cost_anomalies")[1][0][0]
    assert anomalies >= 1, "the demo data has a flagged anomaly"

    result = send_alerts("filesystem", run_id="demo", sql_config=config)
    assert result["sent"] == 2 * (2 + anomalies)  # 2 budgets + the anomalies, on both channels
    alerts = [json.loads(line) for line in webhook.path.read_text().splitlines()]
    budget_alerts = {a["figures"]["budget_name"]: a["figures"] for a in alerts if a["kind"] == "budget"}
    assert set(budget_alerts) == {f"aws {month} over", f"gcp {month} at risk"}
    over, at_risk = budget_alerts[f"aws {month} over"], budget_alerts[f"gcp {month} at risk"]
    assert (over["status"], Decimal(over["actual_cost"])) == ("over", aws_total)
    assert (at_risk["status"], Decimal(at_risk["actual_cost"])) == ("at risk", gcp_total)
    assert Decimal(at_risk["forecast_cost"]) > Decimal(at_risk["budget_amount"]) >= gcp_total
    assert sum(a["kind"] == "anomaly" for a in alerts) == anomalies
    assert sorted(m["subject"] for m in mail.messages) == sorted(a["subject"] for a in alerts)

    assert send_alerts("filesystem", run_id="demo again", sql_config=config)["sent"] == 0
