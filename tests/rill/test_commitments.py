"""The AWS commitment measures (utilization, savings) on a hand-computed month with a Savings Plan and a
Reserved Instance, on both engines: real SP / RI line items through the SQL layer and the export (the demo's
commitments are checked in tests/rill/test_commitment_views.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from include import transform
from include.transform.export import dashboard_files, export_marts, export_table
from tests.fixtures.local_data import module_data_dir
from tests.rill import project as rill
from tests.transform.raw import numbered_aws_lines, write_aws_period

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


@pytest.fixture(scope="module")
def month_dir(tmp_path_factory):
    """The month built once for the module (the tests only read): its data folder."""
    with module_data_dir(tmp_path_factory, "commitments") as data_dir:
        write_aws_period(data_dir, "2026-09", numbered_aws_lines("2026-09", LINES))
        transform.run_transformations("aws", config={})
        transform.run_transformations("marts", config={}, export=False)  # the fixture exports what the tests read
    return data_dir


@pytest.fixture(scope="module")
def commitment_engines(month_dir):
    import clickhouse_connect
    import duckdb

    models = rill.load_project().models
    client = clickhouse_connect.get_client(dsn=f"chdb://{month_dir / 'chdb'}")
    connection = duckdb.connect()
    try:
        export_marts(client, month_dir, tables=["int_aws__cost_daily_tagged", "focus", "focus_daily"])
        # the validator's model is FOCUS 1.2: finops.focus (1.4) in its 1.2 shape
        export_table(client, "focus_1_2", month_dir / "marts" / "focus_1_2.parquet")
        client.command(f"CREATE DATABASE IF NOT EXISTS {rill.CLICKHOUSE_MODEL_DATABASE}")
        for name in ("int_aws__cost_daily_tagged", "focus_daily"):
            client.command(f"CREATE VIEW {rill.CLICKHOUSE_MODEL_DATABASE}.{name} AS "
                           f"{rill.model_sql(models[name], 'prod', {})[1]}")
            connection.execute(f"CREATE VIEW {name} AS "
                               + rill.model_sql(models[name], "dev", {"finops_data_dir": str(month_dir)})[1])
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


def test_focus_commitment_rows_on_both_engines(commitment_engines):
    """FOCUS 1.2 (effectivecost.md, commitmentdiscountstatus.md): fees are Purchases with EffectiveCost 0, their
    unused part (SP 0.95, RI 0.65 net) is Usage; covered usage is billed 0 and the SP negation has no row."""
    for engine in commitment_engines:
        by_category = rill.measure_totals(engine, "focus_costs", "charge_category")
        assert set(by_category) == {"Usage", "Purchase"}, engine.name
        purchase, usage = by_category["Purchase"], by_category["Usage"]
        assert (purchase["billed_cost"], purchase["effective_cost"], purchase["contracted_cost"]) == (
            D("11"), D("0"), D("11")), engine.name
        # usage 9.5 billed; effective 9.5 + SP 2.85 + RI 5.7 + unused 0.95 + 0.65; contracted 9.5 + SP 5 + RI 8
        assert (usage["billed_cost"], usage["effective_cost"], usage["contracted_cost"], usage["list_cost"]) == (
            D("9.5"), D("19.65"), D("22.5"), D("23")), engine.name
        committed = rill.measure_totals(engine, "focus_costs", "pricing_category")["Committed"]
        assert committed["effective_cost"] == D("10.15") and committed["billed_cost"] == D("0"), engine.name
        # still the bill (net unblended 20.5) and the net amortized cost (19.65)
        totals = rill.measure_totals(engine, "focus_costs")[None]
        assert (totals["billed_cost"], totals["effective_cost"]) == (D("20.5"), D("19.65")), engine.name


def test_focus_commitment_rows_pass_the_official_validator(commitment_engines, month_dir, tmp_path):
    """Purchase / Used / Unused rows of a Savings Plan and an RI, in finops.focus_1_2, checked by the validator
    (EffectiveCost-C-005-C: 0 on commitment purchases)."""
    from tests.helpers.focus_validator import FAILED, SUMMARY, known_errors, run_validator

    workdir = tmp_path / "validator"
    workdir.mkdir()
    output = run_validator(month_dir / "marts" / "focus_1_2.parquet", workdir)
    total, passed, failed, skipped = (int(n) for n in SUMMARY.search(output).groups())
    print(f"focus-validator on SP / RI rows: total {total}, pass {passed}, fail {failed}, skipped {skipped}")
    unexpected = sorted(set(FAILED.findall(output)) - known_errors())
    assert not unexpected, "\n".join(line for line in output.splitlines() if any(r in line for r in unexpected))
    assert total == passed + failed + skipped and passed > 300
    # what the validator's own CommitmentDiscountStatus errors skip: the spec's condition, on these rows
    import duckdb

    focus = f"read_parquet({[str(path) for path in dashboard_files('focus', month_dir)]})"
    assert duckdb.sql(f"SELECT count(*) FROM {focus} WHERE CommitmentDiscountId IS NOT NULL "
                      "AND ChargeCategory = 'Usage' AND CommitmentDiscountStatus IS NULL").fetchone()[0] == 0
    assert duckdb.sql(f"SELECT count(*) FROM {focus} WHERE CommitmentDiscountId IS NULL "
                      "AND CommitmentDiscountStatus IS NOT NULL").fetchone()[0] == 0
