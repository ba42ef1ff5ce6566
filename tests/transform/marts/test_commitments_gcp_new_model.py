"""GCP spend-based CUDs in Google's new data model (cloud.google.com/docs/cuds-multiprice-datamodel; every affected
spend-based CUD since 2026-01-21): covered usage is billed at the CUD price under a CUD consumption model, with
cost_at_effective_price_default its cost without the CUD; the commitment is a fee SKU at $1/hour under the Default
model, offset by FEE_UTILIZATION_OFFSET credits as far as it is used. The rows are Google's own worked example (the
datamodel page, a 1-year Compute flexible CUD on an E2-standard-8 VM in us-central1), one hour each:

  day 1, over-utilized, $0.1/h on demand = $0.072/h fee: fees 0.046868 + 0.025132, both offset; covered RAM 0.046868
  (0.065095 at the Default model) and cores 0.025132 (0.034905); uncovered RAM 0.109398 and cores 0.058648.
  day 2, under-utilized, $0.3/h = $0.216/h fee: an unused fee row 0.022994 without offset, fees 0.125637 and 0.067369
  offset by -0.1256348 and -0.0673581; covered RAM 0.125637 (8 GiB-h at 0.02181159 = 0.17449272 by default) and
  cores 0.067369 (32 h at 0.00292353 = 0.09355296).

Google's KPIs ("Sample KPI queries using the new data model"): utilization = |offsets| / fees; commitment savings =
fees + offsets + sum(cost - cost_at_effective_price_default) of the covered usage (negative when saving).
"""

import json
from datetime import UTC, datetime
from decimal import Decimal

from tests.helpers.transform import q, run
from tests.transform import raw

D = Decimal
ACCOUNT = "01A2B3-C4D5E6-F7A8B9"
POOL = f"gcp-cud/{ACCOUNT}/spend-based"
SUBSCRIPTION = "subscriptions/769c55ea-c50f-4258-bcf5-04b6688fa5fa"
FEE_SKU = ("5515-81A8-03A2", "Compute Flexible Committed Use Discounts - 1 Year")
RAM = ("CF4E-A0C7-E3BF", "E2 Instance Ram running in Americas")
CORE = ("DE9E-AFBC-A15A", "E2 Instance Core running in Americas")
DEFAULT = {"consumption_model_id": "7754-699E-0EBF", "consumption_model_description": "Default"}
FLEX = {"consumption_model_id": "D97B-0795-975B", "consumption_model_description": "Compute Flexible CUDs 1 Year"}


def row(key: str, day: int, sku: tuple, cost: float, model: dict, subscription: str | None = SUBSCRIPTION,
        offset: float | None = None, at_default: float | None = None) -> dict:
    credits = [("FEE_UTILIZATION_OFFSET", offset)] if offset is not None else []
    return raw.gcp_row("2026-09", cost, credits, day=day, row_key=key, sku_id=sku[0], sku_description=sku[1],
                       subscription_instance_id=subscription, cost_at_effective_price_default=at_default or cost,
                       export_type="detailed", **model)


GOOGLE_EXAMPLE = [
    row("d1-fee-ram", 1, FEE_SKU, 0.046868, DEFAULT, offset=-0.046868),
    row("d1-fee-core", 1, FEE_SKU, 0.025132, DEFAULT, offset=-0.025132),
    row("d1-ram-on-demand", 1, RAM, 0.109398, DEFAULT, subscription=None),
    row("d1-core-on-demand", 1, CORE, 0.058648, DEFAULT, subscription=None),
    row("d1-ram-covered", 1, RAM, 0.046868, FLEX, at_default=0.065095),
    row("d1-core-covered", 1, CORE, 0.025132, FLEX, at_default=0.034905),
    row("d2-fee-unused", 2, FEE_SKU, 0.022994, DEFAULT),
    row("d2-fee-ram", 2, FEE_SKU, 0.125637, DEFAULT, offset=-0.1256348),
    row("d2-fee-core", 2, FEE_SKU, 0.067369, DEFAULT, offset=-0.0673581),
    row("d2-ram-covered", 2, RAM, 0.125637, FLEX, at_default=0.17449272),
    row("d2-core-covered", 2, CORE, 0.067369, FLEX, at_default=0.09355296),
]


