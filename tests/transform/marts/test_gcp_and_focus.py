"""GCP net cost with several credit types, and the FOCUS 1.2 view (finops.focus_1_2) over AWS and GCP."""

import csv
import json
from decimal import Decimal
from pathlib import Path

from tests.helpers.focus_columns import assert_spec_columns
from tests.helpers.transform import one, q, run
from tests.transform.raw import aws_line, gcp_row, write_aws_period, write_gcp_rows

D = Decimal
FOCUS_COLUMNS = Path(__file__).with_name("focus-1.2-columns.csv")


def gcp_month(data_dir):
    rows = [
        gcp_row("2026-09", 10.0, [("SUSTAINED_USAGE_DISCOUNT", -1.0), ("COMMITTED_USAGE_DISCOUNT", -2.5)], day=2),
        gcp_row("2026-09", 5.0, [("PROMOTION", -0.4), ("FREE_TIER", -0.1), ("SUSTAINED_USAGE_DISCOUNT", -0.05)],
                day=3, labels=json.dumps({"team": "search"}), service_description="BigQuery"),
        gcp_row("2026-09", 1.0, day=1, cost_type="tax", service_description="Invoice", sku_description="Tax"),
        gcp_row("2026-09", -0.3, day=4, cost_type="adjustment"),
        # usage of August billed in September's invoice: late usage, not a correction
        gcp_row("2026-09", 0.7, [("DISCOUNT", -0.07)], day=-2),
    ]
    write_gcp_rows(data_dir, rows)
    write_gcp_rows(data_dir, rows[:2])  # an export batch appended again: same row_key, counted once
    write_gcp_rows(data_dir, [gcp_row("2026-09", 99.0)], completed=False)  # a load that never completed
    return rows


def test_gcp_net_cost_is_cost_plus_credits_summed_by_type(data_dir):
    gcp_month(data_dir)
    run("gcp")
    cost, credits, net, lines = q("SELECT sum(cost), sum(credits), sum(net_cost), sum(line_items) "
                                  "FROM finops.int_gcp__cost_daily")[0]
    assert (cost, credits, net, lines) == (D("16.4"), D("-4.12"), D("12.28"), 5)
    by_type = dict(q("SELECT k, sum(v) FROM finops.int_gcp__cost_line_items ARRAY JOIN mapKeys(credits_by_type) AS k, "
                     "mapValues(credits_by_type) AS v GROUP BY k"))
    assert by_type == {"SUSTAINED_USAGE_DISCOUNT": D("-1.05"), "COMMITTED_USAGE_DISCOUNT": D("-2.5"),
                       "PROMOTION": D("-0.4"), "FREE_TIER": D("-0.1"), "DISCOUNT": D("-0.07")}
    assert one("SELECT sumMap(credits_by_type)['FREE_TIER'] FROM finops.int_gcp__cost_daily") == D("-0.1")
    assert one("SELECT gcp_billed_cost FROM finops.monthly_margin WHERE month = '2026-09'") == D("12.28")
    # labels: the resource label wins over the project label; keys not set read ''
    assert dict(q("SELECT tag_value, sum(net_cost) FROM finops.int_gcp__cost_daily_by_tag WHERE tag_key = 'team' "
                  "GROUP BY tag_value")) == {"checkout": D("7.83"), "search": D("4.45")}
    assert dict(q("SELECT tag_team, count() FROM finops.int_gcp__cost_line_items_tagged GROUP BY 1")) == {"checkout": 4, "search": 1}

    focus = q("SELECT ChargeCategory, ChargeClass, BilledCost, EffectiveCost, ContractedCost, CommitmentDiscountType, "
              "PricingCategory, x_Credits FROM finops.focus ORDER BY ChargePeriodStart")
    assert focus == [
        # (the old expectation called this late usage a Correction: only corrections are)
        ("Usage", None, D("0.63"), D("0.63"), D("0.7"), None, "Standard", D("-0.07")),
        ("Tax", None, D("1"), D("1"), D("1"), None, None, D("0")),
        ("Usage", None, D("6.5"), D("6.5"), D("10"), "Committed Use Discount", "Committed", D("-3.5")),
        ("Usage", None, D("4.45"), D("4.45"), D("5"), None, "Standard", D("-0.55")),
        ("Adjustment", None, D("-0.3"), D("-0.3"), D("-0.3"), None, None, D("0")),
    ]


def test_gcp_pricing_currency_cost_divides_by_the_rate_as_written(data_dir):
    """PricingCurrencyEffectiveCost = net cost / currency_conversion_rate, the rate exactly as the export wrote it:
    0.57 as a Decimal of its Float64 is 0.5699999999..., 0.92 USD off on three rows of a billion GBP."""
    from decimal import ROUND_DOWN

    write_gcp_rows(data_dir, [gcp_row("2026-03", 999999999.99, currency="GBP", currency_conversion_rate=0.57, day=day)
                              for day in (1, 2, 3)])
    run("gcp")
    per_row = (D("999999999.99") / D("0.57")).quantize(D("1e-10"), rounding=ROUND_DOWN)
    assert one("SELECT sum(PricingCurrencyEffectiveCost) FROM finops.focus") == 3 * per_row  # 5263157894.68...


