"""Enterprise magnitudes: one AWS CUR month and one GCP billing export month (EUR) with line costs from 1e-10 to 5e8,
month totals above 1e10 per cloud, usage amounts up to 1e17, credits and refunds of the same size, Savings Plan and
RI lines with large amortized figures. Every money total of the marts is compared exactly (Decimal(38, 10)) with the
same figures computed in Python with decimal.Decimal from the same inputs: a Float64 step, a silent Decimal overflow
or a lost digit anywhere on the way would show as a difference."""

import json
from decimal import ROUND_DOWN, Decimal

from include.reconciliation import run_checks
from tests.helpers.transform import q, run
from tests.transform.raw import aws_line, gcp_row, write_aws_period, write_gcp_rows

D = Decimal
MONTH = "2026-09"
TICK = D("1e-10")
EUR_RATE = "1.0837"
# the billing export's currency_conversion_rate (billing-currency units per USD): a FLOAT64, whose shortest text may
# have up to 17 significant digits
EUR_PER_USD = 0.9173581399123456
SP = "arn:aws:savingsplans::999999999999:savingsplan/sp-big"
RI = "arn:aws:ec2:us-east-1:999999999999:reserved-instances/ri-big"
CONFIG = {
    "fx_rates": [{"month": MONTH, "currency": "EUR", "rate_to_usd": EUR_RATE}],
    "allocation": {
        "version": "v1",
        "rules": [
            {"name": "a", "cost_center": "alpha", "match": {"tags": {"team": "a"}}},
            {"name": "b", "cost_center": "beta", "match": {"tags": {"team": "b"}}},
            {"name": "gcp", "cost_center": "alpha", "match": {"provider": "gcp"}},
        ],
        "shared": [{"name": "tax", "match": {"charge_category": "Tax"}, "split": "proportional"}],
    },
    "budgets": [
        {"name": "aws", "month": MONTH, "amount": "1", "currency": "USD", "scope": {"provider": "aws"}},
        {"name": "gcp in usd", "month": MONTH, "amount": "1", "currency": "USD", "scope": {"provider": "gcp"}},
    ],
}


def exact(value: float) -> Decimal:
    """A raw Float64 as the models read it: its shortest text, truncated at 10 decimals."""
    return D(repr(value)).quantize(TICK, rounding=ROUND_DOWN)


def team(name: str) -> dict:
    return {"resource_tags": json.dumps({"user:team": name})}


def aws_lines() -> list[dict]:
    lines = []
    for i in range(24):  # on demand usage, 10% negotiated discount: ~1.3e10 in the month
        cost = float(D("487654321.123456") + i * D("1234567.000001"))
        lines.append(aws_line(MONTH, "Usage", cost, day=1 + i, line_item_net_unblended_cost=cost * 0.9,
                              pricing_public_on_demand_cost=cost * 1.05, line_item_usage_amount=9.87654321e16 + i * 1e15,
                              **team("a" if i % 2 else "b")))
    for cost in (1e-10, 3e-10, 1.2345e-7, 9.99999999999e-5, 123456789.123456789, 5e8):
        lines.append(aws_line(MONTH, "Usage", cost, day=25, line_item_usage_amount=1e17, **team("b")))
    lines += [
        aws_line(MONTH, "Credit", -4.5e8, day=5, **team("a")),
        aws_line(MONTH, "Refund", -321098765.432, day=6, **team("b")),
        aws_line(MONTH, "Tax", 12345678.9, day=1, line_item_resource_id="", **team("")),
        # Savings Plan: covered usage at on-demand price, its negation, the plan's fee (partly unused)
        aws_line(MONTH, "SavingsPlanCoveredUsage", 412345678.901, day=7, pricing_public_on_demand_cost=412345678.901,
                 savings_plan_savings_plan_a_r_n=SP, savings_plan_savings_plan_effective_cost=288641975.308,
                 savings_plan_net_savings_plan_effective_cost=259777777.7772, **team("a")),
        aws_line(MONTH, "SavingsPlanNegation", -412345678.901, day=7, savings_plan_savings_plan_a_r_n=SP),
        aws_line(MONTH, "SavingsPlanRecurringFee", 3.2e8, day=1, line_item_net_unblended_cost=2.88e8,
                 line_item_resource_id="", savings_plan_savings_plan_a_r_n=SP,
                 line_item_product_code="ComputeSavingsPlans", savings_plan_total_commitment_to_date=3.2e8,
                 savings_plan_used_commitment=288641975.308, savings_plan_recurring_commitment_for_billing_period=3.2e8,
                 savings_plan_net_recurring_commitment_for_billing_period=2.88e8, **team("")),
        # Reserved Instance: covered usage (0 in the CUR), the month's fee, the upfront fee
        aws_line(MONTH, "DiscountedUsage", 0.0, day=8, pricing_public_on_demand_cost=2.6e8,
                 reservation_reservation_a_r_n=RI, reservation_effective_cost=198765432.10987,
                 line_item_usage_amount=7.2e16, **team("b")),
        aws_line(MONTH, "RIFee", 2.2e8, day=1, line_item_resource_id="", reservation_reservation_a_r_n=RI,
                 reservation_unused_recurring_fee=1.5e7,
                 reservation_unused_amortized_upfront_fee_for_billing_period=6123456.789, **team("")),
        aws_line(MONTH, "Fee", 1.2e9, day=1, line_item_resource_id="", reservation_reservation_a_r_n=RI, **team("")),
    ]
    return lines