def daily() -> dict:
    return {str(r[0]): tuple(r[1:]) for r in q(
        "SELECT usage_date, commitment_cost, used_commitment, unused_cost, round(utilization, 6), fee_cost, "
        "covered_on_demand_cost, covered_effective_cost, realized_savings FROM finops.commitment_utilization_daily "
        f"WHERE provider = 'gcp' AND commitment_id = '{POOL}'")}


def test_new_model_cud_utilization_and_savings_are_googles_kpis(data_dir):
    raw.write_gcp_rows(data_dir, GOOGLE_EXAMPLE)
    run("gcp")
    day1, day2 = daily()["2026-09-01"], daily()["2026-09-02"]
    # purchased, used, unused, utilization, fees as billed (net of offsets), covered on demand, effective, savings
    assert day1 == (D("0.072"), D("0.072"), D(0), 1.0, D(0), D("0.1"), D("0.072"), D("0.028"))
    assert day2 == (D("0.216"), D("0.1929929"), D("0.0230071"), round(0.1929929 / 0.216, 6), D("0.0230071"),
                    D("0.26804568"), D("0.2160131"), D("0.05203258"))
    # Google's commitment savings of day 2: fees + offsets + sum(cost - cost at the Default model), negative
    assert -(D("0.216") - D("0.1929929") + (D("0.193006") - D("0.26804568"))) == day2[-1]
    month = q("SELECT commitment_cost, used_commitment, unused_cost, realized_savings, net_savings "
              f"FROM finops.commitment_utilization_monthly WHERE commitment_id = '{POOL}'")
    assert month == [(D("0.288"), D("0.2649929"), D("0.0230071"), D("0.08003258"), D("0.08003258"))]


def test_new_model_fees_are_purchases_and_covered_usage_is_committed_in_focus(data_dir):
    raw.write_gcp_rows(data_dir, GOOGLE_EXAMPLE)
    run("gcp")
    purchases = q("SELECT CommitmentDiscountId, CommitmentDiscountCategory, CommitmentDiscountStatus, count(), "
                  "sum(BilledCost), sum(EffectiveCost) FROM finops.focus WHERE ChargeCategory = 'Purchase' "
                  "GROUP BY 1, 2, 3")
    # the fees net of their offsets (the unused part), of the CUD's subscription; a Purchase has no status
    assert purchases == [(SUBSCRIPTION, "Spend", None, 5, D("0.0230071"), D("0.0230071"))]
    covered = q("SELECT CommitmentDiscountId, CommitmentDiscountCategory, CommitmentDiscountStatus, PricingCategory, "
                "sum(ContractedCost), sum(EffectiveCost) FROM finops.focus WHERE CommitmentDiscountStatus = 'Used' "
                "GROUP BY 1, 2, 3, 4")
    assert covered == [(SUBSCRIPTION, "Spend", "Used", "Committed", D("0.36804568"), D("0.265006"))]
    on_demand = q("SELECT count(), any(PricingCategory) FROM finops.focus WHERE ChargeCategory = 'Usage' "
                  "AND CommitmentDiscountId IS NULL")
    assert on_demand == [(2, "Standard")]


def test_new_model_covered_usage_counts_as_covered_at_its_default_price(data_dir):
    raw.write_gcp_rows(data_dir, GOOGLE_EXAMPLE)
    run("gcp")
    coverage = q("SELECT sum(covered_on_demand_cost), sum(on_demand_cost) FROM finops.commitment_coverage_monthly "
                 "WHERE provider = 'gcp'")
    # covered: 0.1 (day 1) + 0.26804568 (day 2); on demand: the uncovered RAM and cores of day 1; fees are neither
    assert coverage == [(D("0.36804568"), D("0.168046"))]


