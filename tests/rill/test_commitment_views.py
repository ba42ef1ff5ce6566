"""The commitments and commitment coverage dashboards on the demo data, both engines: every measure equals the SQL
layer's total to the cent, and the demo's Savings Plan and RI (standins/sample_data/aws_commitments.py) give the
figures computed here straight from the generated lines."""

from __future__ import annotations

import calendar
from decimal import Decimal

import pytest

from standins.sample_data.aws_commitments import RI_ARN, SP_ARN, commitment_lines
from tests.rill import project as rill

CENT = Decimal("0.01")


def cents(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def test_commitment_measures_equal_the_sql_layer_per_provider(engine, clickhouse):
    by_provider = rill.measure_totals(engine, "commitments", "provider")
    expected = clickhouse.rows(
        "SELECT provider, sum(commitment_cost), sum(used_commitment), sum(unused_cost), sum(fee_cost), "
        "sum(covered_on_demand_cost), sum(realized_savings), sum(net_savings), "
        "count(DISTINCT commitment_id), countDistinctIf(commitment_id, expires_within_90_days = 1) "
        "FROM finops.commitment_utilization_monthly GROUP BY provider")
    assert {row[0] for row in expected} == set(by_provider) and "aws" in by_provider
    for provider, cost, used, unused, fees, covered, realized, net, commitments, expiring in expected:
        got = by_provider[provider]
        assert cents(got["total_commitment_cost"]) == cents(cost), (engine.name, provider)
        assert cents(got["total_fee_cost"]) == cents(fees)
        assert cents(got["total_covered_on_demand_cost"]) == cents(covered)
        assert cents(got["total_realized_savings"]) == cents(realized)
        assert cents(got["total_net_savings"]) == cents(net)
        assert (got["commitments"], got["expiring_commitments"]) == (commitments, expiring)
        if provider == "aws":
            assert cents(got["total_used_commitment"]) == cents(used)
            assert cents(got["total_unused_cost"]) == cents(unused)
            assert got["commitment_utilization"] == pytest.approx(float(used) / float(cost))
            assert got["savings_rate"] == pytest.approx(float(realized) / float(covered))


def test_coverage_measures_equal_the_sql_layer_per_provider(engine, clickhouse):
    by_provider = rill.measure_totals(engine, "commitment_coverage", "provider")
    expected = clickhouse.rows("SELECT provider, sum(covered_on_demand_cost), sum(on_demand_cost), "
                               "sum(eligible_on_demand_cost) FROM finops.commitment_coverage_monthly GROUP BY provider")
    assert {row[0] for row in expected} == set(by_provider) and "aws" in by_provider
    for provider, covered, on_demand, eligible in expected:
        got = by_provider[provider]
        assert (cents(got["total_covered_on_demand_cost"]), cents(got["total_on_demand_cost"]),
                cents(got["total_eligible_on_demand_cost"])) == (cents(covered), cents(on_demand), cents(eligible))
        assert got["commitment_coverage"] == pytest.approx(float(covered) / float(eligible))


def generated(month: str) -> dict:
    """Per commitment of the demo's month, from the generated CUR lines (Decimal, exact)."""
    figures = {SP_ARN: dict.fromkeys(("purchased", "unused", "fees", "covered", "effective"), Decimal(0)),
               RI_ARN: dict.fromkeys(("purchased", "unused", "fees", "covered", "effective"), Decimal(0))}
    for line in commitment_lines(month):
        kind = line["line_item_line_item_type"]
        arn = SP_ARN if kind.startswith("SavingsPlan") else RI_ARN
        d = {k: Decimal(str(v)) for k, v in line.items() if isinstance(v, float)}
        f = figures[arn]
        if kind == "SavingsPlanRecurringFee":
            f["purchased"] += d["savings_plan_total_commitment_to_date"]
            f["unused"] += d["savings_plan_total_commitment_to_date"] - d["savings_plan_used_commitment"]
            f["fees"] += d["line_item_unblended_cost"]
        elif kind == "RIFee":
            f["purchased"] += d["reservation_amortized_upfront_fee_for_billing_period"] + d["line_item_unblended_cost"]
            f["unused"] += (d["reservation_unused_amortized_upfront_fee_for_billing_period"]
                            + d["reservation_unused_recurring_fee"])
            f["fees"] += d["line_item_unblended_cost"]
        elif kind in ("SavingsPlanCoveredUsage", "DiscountedUsage"):
            f["covered"] += d["pricing_public_on_demand_cost"]
            f["effective"] += d.get("savings_plan_savings_plan_effective_cost", Decimal(0)) + d.get(
                "reservation_effective_cost", Decimal(0))
    return figures


def test_the_demos_savings_plan_and_ri_match_the_generated_lines(clickhouse, rill_data):
    rows = clickhouse.rows(
        "SELECT month, commitment_id, commitment_cost, unused_cost, fee_cost, covered_on_demand_cost, "
        "realized_savings, utilization, expires_within_90_days FROM finops.commitment_utilization_monthly "
        "WHERE provider = 'aws'")
    assert {row[0] for row in rows} == set(rill_data["months"])
    for month, arn, purchased, unused, fees, covered, realized, utilization, expiring in rows:
        f = generated(month)[arn]
        assert (purchased, unused, fees, covered, realized) == (
            f["purchased"], f["unused"], f["fees"], f["covered"], f["covered"] - f["effective"]), (month, arn)
        assert 0.8 < utilization < 1  # some commitment unused, every month
        # the RI ends on the 15th of the month after next (relative to today): within 90 days of the newest month
        if arn == RI_ARN and month == max(rill_data["months"]):
            assert expiring == 1
        if arn == SP_ARN:
            assert expiring == 0
    days = calendar.monthrange(*(int(p) for p in month.split("-")))[1]
    assert generated(month)[SP_ARN]["purchased"] == Decimal("2.4") * days