def aws_expected(lines: list[dict]) -> dict[str, Decimal]:
    """AWS billed (net unblended), effective (net amortized, the CUR query library's rules) and list (public
    on-demand) cost."""
    billed = effective = listed = focus_list = D(0)
    for line in lines:
        kind = line["line_item_line_item_type"]
        net = exact(line.get("line_item_net_unblended_cost", line["line_item_unblended_cost"]))
        billed += net
        listed += exact(line["pricing_public_on_demand_cost"])
        # FOCUS ListCost: usage at its public on-demand cost, a credit at its net cost, the negation 0, fees,
        # tax and refunds at their unblended cost
        if kind in ("Usage", "DiscountedUsage", "SavingsPlanCoveredUsage"):
            focus_list += exact(line["pricing_public_on_demand_cost"])
        elif kind == "Credit":
            focus_list += net
        elif kind != "SavingsPlanNegation":
            focus_list += exact(line["line_item_unblended_cost"])
        if kind == "SavingsPlanCoveredUsage":
            effective += exact(line["savings_plan_net_savings_plan_effective_cost"])
        elif kind == "SavingsPlanRecurringFee":
            unused = exact(line["savings_plan_total_commitment_to_date"]) - exact(line["savings_plan_used_commitment"])
            ratio = (exact(line["savings_plan_net_recurring_commitment_for_billing_period"])
                     / exact(line["savings_plan_recurring_commitment_for_billing_period"]))
            effective += (unused * ratio).quantize(TICK, rounding=ROUND_DOWN)
        elif kind == "DiscountedUsage":
            effective += exact(line["reservation_effective_cost"])
        elif kind == "RIFee":
            effective += (exact(line["reservation_unused_recurring_fee"])
                          + exact(line["reservation_unused_amortized_upfront_fee_for_billing_period"]))
        elif kind == "SavingsPlanNegation" or (kind == "Fee" and line["reservation_reservation_a_r_n"]):
            pass
        else:
            effective += net
    return {"billed": billed, "effective": effective, "list": listed, "focus_list": focus_list}


def gcp_rows() -> list[dict]:
    rows = []
    credits = [("COMMITTED_USAGE_DISCOUNT", -123456789.012345), ("SUSTAINED_USAGE_DISCOUNT", -34567890.1234),
               ("PROMOTION", -1e-10), ("DISCOUNT", -0.000123)]
    for i in range(20):  # ~1.2e10 in the month after credits
        cost = float(D("750000000.654321") + i * D("987654.321"))
        rows.append(gcp_row(MONTH, cost, credits, day=1 + i, currency="EUR", cost_at_list=cost * 1.3,
                            usage_amount=8.64e16 + i * 1e14, usage_unit="byte-seconds",
                            currency_conversion_rate=EUR_PER_USD,
                            sku_id=f"SKU-{i}", sku_description=f"Storage {i}"))
    for i, cost in enumerate((1e-10, 2.5e-9, 4.99999999e8)):
        rows.append(gcp_row(MONTH, cost, [("FREE_TIER", -cost)] if cost < 1 else [], day=21 + i, currency="EUR",
                            usage_amount=1e17, currency_conversion_rate=EUR_PER_USD, sku_id=f"SKU-tiny-{i}"))
    rows.append(gcp_row(MONTH, -390123456.78, day=22, currency="EUR", cost_type="adjustment", sku_id="SKU-refund",
                        currency_conversion_rate=EUR_PER_USD))
    return rows


def gcp_net(row: dict) -> Decimal:
    return exact(row["cost"]) + sum(exact(c["amount"]) for c in json.loads(row["credits"]))


def gcp_expected(rows: list[dict]) -> dict[str, Decimal]:
    billed = sum(gcp_net(r) for r in rows)
    # FOCUS PricingCurrencyEffectiveCost: each row's net cost / its conversion rate, truncated at 10 decimals
    # (the rate as its text has it: it is a rate, not an amount of money, and is not cut at 10 decimals)
    in_usd = sum((gcp_net(r) / D(repr(r["currency_conversion_rate"]))).quantize(TICK, rounding=ROUND_DOWN)
                 for r in rows)
    return {"billed": billed, "effective": billed, "list": sum(exact(r["cost_at_list"]) for r in rows),
            "focus_list": sum(exact(r["cost_at_list"]) for r in rows), "pricing_currency_effective": in_usd}


