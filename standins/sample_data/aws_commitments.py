"""A Savings Plan and a Reserved Instance in a generated CUR 2.0 month, each with some unused commitment.

Small and deterministic: per day one SavingsPlanRecurringFee line, the usage the plan covered that day
(SavingsPlanCoveredUsage) and its SavingsPlanNegation; one RIFee line for the month and one DiscountedUsage line a
day. The columns and line item types are those of AWS's CUR user guide (cur-sp.html, amortized-reservation.html):

* Savings Plan (Compute, No Upfront, 1 year, bought 6 months before the current month): 0.10 USD an hour committed, 2.40 a day. The fee
  line bills the day's commitment (unblended 2.40) and carries savings_plan_total_commitment_to_date 2.40 and the
  savings_plan_used_commitment of the day (80 % to 100 %, so some is unused); covered usage costs its public
  on-demand price on the bill (cancelled by the negation) and used / 0.72 at on-demand prices (a 28 % discount).
* Reserved Instance (2 x m5.large, us-east-1, Partial Upfront, 1 year, ends on the 15th of the month after next, so
  the dashboards show it expiring within 90 days): per instance-hour an
  amortized upfront 0.02 and a recurring 0.025 (on-demand 0.096). The RIFee line bills the month's recurring fee
  and carries the month's amortized upfront fee and the unused parts of both; a day uses 48 instance-hours, every
  sixth day only 30.
The terms are placed relative to today (like the demo's months, runners.demo.demo_months), so the demo always
shows both commitments active and the RI about to expire.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa

ACCOUNT = ("111111111111", "prod")
SP_ARN = "arn:aws:savingsplans::999999999999:savingsplan/5e7a1c2d-demo-compute-sp"
RI_ARN = "arn:aws:ec2:us-east-1:999999999999:reserved-instances/4b9d7e10-demo-m5-ri"
SP_DAILY_COMMITMENT = 2.4
SP_DISCOUNT_FACTOR = 0.72  # effective / on-demand price of covered usage
RI_INSTANCES, RI_UPFRONT_HOURLY, RI_RECURRING_HOURLY, M5_ON_DEMAND = 2, 0.02, 0.025, 0.096
SP_INVENTORY_KEYS = ("savings_plan_start_time", "savings_plan_end_time", "savings_plan_purchase_term",
                     "savings_plan_payment_option", "savings_plan_offering_type")
RI_INVENTORY_KEYS = ("reservation_start_time", "reservation_end_time", "pricing_lease_contract_length",
                     "pricing_purchase_option", "pricing_offering_class", "reservation_number_of_reservations")


def _month_start(day: date, months: int) -> datetime:
    index = day.year * 12 + day.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def inventory(today: date) -> tuple[dict, dict]:
    """The Savings Plan's and the RI's CUR inventory columns (savings_plan_* / reservation_*, pricing_*)."""
    iso = "%Y-%m-%dT%H:%M:%SZ"
    sp_start = _month_start(today, -6)
    ri_end = _month_start(today, 2) + timedelta(days=14)
    sp = dict(zip(SP_INVENTORY_KEYS, (sp_start.strftime(iso), sp_start.replace(year=sp_start.year + 1).strftime(iso),
                                      "1yr", "No Upfront", "ComputeSavingsPlans"), strict=True))
    ri = dict(zip(RI_INVENTORY_KEYS, (ri_end.replace(year=ri_end.year - 1).strftime(iso), ri_end.strftime(iso), "1yr",
                                      "Partial Upfront", "standard", str(RI_INSTANCES)), strict=True))
    return sp, ri


# Columns the commitment lines add to a month (CUR 2.0 types: amounts double, times and terms strings).
STRING_COLUMNS = (*SP_INVENTORY_KEYS, *RI_INVENTORY_KEYS)
FLOAT_COLUMNS = ("savings_plan_total_commitment_to_date", "savings_plan_used_commitment",
                 "savings_plan_recurring_commitment_for_billing_period",
                 "savings_plan_amortized_upfront_commitment_for_billing_period",
                 "reservation_amortized_upfront_fee_for_billing_period",
                 "reservation_unused_amortized_upfront_fee_for_billing_period", "reservation_unused_recurring_fee")


def commitment_lines(period: str, today: date | None = None) -> list[dict]:
    """The month's Savings Plan and RI line items as CUR 2.0 column -> value (money rounded to 6 decimals)."""
    sp_inventory, ri_inventory = inventory(today or date.today())
    year, month = (int(part) for part in period.split("-"))
    days = calendar.monthrange(year, month)[1]
    start = datetime(year, month, 1, tzinfo=UTC)
    end = start + timedelta(days=days)
    lines = []
    ri_used_hours = 0
    for day in range(days):
        day_start, day_end = start + timedelta(days=day), start + timedelta(days=day + 1)
        used = round(SP_DAILY_COMMITMENT * (0.8 + 0.05 * ((day * 7) % 5)), 6)
        on_demand = round(used / SP_DISCOUNT_FACTOR, 6)
        sp = {"savings_plan_savings_plan_a_r_n": SP_ARN, **sp_inventory}
        lines.append(_line(period, "SavingsPlanRecurringFee", day_start, day_end, SP_DAILY_COMMITMENT, 0.0,
                           product="ComputeSavingsPlans", usage_type="ComputeSP:1yrNoUpfront",
                           description="0.10 USD hourly fee per Compute Savings Plan (No Upfront)",
                           savings_plan_total_commitment_to_date=SP_DAILY_COMMITMENT,
                           savings_plan_used_commitment=used,
                           savings_plan_recurring_commitment_for_billing_period=round(SP_DAILY_COMMITMENT * days, 6),
                           savings_plan_amortized_upfront_commitment_for_billing_period=0.0, **sp))
        covered = dict(usage_type="USE1-BoxUsage:c6g.xlarge", region="us-east-1",
                       savings_plan_savings_plan_a_r_n=SP_ARN)
        lines.append(_line(period, "SavingsPlanCoveredUsage", day_start, day_end, on_demand, on_demand,
                           description="Compute Savings Plan covered usage", pricing_term="Savings Plan",
                           savings_plan_savings_plan_effective_cost=used, **covered))
        lines.append(_line(period, "SavingsPlanNegation", day_start, day_end, -on_demand, 0.0,
                           description="Savings Plan negation", **covered))
        hours = 30 if day % 6 == 5 else RI_INSTANCES * 24
        ri_used_hours += hours
        lines.append(_line(period, "DiscountedUsage", day_start, day_end, 0.0, round(hours * M5_ON_DEMAND, 6),
                           usage_type="USE1-BoxUsage:m5.large", region="us-east-1", pricing_term="Reserved",
                           description="USD 0.045 hourly fee per Linux/UNIX (Amazon VPC), m5.large instance",
                           usage_amount=float(hours), reservation_reservation_a_r_n=RI_ARN,
                           reservation_effective_cost=round(hours * (RI_UPFRONT_HOURLY + RI_RECURRING_HOURLY), 6)))
    reserved_hours = RI_INSTANCES * days * 24
    unused_hours = reserved_hours - ri_used_hours
    lines.append(_line(period, "RIFee", start, end, round(reserved_hours * RI_RECURRING_HOURLY, 6), 0.0,
                       usage_type="USE1-HeavyUsage:m5.large", region="us-east-1", pricing_term="Reserved",
                       description="USD 0.025 hourly fee per Linux/UNIX (Amazon VPC), m5.large reserved instance",
                       usage_amount=float(reserved_hours), reservation_reservation_a_r_n=RI_ARN,
                       reservation_amortized_upfront_fee_for_billing_period=round(reserved_hours * RI_UPFRONT_HOURLY, 6),
                       reservation_unused_amortized_upfront_fee_for_billing_period=round(unused_hours * RI_UPFRONT_HOURLY, 6),
                       reservation_unused_recurring_fee=round(unused_hours * RI_RECURRING_HOURLY, 6), **ri_inventory))
    return lines


