"""The demo's AWS bill as a FOCUS 1.2 export (standins.sample_data.aws_focus.focus_from_cur2): the same money as
the CUR month it is made from, commitments included. Expected figures by hand from the CUR columns."""

from datetime import date
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

from runners.demo import demo_months, generate_sample_data
from standins.sample_data.aws_focus import focus_from_cur2


def total(column) -> Decimal:
    return sum((Decimal(repr(value)) for value in column.to_pylist() if value is not None), Decimal(0))


def lines(table, *types):
    return table.filter(pc.is_in(table["line_item_line_item_type"], value_set=pa.array(types)))


def test_the_focus_export_bills_and_costs_what_the_cur_month_does():
    month = demo_months(date.today())[-1]
    cur = generate_sample_data([month], 1_500, 10, 5, 10)["aws"][month]
    assert {"SavingsPlanCoveredUsage", "DiscountedUsage", "RIFee", "SavingsPlanRecurringFee"} <= set(
        cur["line_item_line_item_type"].to_pylist())
    focus = focus_from_cur2(cur)
    # BilledCost: the invoice, i.e. the CUR's net unblended cost (covered usage and its negation cancel)
    assert total(focus["BilledCost"]).quantize(Decimal("0.01")) == total(cur["line_item_net_unblended_cost"]).quantize(
        Decimal("0.01"))
    # EffectiveCost by hand: plain lines' net cost + covered usage at the commitment's effective cost + unused fees
    plain = total(lines(cur, "Usage", "Tax", "Credit")["line_item_net_unblended_cost"])
    sp_used = total(lines(cur, "SavingsPlanCoveredUsage")["savings_plan_savings_plan_effective_cost"])
    ri_used = total(lines(cur, "DiscountedUsage")["reservation_effective_cost"])
    sp_fee = lines(cur, "SavingsPlanRecurringFee")
    sp_unused = total(sp_fee["savings_plan_total_commitment_to_date"]) - total(sp_fee["savings_plan_used_commitment"])
    ri_fee = lines(cur, "RIFee")
    ri_unused = (total(ri_fee["reservation_unused_amortized_upfront_fee_for_billing_period"])
                 + total(ri_fee["reservation_unused_recurring_fee"]))
    assert sp_unused > 0 and ri_unused > 0, "the demo's commitments are partly unused"
    expected = plain + sp_used + ri_used + sp_unused + ri_unused
    assert total(focus["EffectiveCost"]).quantize(Decimal("0.01")) == expected.quantize(Decimal("0.01"))
    # one row per line, the negation line none, a fee with an unused part two (Purchase + Unused)
    categories = focus["ChargeCategory"].to_pylist()
    fees = sp_fee.num_rows + ri_fee.num_rows
    assert categories.count("Purchase") == fees
    assert focus["CommitmentDiscountStatus"].to_pylist().count("Unused") > 0
    negations = lines(cur, "SavingsPlanNegation").num_rows
    unused_rows = focus["CommitmentDiscountStatus"].to_pylist().count("Unused")
    assert focus.num_rows == cur.num_rows - negations + unused_rows