def test_enterprise_magnitudes_are_exact_in_every_money_mart(data_dir):
    lines, rows = aws_lines(), gcp_rows()
    write_aws_period(data_dir, MONTH, lines)
    write_gcp_rows(data_dir, rows)
    run("aws", config=CONFIG)
    run("gcp", config=CONFIG)
    aws, gcp = aws_expected(lines), gcp_expected(rows)
    assert aws["billed"] > 10**10 and gcp["billed"] > 10**10

    expected = [("aws", "USD", aws["billed"], aws["effective"], aws["list"]),
                ("gcp", "EUR", gcp["billed"], gcp["effective"], gcp["list"])]
    assert q("SELECT provider, currency, billed_cost, effective_cost, list_cost FROM finops.monthly_cloud_costs "
             f"WHERE month = '{MONTH}' ORDER BY provider") == expected
    assert q("SELECT provider, currency, sum(billed_cost), sum(effective_cost), sum(list_cost) "
             f"FROM finops.fct_cost_daily WHERE month = '{MONTH}' GROUP BY provider, currency ORDER BY provider") \
        == expected
    focus = [("aws", "USD", aws["billed"], aws["effective"], aws["focus_list"]),
             ("gcp", "EUR", gcp["billed"], gcp["effective"], gcp["focus_list"])]
    assert q("SELECT x_Provider, BillingCurrency, sum(BilledCost), sum(EffectiveCost), sum(ListCost) FROM finops.focus "
             "GROUP BY 1, 2 ORDER BY 1") == focus
    assert q("SELECT x_Provider, BillingCurrency, sum(BilledCost), sum(EffectiveCost), sum(ListCost) "
             "FROM finops.focus_daily GROUP BY 1, 2 ORDER BY 1") == focus
    # was 13230424155.7197087853, 0.18 too much: the rate read at 10 decimals (0.9173581399)
    assert q("SELECT sum(PricingCurrencyEffectiveCost) FROM finops.focus WHERE x_Provider = 'gcp'") \
        == [(gcp["pricing_currency_effective"],)]
    # usage amounts up to 1e17 (byte-seconds) kept exactly
    assert q("SELECT x_Provider, sum(ConsumedQuantity) FROM finops.focus GROUP BY 1 ORDER BY 1") == [
        ("aws", sum(exact(line["line_item_usage_amount"]) for line in lines
                    if line["line_item_line_item_type"] in ("Usage", "DiscountedUsage", "SavingsPlanCoveredUsage"))),
        ("gcp", sum(exact(r["usage_amount"]) for r in rows if r["cost_type"] == "regular"))]
    # the tiny lines survive: 1e-10 and 3e-10 are kept, 1.2345e-7 truncates at 10 decimals
    assert q("SELECT sum(billed_cost) FROM finops.fct_cost_daily WHERE provider = 'aws' AND usage_date = '2026-09-25'") \
        == [(exact(1e-10) + exact(3e-10) + D("0.0000001234") + D("0.0000999999") + exact(123456789.123456789)
             + D(500000000),)]

    # showback: the bill, split by cost center; the tax pool shared in proportion, the shares adding up exactly
    showback = dict(q("SELECT provider, sum(total_cost) FROM finops.showback_monthly GROUP BY 1"))
    assert showback == {"aws": aws["billed"], "gcp": gcp["billed"]}

    # FX: EUR at 1.0837, the month's EUR total converted once, truncated at 10 decimals
    gcp_usd = (gcp["billed"] * D(EUR_RATE)).quantize(TICK, rounding=ROUND_DOWN)
    assert q("SELECT budget_name, actual_cost FROM finops.budget_status ORDER BY 1") == [
        ("aws", aws["billed"]), ("gcp in usd", gcp_usd)]
    assert q(f"SELECT aws_billed_cost, gcp_billed_cost, cloud_billed_cost FROM finops.unit_economics_monthly "
             f"WHERE month = '{MONTH}'") == [(aws["billed"], gcp_usd, aws["billed"] + gcp_usd)]

    # the month to date of the forecast is exact (its trend line is a Float64 estimate, not compared)
    assert q("SELECT provider, sum(cost_to_date), sum(billed_cost_to_date) FROM finops.cost_forecast "
             "GROUP BY 1 ORDER BY 1") == [("aws", aws["effective"], aws["billed"]), ("gcp", gcp["effective"], gcp["billed"])]

    # Savings Plan and RI of several hundred million: purchased, used, unused, on-demand cost covered, savings
    sp_used, sp_on_demand = exact(288641975.308), exact(412345678.901)
    ri_unused, ri_effective = exact(1.5e7) + exact(6123456.789), exact(198765432.10987)
    assert q("SELECT commitment_type, commitment_cost, used_commitment, unused_cost, fee_cost, covered_on_demand_cost, "
             "covered_effective_cost, realized_savings, net_savings FROM finops.commitment_utilization_monthly "
             "WHERE provider = 'aws' ORDER BY 1") == [
        ("Reserved Instance", D(220000000), D(220000000) - ri_unused, ri_unused, D(1420000000), D(260000000),
         ri_effective, D(260000000) - ri_effective, D(260000000) - ri_effective - ri_unused),
        ("Savings Plan", D(320000000), sp_used, D(320000000) - sp_used, D(320000000), sp_on_demand, sp_used,
         sp_on_demand - sp_used, sp_on_demand - sp_used - (D(320000000) - sp_used)),
    ]

    for target in ("aws", "gcp", "marts"):
        assert run_checks(target)["failed"] == 0, target
