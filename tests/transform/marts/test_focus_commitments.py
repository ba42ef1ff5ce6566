"""Commitment rows of finops.focus as FOCUS 1.2 has them (columns effectivecost.md, commitmentdiscountstatus.md,
contractedcost.md; appendix "Commitment Discount Scenarios"; AWS rows as in the spec's aws_savings_plan_*.md):
fees are Purchases with EffectiveCost 0, their unused part is a Usage row with status Unused, covered usage is
Used and billed 0 (the SP negation has no row), and the totals still equal the bill and the amortized cost."""

from decimal import Decimal

import pytest

from tests.helpers.transform import one, q, run
from tests.transform import raw
from tests.transform.raw import numbered_aws_lines, write_aws_period

SP = "arn:aws:savingsplans::999999999999:savingsplan/sp-1"
RI = "arn:aws:ec2:us-east-1:999999999999:reserved-instances/ri-1"
CR = "arn:aws:ec2:us-east-1:999999999999:capacity-reservation/cr-1"
D = Decimal

# One month: a Savings Plan (commitment 4, used 3; net of a 5% discount 3.8 / 2.85 / 0.95) and a
# Reserved Instance (fee 6.75: used 6, unused 0.75; net 6.35 / 5.7 / 0.65), each with its covered usage.
LINES = [
    ("Usage", dict(cost=10.0, pricing_public_on_demand_cost=10.0, line_item_unblended_rate=0.5,
                   line_item_net_unblended_rate=0.5, pricing_public_on_demand_rate=0.5, line_item_usage_amount=20.0)),
    ("SavingsPlanCoveredUsage", dict(cost=5.0, pricing_public_on_demand_cost=5.0, savings_plan_savings_plan_a_r_n=SP,
                                     line_item_unblended_rate=0.5, line_item_net_unblended_rate=0.5,
                                     pricing_public_on_demand_rate=0.5, line_item_usage_amount=10.0,
                                     savings_plan_savings_plan_effective_cost=3.0,
                                     savings_plan_net_savings_plan_effective_cost=2.85)),
    ("SavingsPlanNegation", dict(cost=-5.0, savings_plan_savings_plan_a_r_n=SP)),
    ("SavingsPlanRecurringFee", dict(cost=4.0, line_item_net_unblended_cost=3.8, savings_plan_savings_plan_a_r_n=SP,
                                     savings_plan_total_commitment_to_date=4.0, savings_plan_used_commitment=3.0,
                                     savings_plan_recurring_commitment_for_billing_period=4.0,
                                     savings_plan_net_recurring_commitment_for_billing_period=3.8)),
    ("DiscountedUsage", dict(cost=0.0, pricing_public_on_demand_cost=8.0, reservation_reservation_a_r_n=RI,
                             pricing_public_on_demand_rate=0.4, line_item_usage_amount=20.0,
                             reservation_effective_cost=6.0, reservation_net_effective_cost=5.7)),
    ("RIFee", dict(cost=6.75, line_item_net_unblended_cost=6.35, reservation_reservation_a_r_n=RI,
                   reservation_unused_amortized_upfront_fee_for_billing_period=0.5,
                   reservation_unused_recurring_fee=0.25,
                   reservation_net_unused_amortized_upfront_fee_for_billing_period=0.45,
                   reservation_net_unused_recurring_fee=0.2)),
]


def write_month(data_dir, lines):
    write_aws_period(data_dir, "2026-09", numbered_aws_lines("2026-09", lines))
    run("aws")


def focus_rows() -> dict:
    """(CUR line type, status) -> the row's FOCUS columns."""
    columns = ("ChargeCategory", "ChargeFrequency", "PricingCategory", "CommitmentDiscountId", "BilledCost",
               "EffectiveCost", "ContractedCost", "ContractedUnitPrice", "ListCost", "ConsumedQuantity")
    rows = q(f"SELECT x_ChargeType, CommitmentDiscountStatus, {', '.join(columns)} FROM finops.focus")
    keys = [(r[0], r[1]) for r in rows]
    assert len(keys) == len(set(keys)), keys
    return {(r[0], r[1]): dict(zip(columns, r[2:], strict=True)) for r in rows}


