"""AWS normalized costs on a hand-computed month with Savings Plans, Reserved Instances, fees,
credits and refunds (the AWS CUR query library's amortization rules)."""

from decimal import Decimal

from tests.helpers.transform import one, q, run
from tests.transform.raw import aws_line, numbered_aws_lines, write_aws_period

SP = "arn:aws:savingsplans::999999999999:savingsplan/sp-1"
RI = "arn:aws:ec2:us-east-1:999999999999:reserved-instances/ri-1"
D = Decimal

# (line type, raw columns) -> expected (unblended, net unblended, amortized, net amortized, SP savings, RI savings)
LINES = [
    ("Usage", dict(cost=10.0, line_item_net_unblended_cost=9.5, pricing_public_on_demand_cost=10.0),
     ("10", "9.5", "10", "9.5", "0", "0")),
    ("SavingsPlanCoveredUsage", dict(cost=5.0, pricing_public_on_demand_cost=5.0, savings_plan_savings_plan_a_r_n=SP,
                                     savings_plan_savings_plan_effective_cost=3.0,
                                     savings_plan_net_savings_plan_effective_cost=2.85),
     ("5", "5", "3", "2.85", "2", "0")),
    ("SavingsPlanNegation", dict(cost=-5.0, savings_plan_savings_plan_a_r_n=SP), ("-5", "-5", "0", "0", "0", "0")),
    ("SavingsPlanRecurringFee", dict(cost=4.0, savings_plan_savings_plan_a_r_n=SP,
                                     savings_plan_total_commitment_to_date=4.0, savings_plan_used_commitment=3.0,
                                     savings_plan_recurring_commitment_for_billing_period=4.0,
                                     savings_plan_net_recurring_commitment_for_billing_period=3.8,
                                     savings_plan_amortized_upfront_commitment_for_billing_period=0.0,
                                     savings_plan_net_amortized_upfront_commitment_for_billing_period=0.0),
     ("4", "4", "1", "0.95", "0", "0")),
    ("SavingsPlanUpfrontFee", dict(cost=100.0, savings_plan_savings_plan_a_r_n=SP), ("100", "100", "0", "0", "0", "0")),
    ("DiscountedUsage", dict(cost=0.0, pricing_public_on_demand_cost=8.0, reservation_reservation_a_r_n=RI,
                             reservation_effective_cost=6.0, reservation_net_effective_cost=5.7),
     ("0", "0", "6", "5.7", "0", "2")),
    ("RIFee", dict(cost=7.0, reservation_reservation_a_r_n=RI,
                   reservation_unused_amortized_upfront_fee_for_billing_period=0.5,
                   reservation_unused_recurring_fee=0.25,
                   reservation_net_unused_amortized_upfront_fee_for_billing_period=0.45,
                   reservation_net_unused_recurring_fee=0.2),
     ("7", "7", "0.75", "0.65", "0", "0")),
    ("Fee", dict(cost=120.0, reservation_reservation_a_r_n=RI), ("120", "120", "0", "0", "0", "0")),
    ("Fee", dict(cost=3.0, line_item_product_code="AWSSupportBusiness"), ("3", "3", "3", "3", "0", "0")),
    ("Tax", dict(cost=2.0), ("2", "2", "2", "2", "0", "0")),
    ("Credit", dict(cost=-1.5), ("-1.5", "-1.5", "-1.5", "-1.5", "0", "0")),
    ("Refund", dict(cost=-0.75), ("-0.75", "-0.75", "-0.75", "-0.75", "0", "0")),
]


