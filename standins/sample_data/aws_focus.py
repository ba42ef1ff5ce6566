"""One AWS bill, exported twice: as Data Exports CUR 2.0 and as "FOCUS 1.2 with AWS columns".

Both exports are projected from the same list of charges (on-demand usage, Savings Plan covered usage
and its recurring fee, Reserved Instance discounted usage and its RI fee, tax, a credit), following how
AWS maps CUR to FOCUS (the FOCUS spec's AWS appendix and AWS's FOCUS table dictionary):

* BilledCost is the invoiced cost, CUR's (net) unblended cost, except that usage a commitment covers is
  billed through the commitment's fee: a SavingsPlanCoveredUsage row bills 0 and its SavingsPlanNegation
  has no FOCUS row (in CUR the two cancel out); RI DiscountedUsage bills 0 in both;
* EffectiveCost is the amortized cost: covered usage costs its commitment's effective cost, the fee
  (Purchase) costs 0 and the commitment left unused is its own row (ChargeCategory Usage,
  CommitmentDiscountStatus `Unused`), which CUR keeps on the fee line (SP: total commitment to date - used
  commitment; RI: unused recurring fee).

So per month sum(BilledCost) = sum(line_item_net_unblended_cost) and sum(EffectiveCost) = the net amortized
cost, to the cent, by construction, which is what the headline test proves through loaders and SQL.
Amounts are Decimal with at most 6 decimals, written as float64 like both exports (a float's shortest text
is then the decimal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from standins.sample_data.aws import (
    ACCOUNTS,
    PAYER,
    PRODUCTS,
    REGIONS,
    Cur2Export,
    _period_bounds,
    _seed,
    write_cur2_period,
)

D = Decimal
SIX = D("0.000001")
SP_ARN = f"arn:aws:savingsplans::{PAYER[0]}:savingsplan/sp-demo-compute"
RI_ARN = f"arn:aws:ec2:us-east-1:{PAYER[0]}:reserved-instances/ri-demo-m5"
INVOICE_ISSUER = "Amazon Web Services, Inc."


@dataclass(frozen=True)
class Charge:
    """One charge of the bill. `kind`: usage, sp_usage, sp_fee, ri_usage, ri_fee, tax, credit.
    `cost`: what it costs on demand (usage), the fee billed this month (fees), the amount (tax, credit);
    `effective`: its amortized cost (covered usage); `commitment`: this month's commitment of a fee
    (billed now, or paid upfront earlier and amortized); `unused`: the part of it no usage used."""

    kind: str
    account: int
    product: int
    region: int
    start: datetime
    end: datetime
    quantity: D
    cost: D
    effective: D = D(0)
    unused: D = D(0)
    commitment: D = D(0)


def generate_charges(period: str, usage_rows: int, seed: int = 7) -> list[Charge]:
    """The charges of one month: usage over the month, part of it covered by a Savings Plan (all
    upfront, bought in an earlier month: this month bills nothing for it and amortizes its monthly
    share) and a no-upfront RI (its fee billed monthly), both with commitment left unused; tax and a credit."""
    rng = np.random.default_rng(_seed(period, seed))
    start, end = _period_bounds(period)
    hours = int((end - start).total_seconds() // 3600)
    charges: list[Charge] = []
    sp_used = ri_used = D(0)
    for _ in range(usage_rows):
        product, account = int(rng.integers(0, len(PRODUCTS))), int(rng.integers(0, len(ACCOUNTS)))
        region, hour = int(rng.integers(0, len(REGIONS))), int(rng.integers(0, hours))
        quantity = D(str(round(float(rng.gamma(2.0, 2.0)), 4)))
        cost = (quantity * D(str(PRODUCTS[product][4]))).quantize(SIX)
        at = start + timedelta(hours=hour)
        kind = "usage"
        if PRODUCTS[product][0] == "AmazonEC2" and PRODUCTS[product][3] == "Hrs":
            kind = ("usage", "sp_usage", "ri_usage")[int(rng.integers(0, 3))]
        effective = (cost * D("0.72")).quantize(SIX) if kind != "usage" else cost
        sp_used += effective if kind == "sp_usage" else 0
        ri_used += effective if kind == "ri_usage" else 0
        charges.append(Charge(kind, account, product, region, at, at + timedelta(hours=1), quantity, cost, effective))
    sp_commitment = (sp_used * D("1.15")).quantize(D("0.01"))
    ri_fee = (ri_used * D("1.1")).quantize(D("0.01"))
    usage_total = sum(c.cost for c in charges if c.kind == "usage") + ri_fee
    charges += [
        Charge("sp_fee", 0, 0, 0, start, end, D(1), D(0), D(0), sp_commitment - sp_used, sp_commitment),
        Charge("ri_fee", 0, 0, 0, start, end, D(1), ri_fee, D(0), ri_fee - ri_used, ri_fee),
        Charge("tax", 0, 0, 0, start, end, D(0), (usage_total * D("0.08")).quantize(SIX)),
        Charge("credit", 0, 0, 0, start, end, D(0), -(usage_total * D("0.02")).quantize(SIX)),
    ]
    return charges


CUR_TYPES = {"usage": "Usage", "sp_usage": "SavingsPlanCoveredUsage", "sp_fee": "SavingsPlanRecurringFee",
             "ri_usage": "DiscountedUsage", "ri_fee": "RIFee", "tax": "Tax", "credit": "Credit"}


def cur2_table(period: str, charges: list[Charge]) -> pa.Table:
    """The bill as CUR 2.0 line items: a SavingsPlanNegation line per hour, account, operation, usage type and region
    of covered usage, cancelling their on-demand cost, without resource tags (as AWS writes it)."""
    start, end = _period_bounds(period)
    rows = []
    negations: dict[tuple, dict] = {}
    for number, c in enumerate(charges):
        product = PRODUCTS[c.product] if c.kind in ("usage", "sp_usage", "ri_usage") else None
        base = {
            "bill_bill_type": "Anniversary", "bill_billing_entity": "AWS", "bill_invoicing_entity": INVOICE_ISSUER,
            "bill_billing_period_start_date": start, "bill_billing_period_end_date": end,
            "bill_invoice_id": f"INV-{period.replace('-', '')}",
            "bill_payer_account_id": PAYER[0], "bill_payer_account_name": PAYER[1],
            "identity_line_item_id": f"{number:016x}",
            "identity_time_interval": f"{c.start:%Y-%m-%dT%H:%M:%SZ}/{c.end:%Y-%m-%dT%H:%M:%SZ}",
            "line_item_usage_account_id": ACCOUNTS[c.account][0], "line_item_usage_account_name": ACCOUNTS[c.account][1],
            "line_item_line_item_type": CUR_TYPES[c.kind],
            "line_item_product_code": product[0] if product else "ComputeSavingsPlans" if c.kind == "sp_fee" else "AmazonEC2",
            "line_item_usage_type": f"USE1-{product[1]}" if product else "",
            "line_item_operation": product[2] if product else "",
            "line_item_usage_start_date": c.start, "line_item_usage_end_date": c.end,
            "line_item_usage_amount": float(c.quantity), "line_item_currency_code": "USD",
            "line_item_line_item_description": f"{CUR_TYPES[c.kind]} charge",
            "line_item_legal_entity": INVOICE_ISSUER,
            "line_item_unblended_cost": float(c.cost), "line_item_net_unblended_cost": float(c.cost),
            "pricing_public_on_demand_cost": float(c.cost) if product else 0.0,
            "pricing_term": "OnDemand" if c.kind == "usage" else "Reserved" if product else "",
            "pricing_unit": product[3] if product else "", "pricing_currency": "USD",
            "product_region_code": REGIONS[c.region] if product else "",
            "product_servicecode": product[0] if product else "",
            "reservation_reservation_a_r_n": RI_ARN if c.kind in ("ri_usage", "ri_fee") else "",
            "reservation_effective_cost": float(c.effective) if c.kind == "ri_usage" else 0.0,
            "reservation_unused_recurring_fee": float(c.unused) if c.kind == "ri_fee" else 0.0,
            "savings_plan_savings_plan_a_r_n": SP_ARN if c.kind in ("sp_usage", "sp_fee") else "",
            "savings_plan_savings_plan_effective_cost": float(c.effective) if c.kind == "sp_usage" else 0.0,
            "savings_plan_total_commitment_to_date": float(c.commitment) if c.kind == "sp_fee" else 0.0,
            "savings_plan_used_commitment": float(c.commitment - c.unused) if c.kind == "sp_fee" else 0.0,
            "savings_plan_amortized_upfront_commitment_for_billing_period":
                float(c.commitment) if c.kind == "sp_fee" else 0.0,
            "savings_plan_recurring_commitment_for_billing_period": 0.0,
            "resource_tags": [("user:team", "web")] if product else [],
        }
        if c.kind == "ri_usage":  # RI usage is billed through the RI fee
            base.update(line_item_unblended_cost=0.0, line_item_net_unblended_cost=0.0)
        rows.append(base)
        if c.kind == "sp_usage":  # cancels the covered usage's on-demand cost on the invoice
            key = (c.account, c.start, base["line_item_operation"], base["line_item_usage_type"], c.region)
            negation = negations.get(key)
            if negation is None:
                # AWS cur-sp.html: negations are "grouped at the hourly level by SavingsPlanARN, Operation, Usage Type,
                # and Availability Zone", so one may cancel several covered lines: it names no resource, has no tags
                negation = negations[key] = {
                    **base, "identity_line_item_id": f"{number:016x}n", "line_item_line_item_type": "SavingsPlanNegation",
                    "line_item_line_item_description": "SavingsPlanNegation charge", "line_item_usage_amount": D(0),
                    "line_item_unblended_cost": D(0), "line_item_net_unblended_cost": D(0),
                    "pricing_public_on_demand_cost": 0.0, "savings_plan_savings_plan_effective_cost": 0.0,
                    "resource_tags": []}
                rows.append(negation)
            negation["line_item_usage_amount"] += c.quantity
            for column in ("line_item_unblended_cost", "line_item_net_unblended_cost"):
                negation[column] -= c.cost
    for row in rows:  # a negation's sums, exact until here
        for column in ("line_item_usage_amount", "line_item_unblended_cost", "line_item_net_unblended_cost"):
            row[column] = float(row[column])
    ts = pa.timestamp("ms", tz="UTC")
    types = {name: (ts if name.endswith("_date") and not name.endswith("_to_date") else pa.map_(pa.string(), pa.string()) if name == "resource_tags"
                    else pa.float64() if isinstance(value, float) else pa.string())
             for name, value in rows[0].items()}
    return pa.Table.from_pylist(rows, schema=pa.schema(types))


FOCUS_CATEGORY = {"usage": "Usage", "sp_usage": "Usage", "ri_usage": "Usage", "sp_fee": "Purchase",
                  "ri_fee": "Purchase", "tax": "Tax", "credit": "Credit"}


def _focus_row(period: str, c: Charge, billed: D, effective: D, status: str | None) -> dict:
    start, end = _period_bounds(period)
    product = PRODUCTS[c.product] if c.kind in ("usage", "sp_usage", "ri_usage") else None
    commitment = SP_ARN if c.kind.startswith("sp") else RI_ARN if c.kind.startswith("ri") else None
    unused = status == "Unused"
    return {
        "AvailabilityZone": f"{REGIONS[c.region]}a" if product else None,
        "BilledCost": float(billed), "BillingAccountId": PAYER[0], "BillingAccountName": PAYER[1],
        "BillingAccountType": "Billing Account", "BillingCurrency": "USD",
        "BillingPeriodStart": start, "BillingPeriodEnd": end,
        "ChargeCategory": "Usage" if unused else FOCUS_CATEGORY[c.kind], "ChargeClass": None,
        "ChargeDescription": f"{CUR_TYPES[c.kind]} charge",
        "ChargeFrequency": "Usage-Based" if product or unused else "Recurring" if c.kind.endswith("fee") else "One-Time",
        "ChargePeriodStart": c.start, "ChargePeriodEnd": c.end,
        "CommitmentDiscountCategory": ("Spend" if c.kind.startswith("sp") else "Usage") if commitment else None,
        "CommitmentDiscountId": commitment if commitment and (status or c.kind.endswith("fee")) else None,
        "CommitmentDiscountStatus": status,
        "CommitmentDiscountType": ("Savings Plan" if c.kind.startswith("sp") else "Reserved Instance") if commitment else None,
        "ConsumedQuantity": float(c.quantity) if product else None, "ConsumedUnit": product[3] if product else None,
        "ContractedCost": float(billed), "EffectiveCost": float(effective),
        "InvoiceId": f"INV-{period.replace('-', '')}", "InvoiceIssuerName": INVOICE_ISSUER,
        "ListCost": float(c.cost) if product else 0.0,
        "PricingCategory": ("Standard" if c.kind == "usage" else "Committed") if product else None,
        "PricingQuantity": float(c.quantity) if product else None, "PricingUnit": product[3] if product else None,
        "ProviderName": "AWS", "PublisherName": "AWS",
        "RegionId": REGIONS[c.region] if product else None,
        "ResourceId": None, "ServiceCategory": "Compute" if product and product[0] == "AmazonEC2" else "Other",
        "ServiceName": product[0] if product else "AmazonEC2",
        "SubAccountId": ACCOUNTS[c.account][0], "SubAccountName": ACCOUNTS[c.account][1],
        "SubAccountType": "Account",
        "Tags": [("user:team", "web")] if product else [],
        "x_Discounts": [],
        "x_Operation": product[2] if product else "", "x_ServiceCode": product[0] if product else "",
        "x_UsageType": f"USE1-{product[1]}" if product else "",
    }


def focus_table(period: str, charges: list[Charge]) -> pa.Table:
    """The bill as FOCUS 1.2 with AWS columns (a subset of the 57 + 3 columns: those this bill fills)."""
    rows = []
    for c in charges:
        if c.kind in ("sp_usage", "ri_usage"):
            rows.append(_focus_row(period, c, D(0), c.effective, "Used"))
        elif c.kind in ("sp_fee", "ri_fee"):
            rows.append(_focus_row(period, c, c.cost, D(0), None))
            rows.append(_focus_row(period, c, D(0), c.unused, "Unused"))
        else:
            rows.append(_focus_row(period, c, c.cost, c.cost, None))
    ts = pa.timestamp("ms", tz="UTC")
    text_map = pa.map_(pa.string(), pa.string())
    floats = {"BilledCost", "ContractedCost", "EffectiveCost", "ListCost", "ConsumedQuantity", "PricingQuantity"}
    types = {name: (ts if name.startswith(("BillingPeriod", "ChargePeriod")) else text_map if name in ("Tags", "x_Discounts")
                    else pa.float64() if name in floats else pa.string()) for name in rows[0]}
    return pa.Table.from_pylist(rows, schema=pa.schema(types))


def bill_totals(charges: list[Charge]) -> dict[str, D]:
    """The bill's figures by hand from the charges: billed (invoiced) and effective (amortized) cost."""
    billed = sum((c.cost for c in charges if c.kind not in ("sp_usage", "ri_usage")), D(0))
    effective = sum((c.effective if c.kind in ("sp_usage", "ri_usage") else c.unused if c.kind.endswith("fee")
                     else c.cost for c in charges), D(0))
    return {"billed": billed, "effective": effective}