def test_a_subscription_that_is_no_cud_is_not_a_commitment_fee(data_dir):
    """A Default-model row with a subscription id (a product bought as a subscription) is a fee only when the month's
    rows show the subscription to be a CUD; a fee row of a CUD shown so, without an offset (unused), is one."""
    raw.write_gcp_rows(data_dir, [
        row("apigee", 1, ("A1B2-C3D4-E5F6", "Apigee Subscription Standard"), 100.0, DEFAULT,
            subscription="subscriptions/apigee-1"),
        *GOOGLE_EXAMPLE,
    ])
    run("gcp")
    fees = dict(q("SELECT row_key, is_commitment_fee FROM finops.int_gcp__cost_line_items "
                  "WHERE row_key IN ('apigee', 'd2-fee-unused', 'd1-fee-ram', 'd1-ram-covered')"))
    assert fees == {"apigee": 0, "d2-fee-unused": 1, "d1-fee-ram": 1, "d1-ram-covered": 0}
    assert q("SELECT ChargeCategory FROM finops.focus WHERE ChargeDescription = 'Apigee Subscription Standard'") == [
        ("Usage",)]


def _focus_row(export_row: dict) -> dict:
    """The billing export row as Google's FOCUS export has it: BilledCost = EffectiveCost = cost + credits,
    ContractedCost = cost, the detailed export's new fields as x_ columns, ChargeCategory Usage (Google's FOCUS
    export is said not to write Purchase)."""
    cost = D(str(export_row["cost"]))
    credits = json.loads(export_row["credits"])
    billed = cost + sum(D(str(c["amount"])) for c in credits)
    start = export_row["usage_start_time"]
    return {"row_key": export_row["row_key"], "invoice_month": "202609", "BillingAccountId": ACCOUNT,
            "BillingCurrency": "USD", "BillingPeriodStart": datetime(2026, 9, 1, tzinfo=UTC),
            "BillingPeriodEnd": datetime(2026, 10, 1, tzinfo=UTC), "ChargePeriodStart": start,
            "ChargePeriodEnd": export_row["usage_end_time"], "ChargeCategory": "Usage",
            "ChargeDescription": export_row["sku_description"], "ServiceName": "Compute Engine",
            "RegionId": "us-central1", "SubAccountId": "shop-prod", "BilledCost": billed, "ContractedCost": cost,
            "EffectiveCost": billed, "ListCost": cost, "x_ExportTime": export_row["export_time"], "x_CostType": "regular",
            "x_Credits": json.dumps([{"Amount": str(c["amount"]), "Type": c["type"], "Name": c["name"]} for c in credits]),
            "x_ConsumptionModelId": export_row["consumption_model_id"],
            "x_ConsumptionModelDescription": export_row["consumption_model_description"],
            "x_SubscriptionInstanceId": export_row["subscription_instance_id"],
            "x_CostAtEffectivePriceDefault": D(str(export_row["cost_at_effective_price_default"]))}


def test_googles_focus_export_gives_the_new_model_pools_and_coverage_the_billing_export_gives(data_dir):
    raw.write_gcp_rows(data_dir, GOOGLE_EXAMPLE)
    run("gcp")
    by_billing_export = daily(), q("SELECT covered_on_demand_cost, on_demand_cost FROM finops.commitment_coverage_monthly "
                                   "WHERE provider = 'gcp'")
    raw.write_gcp_focus_rows(data_dir, [_focus_row(r) for r in GOOGLE_EXAMPLE])
    run("gcp", config={"cost_inputs": {"gcp": "focus_export"}})  # the same bill, read from the FOCUS table
    assert q("SELECT DISTINCT input FROM finops.int_cloud_cost_inputs WHERE counted") == [("focus_export",)]
    assert daily() == by_billing_export[0]
    assert q("SELECT covered_on_demand_cost, on_demand_cost FROM finops.commitment_coverage_monthly "
             "WHERE provider = 'gcp'") == by_billing_export[1]