def focus_spec() -> list[dict]:
    with FOCUS_COLUMNS.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_focus_1_2_view_has_every_1_2_column_with_spec_types_and_allowed_values(data_dir):
    """finops.focus_1_2, the 1.2 shape of finops.focus for tools and the validator; 1.4: test_focus_1_4.py."""
    write_aws_period(data_dir, "2026-09", [
        aws_line("2026-09", "Usage", 1.25),
        aws_line("2026-09", "SavingsPlanCoveredUsage", 2.0, savings_plan_savings_plan_a_r_n="arn:sp",
                 savings_plan_savings_plan_effective_cost=1.5),
        aws_line("2026-09", "Tax", 0.2, line_item_product_code="AWSSupportBusiness"),
        aws_line("2026-09", "Credit", -0.5, line_item_product_code="UnknownNewService", product="{}"),
    ])
    gcp_month(data_dir)
    run("aws")
    run("gcp")

    spec = focus_spec()
    assert len(spec) == 57
    assert_spec_columns("focus_1_2", spec)
    assert {v for (v,) in q("SELECT DISTINCT ProviderName FROM finops.focus_1_2")} == {"AWS", "Google Cloud"}
    assert {v for (v,) in q("SELECT DISTINCT PublisherName FROM finops.focus_1_2")} == {"AWS", "Google Cloud"}
    assert one("SELECT ServiceCategory FROM finops.focus_1_2 WHERE ServiceName = 'UnknownNewService'") == "Other"
    assert json.loads(one("SELECT Tags FROM finops.focus_1_2 WHERE ProviderName = 'AWS' LIMIT 1")) == {"user:team": "web"}
    # the same rows and money as finops.focus
    totals = "SELECT x_Provider, count(), sum(BilledCost), sum(EffectiveCost), sum(ListCost), sum(ContractedCost) FROM finops.{} GROUP BY 1 ORDER BY 1"
    assert q(totals.format("focus_1_2")) == q(totals.format("focus"))


def test_service_category_seed_uses_focus_values():
    spec = {c["column_id"]: c for c in focus_spec()}
    categories = set(spec["ServiceCategory"]["allowed_values"].split(";"))
    subcategories = set(spec["ServiceSubcategory"]["allowed_values"].split(";"))
    seed = Path(__file__).resolve().parents[3] / "include" / "sql" / "seeds" / "service_categories.csv"
    with seed.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    for row in rows:
        assert row["service_category"] in categories, row
        assert row["service_subcategory"] in subcategories, row
        if row["service_subcategory"].startswith("Other ("):
            assert row["service_subcategory"] == f"Other ({row['service_category']})", row


def test_gcp_billing_period_is_pacific_time_and_only_corrections_are_corrections(data_dir):
    from datetime import UTC, datetime

    rows = [
        # 2026-09-01 03:00 UTC is still August 31 in Pacific time: usage of August in September's invoice
        gcp_row("2026-09", 1.0, usage_start_time=datetime(2026, 9, 1, 3, tzinfo=UTC)),
        # a correction of August's invoice, posted in September
        gcp_row("2026-09", -0.4, cost_type="adjustment", usage_start_time=datetime(2026, 8, 20, tzinfo=UTC)),
        gcp_row("2026-09", 2.0, day=5),
    ]
    write_gcp_rows(data_dir, rows)
    run("gcp")
    periods = q("SELECT DISTINCT BillingPeriodStart, BillingPeriodEnd FROM finops.focus")
    assert [(str(a), str(b)) for a, b in periods] == [("2026-09-01 07:00:00", "2026-10-01 07:00:00")]
    assert sorted(q("SELECT x_ChargeType, ChargeClass, BilledCost FROM finops.focus"), key=str) == sorted(
        [("regular", None, D("1")), ("adjustment", "Correction", D("-0.4")), ("regular", None, D("2"))], key=str)


def test_a_gcp_correction_without_cost_type_adjustment_is_a_correction(data_dir):
    """Google corrects usage of a closed invoice month with rows whose adjustment_info says so (type
    USAGE_CORRECTION, mode COMPLETE_NEGATION_WITH_REMONETIZATION: the negation and the re-priced usage), and these
    need not have cost_type 'adjustment'. Usage reported late (no adjustment_info) is not a correction."""
    from datetime import UTC, datetime

    august = datetime(2026, 8, 20, tzinfo=UTC)
    correction = {"adjustment_info_id": "adj-1", "adjustment_info_type": "USAGE_CORRECTION",
                  "adjustment_info_mode": "COMPLETE_NEGATION_WITH_REMONETIZATION",
                  "adjustment_info_description": "Usage correction"}
    rows = [
        gcp_row("2026-09", -10.0, usage_start_time=august, usage_amount=-3600.0, usage_amount_in_pricing_units=-1.0,
                **correction),
        gcp_row("2026-09", 5.0, usage_start_time=august, **correction),
        # late usage of August billed in September: not a correction
        gcp_row("2026-09", 1.0, usage_start_time=datetime(2026, 8, 31, 20, tzinfo=UTC)),
        gcp_row("2026-09", 2.0, day=5),
    ]
    write_gcp_rows(data_dir, rows)
    run("gcp")
    assert sorted(q("SELECT ChargeCategory, ChargeClass, BilledCost FROM finops.focus"), key=str) == sorted(
        [("Usage", "Correction", D("-10")), ("Usage", "Correction", D("5")), ("Usage", None, D("1")),
         ("Usage", None, D("2"))], key=str)
