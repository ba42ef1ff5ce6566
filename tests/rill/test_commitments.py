"""The AWS commitment measures (utilization, savings) on a hand-computed month with a Savings Plan and a
Reserved Instance, on both engines. The demo data has no commitments, so these measures are empty
there; here they get real SP / RI line items through the SQL layer and the export."""

from __future__ import annotations

from decimal import Decimal

import pytest

from include import transform
from include.transform.export import export_marts
from tests.rill import project as rill
from tests.transform.raw import aws_line, write_aws_period

SP = "arn:aws:savingsplans::999999999999:savingsplan/sp-1"
RI = "arn:aws:ec2:us-east-1:999999999999:reserved-instances/ri-1"
D = Decimal

# One month: on-demand usage, Savings Plan covered usage and its fee (commitment 4, used 3), RI
# discounted usage and the RI fee (unused part 0.75).
LINES = [
    ("Usage", dict(cost=10.0, line_item_net_unblended_cost=9.5, pricing_public_on_demand_cost=10.0)),
    ("SavingsPlanCoveredUsage", dict(cost=5.0, pricing_public_on_demand_cost=5.0, savings_plan_savings_plan_a_r_n=SP,
                                     savings_plan_savings_plan_effective_cost=3.0,
                                     savings_plan_net_savings_plan_effective_cost=2.85)),
    ("SavingsPlanNegation", dict(cost=-5.0, savings_plan_savings_plan_a_r_n=SP)),
    ("SavingsPlanRecurringFee", dict(cost=4.0, savings_plan_savings_plan_a_r_n=SP,
                                     savings_plan_total_commitment_to_date=4.0, savings_plan_used_commitment=3.0,
                                     savings_plan_recurring_commitment_for_billing_period=4.0,
                                     savings_plan_net_recurring_commitment_for_billing_period=3.8,
                                     savings_plan_amortized_upfront_commitment_for_billing_period=0.0,
                                     savings_plan_net_amortized_upfront_commitment_for_billing_period=0.0)),
    ("DiscountedUsage", dict(cost=0.0, pricing_public_on_demand_cost=8.0, reservation_reservation_a_r_n=RI,
                             reservation_effective_cost=6.0, reservation_net_effective_cost=5.7)),
    ("RIFee", dict(cost=7.0, reservation_reservation_a_r_n=RI,
                   reservation_unused_amortized_upfront_fee_for_billing_period=0.5,
                   reservation_unused_recurring_fee=0.25,
                   reservation_net_unused_amortized_upfront_fee_for_billing_period=0.45,
                   reservation_net_unused_recurring_fee=0.2)),
]


@pytest.fixture
def commitment_engines(tmp_path, monkeypatch):
    import clickhouse_connect
    import duckdb

    monkeypatch.setenv("FINOPS_DESTINATION", "filesystem")
    monkeypatch.setenv("FINOPS_DATA_DIR", str(tmp_path))
    rows = []
    for number, (line_type, columns) in enumerate(LINES):
        columns = dict(columns)
        rows.append(aws_line("2026-09", line_type, columns.pop("cost"), day=1 + number,
                             identity_line_item_id=f"line-{number}", **columns))
    write_aws_period(tmp_path, "2026-09", rows)
    transform.run_transformations("aws", config={})

    model = rill.load_project().models["int_aws__cost_line_items_tagged"]
    client = clickhouse_connect.get_client(dsn=f"chdb://{tmp_path / 'chdb'}")
    connection = duckdb.connect()
    try:
        export_marts(client, tmp_path, tables=["int_aws__cost_line_items_tagged"])
        client.command(f"CREATE DATABASE IF NOT EXISTS {rill.CLICKHOUSE_MODEL_DATABASE}")
        client.command(f"CREATE VIEW {rill.CLICKHOUSE_MODEL_DATABASE}.int_aws__cost_line_items_tagged AS "
                       f"{rill.model_sql(model, 'prod', {})[1]}")
        connection.execute("CREATE VIEW int_aws__cost_line_items_tagged AS "
                           + rill.model_sql(model, "dev", {"finops_data_dir": str(tmp_path)})[1])
        yield rill.DuckEngine(connection), rill.ClickHouseEngine(client)
    finally:
        connection.close()
        client.close()


def test_utilization_and_savings_of_savings_plans_and_reservations(commitment_engines):
    for engine in commitment_engines:
        totals = rill.measure_totals(engine, "aws_costs")[None]
        assert totals["savings_plan_utilization"] == pytest.approx(3 / 4), engine.name  # used 3 of 4
        assert totals["ri_utilization"] == pytest.approx(6 / 6.75), engine.name  # used 6, unused 0.75
        assert totals["total_savings_plan_savings"] == D("2") and totals["total_ri_savings"] == D("2")
        assert totals["commitment_savings"] == D("4")
        assert totals["total_unblended_cost"] == D("21")
        assert totals["total_amortized_cost"] == D("20.75")
        assert totals["total_on_demand_cost"] == D("23")
        # usage lines: on-demand 10 + 5 + 8 = 23, net amortized 9.5 + 2.85 + 5.7 = 18.05
        assert totals["savings_vs_on_demand"] == D("4.95")
        assert totals["effective_savings_rate"] == pytest.approx(4.95 / 23)
        by_commitment = rill.measure_totals(engine, "aws_costs", "commitment")
        assert set(by_commitment) == {"Savings Plan", "Reserved Instance", "(none)"}
        assert by_commitment["Savings Plan"]["savings_plan_utilization"] == pytest.approx(0.75)
        assert by_commitment["Savings Plan"]["ri_utilization"] is None
        assert by_commitment["(none)"]["savings_plan_utilization"] is None
