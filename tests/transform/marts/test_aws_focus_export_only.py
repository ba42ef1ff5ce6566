"""An AWS deployment that loads only the Data Exports FOCUS 1.2 export (no CUR table ever written): the AWS build
and the marts build, and the marts hold the bill's figures."""

from decimal import Decimal

from standins.sample_data.aws_focus import bill_totals, focus_table, generate_charges
from tests.helpers.transform import cents, q, run
from tests.transform.raw import write_aws_focus_period

D = Decimal
MONTH = "2026-09"
TEAM_ALLOCATION = {"allocation": {"version": "v1", "rules": [{"name": "web", "cost_center": "web",
                                                              "match": {"tags": {"team": "web"}}}]}}


def test_a_focus_export_only_aws_build_succeeds_and_its_marts_hold_the_bill(data_dir):
    charges = generate_charges(MONTH, 80, seed=11)
    write_aws_focus_period(data_dir, MONTH, focus_table(MONTH, charges))
    run("aws", config=TEAM_ALLOCATION)  # int_aws__commitment_line_items read the CUR's staging view unguarded

    bill = bill_totals(charges)
    assert q("SELECT input, counted FROM finops.int_cloud_cost_inputs WHERE provider = 'aws'") == [("focus_export", 1)]
    assert q("SELECT count() FROM finops.int_aws__commitment_line_items") == [(0,)]
    (billed, effective), = q("SELECT billed_cost, effective_cost FROM finops.monthly_cloud_costs WHERE provider = 'aws'")
    assert (cents(billed), cents(effective)) == (cents(bill["billed"]), cents(bill["effective"]))
    (showback,), = q("SELECT sum(total_cost) FROM finops.showback_monthly WHERE provider = 'aws'")
    assert cents(showback) == cents(bill["billed"])
    # the Savings Plan and the RI: purchased, unused and covered on-demand cost from the FOCUS rows
    fees = [c for c in charges if c.kind.endswith("_fee")]
    (purchased, unused), = q("SELECT sum(commitment_cost), sum(unused_cost) FROM finops.commitment_utilization_monthly "
                             "WHERE provider = 'aws'")
    assert (cents(purchased), cents(unused)) == (cents(sum(c.commitment for c in fees)), cents(sum(c.unused for c in fees)))
    covered = sum((c.cost for c in charges if c.kind in ("sp_usage", "ri_usage")), D(0))
    (covered_on_demand,), = q("SELECT sum(covered_on_demand_cost) FROM finops.commitment_coverage_monthly "
                              "WHERE provider = 'aws'")
    assert covered > 0 and cents(covered_on_demand) == cents(covered)
    (cost_to_date,), = q("SELECT sum(cost_to_date) FROM finops.cost_forecast WHERE provider = 'aws'")
    assert cents(cost_to_date) == cents(bill["effective"])