def test_amortized_and_net_amortized_cost_follow_the_cur_library_rules(data_dir):
    rows = []
    for number, (line_type, columns, _) in enumerate(LINES):
        columns = dict(columns)
        cost = columns.pop("cost")
        rows.append(aws_line("2026-09", line_type, cost, day=1 + number, identity_line_item_id=f"line-{number}",
                             **columns))
    write_aws_period(data_dir, "2026-09", rows)
    run("aws")

    got = {
        line_id: tuple(values)
        for line_id, *values in q(
            "SELECT line_item_id, unblended_cost, net_unblended_cost, amortized_cost, net_amortized_cost, "
            "savings_plan_savings, reservation_savings FROM finops.int_aws__cost_line_items"
        )
    }
    for number, (line_type, _, want) in enumerate(LINES):
        assert got[f"line-{number}"] == tuple(D(v) for v in want), line_type

    totals = q("SELECT sum(unblended_cost), sum(net_unblended_cost), sum(amortized_cost), sum(net_amortized_cost), "
               "sum(savings_plan_savings), sum(reservation_savings) FROM finops.int_aws__cost_daily")[0]
    assert totals == (D("243.75"), D("243.25"), D("23.5"), D("22.4"), D("2"), D("2"))
    # FOCUS: BilledCost = net unblended (the invoice), EffectiveCost = net amortized. The SP negation line has
    # no FOCUS row (covered usage is billed 0 instead), so x_UnblendedCost lacks its -5.
    assert q("SELECT sum(BilledCost), sum(EffectiveCost), sum(x_UnblendedCost), sum(x_AmortizedCost) "
             "FROM finops.focus WHERE x_Provider = 'aws'")[0] == (D("243.25"), D("22.4"), D("248.75"), D("23.5"))
    assert one("SELECT sum(effective_cost) FROM finops.monthly_cloud_costs WHERE provider = 'aws'") == D("22.4")
    # The margin takes what finance is invoiced: net unblended (243.25), not unblended (243.75), nor amortized.
    assert one("SELECT aws_billed_cost FROM finops.monthly_margin") == D("243.25")
    assert one("SELECT aws_billed_cost FROM finops.unit_economics_monthly") == D("243.25")

    focus = {r[0]: r[1:] for r in q(
        "SELECT x_ChargeType || ':' || ifNull(CommitmentDiscountId, ''), ChargeCategory, ChargeFrequency, "
        "CommitmentDiscountCategory, CommitmentDiscountStatus, PricingCategory FROM finops.focus "
        "WHERE CommitmentDiscountStatus IS DISTINCT FROM 'Unused'"  # unused commitments: tests/transform/marts/test_focus_commitments.py
    )}
    assert focus[f"SavingsPlanCoveredUsage:{SP}"] == ("Usage", "Usage-Based", "Spend", "Used", "Committed")
    assert focus[f"DiscountedUsage:{RI}"] == ("Usage", "Usage-Based", "Usage", "Used", "Committed")
    assert focus[f"SavingsPlanRecurringFee:{SP}"] == ("Purchase", "Recurring", "Spend", None, None)
    assert focus[f"RIFee:{RI}"] == ("Purchase", "Recurring", "Usage", None, None)
    assert focus[f"Fee:{RI}"] == ("Purchase", "One-Time", "Usage", None, None)
    assert focus["Usage:"] == ("Usage", "Usage-Based", None, None, "Standard")
    # Refunds give money back for a charge: Adjustment, not Credit (the old expectation was wrong).
    assert focus["Tax:"][0] == "Tax" and focus["Credit:"][0] == "Credit" and focus["Refund:"][0] == "Adjustment"
    # A credit is unrelated to other charges: its ListCost is its BilledCost (FOCUS listcost.md), not 0, which
    # counted it as a rate saving (ListCost - EffectiveCost).
    assert dict(q("SELECT x_ChargeType, ListCost FROM finops.focus WHERE x_ChargeType IN ('Credit', 'Tax')")) == {
        "Credit": D("-1.5"), "Tax": D("2")}


def test_focus_list_cost_of_an_aws_credit_matches_its_billed_cost(data_dir):
    """FOCUS listcost.md (1.2): "The ListCost of a charge unrelated to other charges (e.g., when the ChargeCategory
    is "Credit") MUST match the BilledCost". A promotional credit (line item type Credit) has no ListUnitPrice, so
    its ListCost is its BilledCost (-30): with 0 the month's ListCost was 130, not 100, and ListCost - EffectiveCost
    counted the credit as a rate saving. A discount (EdpDiscount) is off the list price: its ListCost stays 0."""
    write_aws_period(data_dir, "2026-09", numbered_aws_lines("2026-09", [
        ("Usage", dict(cost=130.0, pricing_public_on_demand_cost=130.0, line_item_unblended_rate=1.3,
                       pricing_public_on_demand_rate=1.3, line_item_usage_amount=100.0)),
        ("Credit", dict(cost=-30.0, line_item_product_code="AmazonEC2", line_item_usage_type="",
                        line_item_resource_id="", pricing_unit="")),
        ("EdpDiscount", dict(cost=-6.5, line_item_product_code="AmazonEC2")),
    ]))
    run("aws")
    assert q("SELECT x_ChargeType, ListUnitPrice, BilledCost, ListCost FROM finops.focus "
             "WHERE ChargeCategory = 'Credit' ORDER BY 1") == [
        ("Credit", None, D("-30"), D("-30")), ("EdpDiscount", None, D("-6.5"), D("0"))]
    assert q("SELECT sum(ListCost), sum(BilledCost) FROM finops.focus WHERE x_Provider = 'aws'") == [
        (D("100"), D("93.5"))]


def test_missing_net_and_commitment_columns_fall_back_to_gross(data_dir):
    """A CUR export without discounts has no net_* columns: net = gross, commitments = 0."""
    from standins.sample_data.aws import generate_cur2_month
    from tests.transform.raw import write_aws_table

    table = generate_cur2_month("2026-08", 300)
    table = table.drop_columns(["line_item_net_unblended_cost", "line_item_net_unblended_rate"])
    write_aws_table(data_dir, "2026-08", table)
    run("aws")
    unblended, net, amortized, net_amortized = q(
        "SELECT sum(unblended_cost), sum(net_unblended_cost), sum(amortized_cost), sum(net_amortized_cost) "
        "FROM finops.int_aws__cost_daily")[0]
    expected = sum(D(repr(v)) for v in table["line_item_unblended_cost"].to_pylist())
    assert unblended == net == amortized == net_amortized == expected
