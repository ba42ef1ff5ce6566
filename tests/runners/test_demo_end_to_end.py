"""`make demo` end to end: the printed totals equal the generated data's, to the cent.

Runs the demo command as a user does (stand-ins, `airflow dags test` for the three DAGs, SQL on
embedded ClickHouse), then recomputes every total from the generators' output in this test.
"""

import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from runners.demo import demo_months
from tests.helpers.demo_totals import AWS_ROWS, AZURE_ROWS, CUSTOMERS, GCP_ROWS, cents, independent_totals

ROOT = Path(__file__).resolve().parents[2]


def printed_rows(output: str, first_column: str) -> list[dict[str, str]]:
    """The rows of the printed table whose header starts with `first_column`, as {column: text}."""
    lines = output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith(f"{first_column} "))
    columns = [c.strip() for c in lines[header].split("|")]
    rows = []
    for line in lines[header + 2:]:
        if " | " not in line:
            break
        rows.append(dict(zip(columns, (v.strip() for v in line.split("|")), strict=True)))
    return rows


def printed_table(output: str) -> dict[str, dict[str, Decimal]]:
    return {values["month"]: {k: Decimal(values[k].replace(",", ""))
                              for k in ("aws_billed_cost", "gcp_billed_cost", "azure_billed_cost", "cloud_billed_cost",
                                        "revenue", "stripe_fees", "margin")}
            for values in printed_rows(output, "month")}


def printed_commitments(output: str) -> dict[tuple[str, str, str], tuple[int, Decimal | None]]:
    """{(provider, type, status): (commitments, contract cost)} of the demo's contract commitment table."""
    return {(values["provider"], values["type"], values["status"]):
            (int(values["commitments"]),
             Decimal(values["contract_cost"].replace(",", "")) if values["contract_cost"] else None)
            for values in printed_rows(output, "provider")}


def expected_gcp_commitments(months: list[str]) -> dict[tuple[str, str, str], tuple[int, Decimal]]:
    """The sample CUD export's commitments, costed here: the hourly amount x the hours from start to end."""
    from datetime import datetime

    from standins.sample_data.gcp import generate_cud_subscription_rows

    expected: dict = {}
    for row in generate_cud_subscription_rows([m.replace("-", "") for m in months]):
        hours = Decimal(int((datetime.fromisoformat(row["end_time"].replace("Z", "+00:00"))
                             - datetime.fromisoformat(row["start_time"].replace("Z", "+00:00"))).total_seconds())) / 3600
        key = ("Google Cloud", row["cud_product"]["display_name"], row["state"])
        count, cost = expected.get(key, (0, Decimal(0)))
        expected[key] = (count + 1, cost + Decimal(str(row["commitent_amount"]["value"])) * hours)
    return {key: (count, cents(cost)) for key, (count, cost) in expected.items()}


def test_demo_prints_totals_that_reconcile_with_the_generated_data(tmp_path):
    months = demo_months(date.today())
    result = subprocess.run(
        [sys.executable, "-m", "runners.demo", "--workdir", str(tmp_path / "work"), "--data-dir",
         str(tmp_path / "data"), "--aws-rows", str(AWS_ROWS), "--gcp-rows", str(GCP_ROWS),
         "--azure-rows", str(AZURE_ROWS), "--stripe-customers", str(CUSTOMERS)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    for dag_id in ("aws_costs", "gcp_costs", "azure_costs", "stripe_revenue"):
        assert f"{dag_id} succeeded" in result.stdout
    assert "Reconciled with the generated data to the cent" in result.stdout
    # the demo exits non-zero unless its alerts are exactly the expected ones (runners/demo_alerts.py)
    assert "Alerts sent by finops_marts" in result.stdout
    assert "A second run of send_alerts on the same data sent 0 alert(s)." in result.stdout
    assert "Every month: MRR at start + new + expansion + reactivation - contraction - churned = MRR at end." \
        in result.stdout

    printed = printed_table(result.stdout)
    expected = independent_totals(months)
    assert set(months) <= set(printed)
    for month, want in expected.items():
        got = printed[month]
        aws, gcp, azure = want["aws_cost"], want["gcp_cost"], want["azure_cost"]
        revenue, fees = want["revenue"], want["fees"]
        assert got["aws_billed_cost"] == cents(aws), month
        assert got["gcp_billed_cost"] == cents(gcp), month
        assert got["azure_billed_cost"] == cents(azure), month
        assert got["revenue"] == cents(revenue), month
        assert got["stripe_fees"] == cents(fees), month
        assert got["cloud_billed_cost"] == cents(aws + gcp + azure), month
        assert got["margin"] == cents(revenue - fees - aws - gcp - azure), month
    assert sum(printed[m]["aws_billed_cost"] for m in months) > 0 and sum(printed[m]["gcp_billed_cost"] for m in months) > 0
    assert printed[months[-1]]["azure_billed_cost"] > 0
    # The raw data landed as parquet under the one data folder.
    for dataset in ("aws_costs", "gcp_costs", "azure_costs", "stripe_revenue"):
        assert list((tmp_path / "data" / "raw" / dataset).rglob("*.parquet")), dataset
    # FOCUS contract commitments: the CUR's Savings Plans / RIs and the CUD export's commitments, costed independently
    commitments = printed_commitments(result.stdout)
    assert any(provider == "AWS" for provider, _, _ in commitments)
    gcp = {key: value for key, value in commitments.items() if key[0] == "Google Cloud"}
    assert gcp == expected_gcp_commitments(months)