def test_commitment_fees_covered_usage_and_unused_commitment_follow_focus_1_2(data_dir):
    write_month(data_dir, LINES)
    rows = focus_rows()

    # The negation only cancels the covered usage's on-demand cost on the bill: no row of its own.
    assert not [key for key in rows if key[0] == "SavingsPlanNegation"]
    # Fees: Purchase, billed the fee, EffectiveCost 0 ("MUST be 0 when ChargeCategory is "Purchase" and the
    # purchase is intended to cover future eligible charges"), no status; ContractedCost = BilledCost.
    for line_type, fee in (("SavingsPlanRecurringFee", "3.8"), ("RIFee", "6.35")):
        purchase = rows[(line_type, None)]
        assert (purchase["ChargeCategory"], purchase["ChargeFrequency"]) == ("Purchase", "Recurring")
        assert (purchase["BilledCost"], purchase["EffectiveCost"], purchase["ContractedCost"]) == (D(fee), 0, D(fee))
    # Unused part of each fee: a Usage row, status Unused, billed 0, the net amortized unused cost.
    for line_type, arn, wasted in (("SavingsPlanRecurringFee", SP, "0.95"), ("RIFee", RI, "0.65")):
        unused = rows[(line_type, "Unused")]
        assert (unused["ChargeCategory"], unused["ChargeFrequency"], unused["PricingCategory"]) == (
            "Usage", "Usage-Based", "Committed")
        assert unused["CommitmentDiscountId"] == arn and unused["ConsumedQuantity"] is None
        assert (unused["BilledCost"], unused["EffectiveCost"], unused["ContractedCost"], unused["ListCost"]) == (
            0, D(wasted), 0, 0)
    # Covered usage: Used, billed 0, amortized cost; contracted = its negotiated on-demand cost (SP: net
    # unblended; RI: public on-demand, the CUR has no negotiated rate there), list = public on-demand.
    sp_used, ri_used = rows[("SavingsPlanCoveredUsage", "Used")], rows[("DiscountedUsage", "Used")]
    assert (sp_used["BilledCost"], sp_used["EffectiveCost"], sp_used["ContractedCost"], sp_used["ListCost"]) == (
        0, D("2.85"), D("5"), D("5"))
    assert (ri_used["BilledCost"], ri_used["EffectiveCost"], ri_used["ContractedCost"], ri_used["ListCost"]) == (
        0, D("5.7"), D("8"), D("8"))
    # ContractedCost = ContractedUnitPrice x PricingQuantity on usage rows (contractedcost.md).
    assert (ri_used["ContractedUnitPrice"], sp_used["ContractedUnitPrice"]) == (D("0.4"), D("0.5"))
    assert rows[("Usage", None)]["ContractedCost"] == D("10") and rows[("Usage", None)]["BilledCost"] == D("10")

    # Per commitment: sum of Usage EffectiveCost = sum of Purchase BilledCost = Used + Unused (effectivecost.md).
    per_commitment = q(
        "SELECT CommitmentDiscountId, sumIf(EffectiveCost, ChargeCategory = 'Usage'), "
        "sumIf(BilledCost, ChargeCategory = 'Purchase'), sumIf(EffectiveCost, CommitmentDiscountStatus = 'Used') "
        "+ sumIf(EffectiveCost, CommitmentDiscountStatus = 'Unused') FROM finops.focus "
        "WHERE CommitmentDiscountId IS NOT NULL GROUP BY CommitmentDiscountId ORDER BY CommitmentDiscountId")
    assert per_commitment == [(RI, D("6.35"), D("6.35"), D("6.35")), (SP, D("3.8"), D("3.8"), D("3.8"))]
    # Totals still equal the bill (net unblended) and the net amortized cost of the CUR.
    # 10 + 5 - 5 + 3.8 + 0 + 6.35 billed; 10 + 2.85 + 0.95 + 5.7 + 0.65 amortized
    assert q("SELECT sum(BilledCost), sum(EffectiveCost) FROM finops.focus")[0] == (D("20.15"), D("20.15"))
    assert q("SELECT sum(net_unblended_cost), sum(net_amortized_cost) FROM finops.int_aws__cost_line_items")[0] == (
        D("20.15"), D("20.15"))
    assert one("SELECT countIf(ChargeCategory = 'Purchase' AND EffectiveCost != 0) FROM finops.focus") == 0


def test_a_fully_used_commitment_has_no_unused_row(data_dir):
    fully_used = [(t, dict(c, savings_plan_used_commitment=4.0) if t == "SavingsPlanRecurringFee" else c)
                  for t, c in LINES if t.startswith("SavingsPlan")]
    write_month(data_dir, fully_used)
    assert one("SELECT count() FROM finops.focus WHERE CommitmentDiscountStatus = 'Unused'") == 0
    assert q("SELECT ChargeCategory, BilledCost, EffectiveCost FROM finops.focus "
             "WHERE x_ChargeType = 'SavingsPlanRecurringFee'") == [("Purchase", D("3.8"), D("0"))]


@pytest.fixture
def capacity_reservation_columns(monkeypatch):
    """CUR 2.0 exported with INCLUDE_CAPACITY_RESERVATION_DATA has these two columns."""
    monkeypatch.setattr(raw, "AWS_STRING", raw.AWS_STRING + ["capacity_reservation_capacity_reservation_arn",
                                                             "capacity_reservation_capacity_reservation_status"])


def test_capacity_reservation_columns_come_from_the_cur(data_dir, capacity_reservation_columns):
    cr = "capacity_reservation_capacity_reservation_"
    write_month(data_dir, [
        ("Usage", dict(cost=2.0, **{f"{cr}arn": CR, f"{cr}status": "Used"})),
        ("Usage", dict(cost=1.0, line_item_usage_type="UnusedBox:m5.large", line_item_resource_id=CR,
                       **{f"{cr}arn": CR, f"{cr}status": "Unused"})),
        ("Usage", dict(cost=3.0, **{f"{cr}arn": "", f"{cr}status": ""})),
    ])
    assert sorted(q("SELECT CapacityReservationId, CapacityReservationStatus, BilledCost FROM finops.focus"),
                  key=str) == sorted([(CR, "Used", D("2")), (CR, "Unused", D("1")), (None, None, D("3"))], key=str)


def test_a_cur_without_capacity_reservation_columns_has_none(data_dir):
    write_month(data_dir, LINES[:1])
    assert q("SELECT CapacityReservationId, CapacityReservationStatus FROM finops.focus") == [(None, None)]


def test_reconciliation_proves_covered_usage_and_its_negation_cancel(data_dir):
    """Covered usage is billed 0 in FOCUS and the negation has no row: right only while the CUR's covered usage
    and negation cancel. If they ever do not, the focus_billed_cost check fails with the figures (never silent)."""
    from include.reconciliation import ReconciliationError, run_checks

    write_month(data_dir, LINES)
    assert run_checks("marts", run_id="run-cancel")["failed"] == 0
    lines = [(t, dict(c, cost=-4.0) if t == "SavingsPlanNegation" else c) for t, c in LINES]
    write_month(data_dir, lines)
    with pytest.raises(ReconciliationError) as failure:
        run_checks("marts", run_id="run-no-cancel")
    assert "focus_billed_cost period 2026-09 USD: expected 21.1500000000, actual 20.1500000000" in str(failure.value)