# ------------------------------------------------------------------------- the demo's bill as FOCUS
DEMO_FOCUS_EXPORT = "finops-demo-focus"
PLAIN_LINES = ("Usage", "Tax", "Credit")  # lines whose FOCUS ChargeCategory has the CUR type's name
COVERED_USAGE = {"SavingsPlanCoveredUsage": ("savings_plan_savings_plan_a_r_n", "savings_plan_savings_plan_effective_cost",
                                             "Savings Plan"),
                 "DiscountedUsage": ("reservation_reservation_a_r_n", "reservation_effective_cost", "Reservation")}
COMMITMENT_FEES = {"SavingsPlanRecurringFee": ("savings_plan_savings_plan_a_r_n", "Savings Plan"),
                   "RIFee": ("reservation_reservation_a_r_n", "Reservation")}
HANDLED_LINES = {*PLAIN_LINES, *COVERED_USAGE, *COMMITMENT_FEES, "SavingsPlanNegation"}


def _column(table: pa.Table, name: str, kind: pa.DataType | None = None):
    """A CUR column, or zeros / empty text when the month has no such column (no commitments)."""
    kind = kind or pa.float64()
    if table.schema.get_field_index(name) >= 0:
        return pc.fill_null(table[name], 0.0 if kind == pa.float64() else "")
    return pa.repeat(pa.scalar(0.0 if kind == pa.float64() else "", kind), table.num_rows)