def _line(period: str, line_type: str, start: datetime, end: datetime, cost: float, on_demand: float,
          product: str = "AmazonEC2", usage_type: str = "", region: str = "", description: str = "",
          pricing_term: str = "", usage_amount: float = 24.0, **columns) -> dict:
    return {
        "identity_line_item_id": f"commitment-{period}-{line_type}-{start:%d}",
        "identity_time_interval": f"{start:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}",
        "line_item_line_item_type": line_type, "line_item_usage_start_date": start, "line_item_usage_end_date": end,
        "line_item_usage_account_id": ACCOUNT[0], "line_item_usage_account_name": ACCOUNT[1],
        "line_item_product_code": product, "line_item_usage_type": usage_type, "product_region_code": region,
        "line_item_availability_zone": f"{region}a" if region else "", "line_item_line_item_description": description,
        "line_item_unblended_cost": cost, "line_item_net_unblended_cost": cost, "line_item_blended_cost": cost,
        "pricing_public_on_demand_cost": on_demand, "pricing_term": pricing_term, "line_item_usage_amount": usage_amount,
        "line_item_operation": "RunInstances" if product == "AmazonEC2" else "", **columns,
    }


def with_commitments(table: pa.Table, period: str, today: date | None = None) -> pa.Table:
    """`table` (a generate_cur2_month month) plus the month's commitment lines; every other column of those lines
    is copied from the month's first row (bill, payer, currency, ...) or empty (tags, maps)."""
    lines = commitment_lines(period, today)
    template = table.slice(0, 1).to_pylist()[0]
    for name in ("resource_tags", "cost_category", "product", "discount"):
        template[name] = []
    for name, value in list(template.items()):
        if isinstance(value, float) and name not in ("line_item_normalization_factor",):
            template[name] = 0.0
    template["line_item_tax_type"] = ""
    template["line_item_resource_id"] = ""
    schema = table.schema
    for name in STRING_COLUMNS:
        schema = schema.append(pa.field(name, pa.string()))
    for name in FLOAT_COLUMNS:
        if schema.get_field_index(name) < 0:
            schema = schema.append(pa.field(name, pa.float64()))
    extra = pa.Table.from_pylist([{**template, **line} for line in lines], schema=schema)
    base = table
    for field in schema:
        if base.schema.get_field_index(field.name) < 0:
            base = base.append_column(field, pa.nulls(base.num_rows, field.type))
    return pa.concat_tables([base, extra.select(base.column_names)])