def _unused_fee(table: pa.Table, line_type: str):
    """The unused part of a commitment fee line, as the CUR states it: a Savings Plan's commitment of the period
    minus what it covered; an RI's unused amortized upfront fee plus its unused recurring fee."""
    if line_type == "SavingsPlanRecurringFee":
        return pc.subtract(_column(table, "savings_plan_total_commitment_to_date"),
                           _column(table, "savings_plan_used_commitment"))
    return pc.add(_column(table, "reservation_unused_amortized_upfront_fee_for_billing_period"),
                  _column(table, "reservation_unused_recurring_fee"))


def _focus_rows(table: pa.Table, category: str, billed, effective, commitment: tuple[str, str, str] | None = None) -> pa.Table:
    """FOCUS 1.2 rows of CUR lines of one kind: the CUR's columns under FOCUS names, with the given category,
    BilledCost and EffectiveCost, and (commitment lines) the commitment's id, type and status."""
    rows = table.num_rows
    usage = category == "Usage"
    region = table["product_region_code"]
    text = pa.string()

    def blank_to_null(column):
        return pc.if_else(pc.equal(column, ""), pa.scalar(None, text), column)

    def constant(value, kind=text):
        return pa.repeat(pa.scalar(value, kind), rows)

    commitment_id, commitment_type, status = commitment or (None, None, None)
    return pa.table({
        "BilledCost": billed,
        "BillingAccountId": table["bill_payer_account_id"],
        "BillingAccountName": table["bill_payer_account_name"],
        "BillingAccountType": constant("Billing Account"),
        "BillingCurrency": table["line_item_currency_code"],
        "BillingPeriodStart": table["bill_billing_period_start_date"],
        "BillingPeriodEnd": table["bill_billing_period_end_date"],
        "ChargeCategory": constant(category),
        "ChargeDescription": table["line_item_line_item_description"],
        "ChargeFrequency": constant("Usage-Based" if usage else "Recurring" if category == "Purchase" else "One-Time"),
        "ChargePeriodStart": table["line_item_usage_start_date"],
        "ChargePeriodEnd": table["line_item_usage_end_date"],
        "CommitmentDiscountId": blank_to_null(_column(table, commitment_id, text)) if commitment_id else constant(None),
        "CommitmentDiscountStatus": constant(status),
        "CommitmentDiscountType": constant(commitment_type),
        "ConsumedQuantity": table["line_item_usage_amount"] if usage else constant(None, pa.float64()),
        "ConsumedUnit": table["pricing_unit"] if usage else constant(None),
        "ContractedCost": table["pricing_public_on_demand_cost"] if status == "Used" else billed,
        "EffectiveCost": effective,
        "InvoiceId": table["bill_invoice_id"],
        "InvoiceIssuerName": table["bill_invoicing_entity"],
        "ListCost": table["pricing_public_on_demand_cost"],
        "PricingCategory": constant("Committed" if status == "Used" else "Standard" if usage else None),
        "ProviderName": constant("AWS"),
        "PublisherName": constant("AWS"),
        "RegionId": blank_to_null(region),
        "ResourceId": blank_to_null(table["line_item_resource_id"]),
        "ServiceName": table["line_item_product_code"],
        "SubAccountId": table["line_item_usage_account_id"],
        "SubAccountName": table["line_item_usage_account_name"],
        "SubAccountType": constant("Account"),
        "Tags": table["resource_tags"],
        "x_Operation": table["line_item_operation"],
        "x_ServiceCode": table["product_servicecode"],
        "x_UsageType": table["line_item_usage_type"],
    })


def focus_from_cur2(table: pa.Table) -> pa.Table:
    """The FOCUS 1.2 export of a CUR 2.0 month, column-wise, as AWS maps its bill (the FOCUS appendix's commitment
    scenarios): Usage, Tax and Credit lines bill and cost their net unblended cost; covered usage bills 0 and costs
    its commitment's effective cost (status Used); a commitment fee is a Purchase row billing the fee (effective
    0) plus, when part of it went unused, a Usage row with that part as EffectiveCost (status Unused); the Savings
    Plan negation line has no row. So BilledCost adds up to the CUR's net unblended and EffectiveCost to its net
    amortized cost."""
    types = set(table["line_item_line_item_type"].to_pylist())
    if not types <= HANDLED_LINES:
        raise ValueError(f"focus_from_cur2 cannot project CUR line types {sorted(types - HANDLED_LINES)}")
    line_type = table["line_item_line_item_type"]
    parts = []
    for name in PLAIN_LINES:
        lines = table.filter(pc.equal(line_type, name))
        net = lines["line_item_net_unblended_cost"]
        parts.append(_focus_rows(lines, name, net, net))
    for name, (arn, effective, kind) in COVERED_USAGE.items():
        lines = table.filter(pc.equal(line_type, name))
        zero = pa.repeat(pa.scalar(0.0), lines.num_rows)
        parts.append(_focus_rows(lines, "Usage", zero, _column(lines, effective), (arn, kind, "Used")))
    for name, (arn, kind) in COMMITMENT_FEES.items():
        lines = table.filter(pc.equal(line_type, name))
        zero = pa.repeat(pa.scalar(0.0), lines.num_rows)
        parts.append(_focus_rows(lines, "Purchase", lines["line_item_net_unblended_cost"], zero, (arn, kind, None)))
        unused_lines = lines.filter(pc.greater(_unused_fee(lines, name), 0.0))
        zero = pa.repeat(pa.scalar(0.0), unused_lines.num_rows)
        parts.append(_focus_rows(unused_lines, "Usage", zero, _unused_fee(unused_lines, name), (arn, kind, "Unused")))
    return pa.concat_tables(parts)


def deliver_demo_focus_export(s3_client, bucket: str, prefix: str, cur_months: dict[str, pa.Table]) -> str:
    """The demo's AWS bill also exported as FOCUS 1.2 (its newest month): the same payer and month as the CUR, so
    int_cloud_cost_inputs counts the CUR (the default) and the demo's figures do not move."""
    period = max(cur_months)
    write_cur2_period(s3_client, Cur2Export(bucket, prefix, DEMO_FOCUS_EXPORT), period, focus_from_cur2(cur_months[period]))
    return f"FOCUS 1.2 export in s3://{bucket}/{prefix}/{DEMO_FOCUS_EXPORT}/ (billing period {period})"
