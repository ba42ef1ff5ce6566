"""Google Cloud's FOCUS export (`gcp_billing_export_focus_<BILLING_ACCOUNT_ID>`) from the same sample charges as the
billing export: `focus_rows(generate_billing_rows(...))` maps every export row to the FOCUS row Google would write
for it (its columns and assumptions: include/sources/gcp_billing/focus.py), so the two exports are one bill.

Money as BigQuery NUMERIC does it: CAST(cost AS NUMERIC) + the credits' CAST(amount AS NUMERIC), 9 decimal places.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from standins.sample_data.gcp import BILLING_ACCOUNT_ID, _struct

FOCUS_TABLE = "gcp_billing_export_focus_" + BILLING_ACCOUNT_ID.replace("-", "_")
_PACIFIC = ZoneInfo("America/Los_Angeles")
_NUMERIC = Decimal("0.000000001")
_CUD = ("COMMITTED_USAGE_DISCOUNT", "COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE")


def numeric(value) -> Decimal:
    """A FLOAT64 cast to NUMERIC (9 decimal places, halves away from zero)."""
    return Decimal(repr(float(value))).quantize(_NUMERIC, rounding=ROUND_HALF_UP)


def billed_cost(row: dict) -> Decimal:
    """FOCUS BilledCost (= EffectiveCost) of a billing export row: cost + credits, as NUMERIC."""
    return numeric(row.get("cost") or 0) + sum((numeric(c["amount"]) for c in row.get("credits") or []), Decimal(0))


def focus_schema() -> list:
    """The FOCUS table's BigQuery schema (the columns include/sources/gcp_billing/focus.py reads)."""
    from google.cloud import bigquery

    F = bigquery.SchemaField

    def pairs(name: str):
        return _struct(name, [F("Key", "STRING"), F("Value", "STRING")], mode="REPEATED")

    strings = ["AvailabilityZone", "BillingAccountId", "BillingAccountType", "BillingCurrency", "ChargeCategory",
               "ChargeClass", "ChargeDescription", "ChargeFrequency", "CommitmentDiscountCategory",
               "CommitmentDiscountName", "ConsumedUnit", "PricingCategory", "PricingCurrency", "PricingUnit",
               "ProviderName", "PublisherName", "RegionId", "RegionName", "ResourceId", "ResourceName", "ServiceName",
               "SkuId", "SkuPriceId", "SubAccountId", "SubAccountName", "x_CostType", "x_Location", "x_ServiceId"]
    numerics = ["BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "ConsumedQuantity", "ContractedUnitPrice",
                "PricingQuantity", "PricingCurrencyEffectiveCost"]
    times = ["BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd", "x_ExportTime"]
    return ([F(name, "STRING") for name in strings] + [F(name, "NUMERIC") for name in numerics]
            + [F(name, "TIMESTAMP") for name in times] + [
        F("x_CurrencyConversionRate", "FLOAT"),
        _struct("x_Credits", [F("Name", "STRING"), F("Amount", "NUMERIC"), F("FullName", "STRING"), F("Id", "STRING"),
                              F("Type", "STRING")], mode="REPEATED"),
        _struct("x_Project", [F("Id", "STRING"), F("Number", "STRING"), F("Name", "STRING"),
                              F("AncestryNumbers", "STRING"),
                              _struct("Ancestors", [F("ResourceName", "STRING"), F("DisplayName", "STRING")],
                                      mode="REPEATED")]),
        pairs("x_Labels"), pairs("x_SystemLabels"), pairs("x_ProjectLabels"),
        _struct("x_Tags", [F("Key", "STRING"), F("Value", "STRING"), F("x_Inherited", "BOOLEAN"),
                           F("x_Namespace", "STRING")], mode="REPEATED"),
    ])


def _period(invoice_month: str) -> tuple[str, str]:
    """BillingPeriodStart and End of an invoice month (YYYYMM): midnight US Pacific time, as UTC ISO text."""
    year, month = int(invoice_month[:4]), int(invoice_month[4:])
    start = datetime(year, month, 1, tzinfo=_PACIFIC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=_PACIFIC)
    return (start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def _pairs(items) -> list[dict]:
    return [{"Key": item["key"], "Value": item["value"]} for item in items or []]


def _charge_category(row: dict) -> str:
    cost_type = (row.get("cost_type") or "regular").lower()
    if cost_type == "tax":
        return "Tax"
    if cost_type in ("adjustment", "rounding_error"):
        return "Adjustment"
    if ((row.get("sku") or {}).get("description") or "").startswith("Commitment"):
        return "Purchase"
    return "Usage"


def focus_row(row: dict) -> dict:
    """The FOCUS row of one billing export row (its JSON for insert_rows_json)."""
    project, location, usage = row.get("project") or {}, row.get("location") or {}, row.get("usage") or {}
    credits = row.get("credits") or []
    cud = next((c for c in credits if c.get("type") in _CUD), None)
    regular = (row.get("cost_type") or "regular") == "regular"
    cost = billed_cost(row)
    start, end = _period(row["invoice"]["month"])
    google = (row.get("transaction_type") or "GOOGLE") == "GOOGLE" or not row.get("seller_name")
    return {
        "AvailabilityZone": location.get("zone"),
        "BilledCost": str(cost),
        "BillingAccountId": row.get("billing_account_id"),
        "BillingAccountType": "Billing Account",
        "BillingCurrency": row.get("currency"),
        "BillingPeriodStart": start,
        "BillingPeriodEnd": end,
        "ChargeCategory": _charge_category(row),
        "ChargeClass": "Correction" if any((row.get("adjustment_info") or {}).values()) else None,
        "ChargeDescription": (row.get("sku") or {}).get("description"),
        "ChargeFrequency": "Usage-Based" if regular else "One-Time",
        "ChargePeriodStart": row.get("usage_start_time"),
        "ChargePeriodEnd": row.get("usage_end_time"),
        "CommitmentDiscountCategory": None if cud is None else (
            "Spend" if cud["type"] == "COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE" else "Usage"),
        "CommitmentDiscountName": None if cud is None else cud.get("full_name"),
        "ConsumedQuantity": str(numeric(usage["amount"])) if regular and usage.get("amount") is not None else None,
        "ConsumedUnit": usage.get("unit") if regular else None,
        "ContractedCost": str(numeric(row.get("cost") or 0)),
        "ContractedUnitPrice": (row.get("price") or {}).get("effective_price"),
        "EffectiveCost": str(cost),
        "ListCost": str(numeric(row["cost_at_list"] if row.get("cost_at_list") is not None else row.get("cost") or 0)),
        "PricingCategory": ("Committed" if cud is not None else "Standard") if regular else None,
        "PricingCurrency": "USD",
        "PricingQuantity": (str(numeric(usage["amount_in_pricing_units"]))
                            if regular and usage.get("amount_in_pricing_units") is not None else None),
        "PricingUnit": usage.get("pricing_unit") if regular else None,
        "ProviderName": "Google Cloud",
        "PublisherName": "Google Cloud" if google else row.get("seller_name"),
        "RegionId": location.get("region"),
        "ResourceId": (row.get("resource") or {}).get("global_name"),
        "ResourceName": (row.get("resource") or {}).get("name"),
        "ServiceName": (row.get("service") or {}).get("description"),
        "SkuId": (row.get("sku") or {}).get("id"),
        "SubAccountId": project.get("id"),
        "SubAccountName": project.get("name"),
        "x_Credits": [{"Name": c.get("name"), "Amount": str(numeric(c["amount"])), "FullName": c.get("full_name"),
                       "Id": c.get("id"), "Type": c.get("type")} for c in credits],
        "x_CostType": row.get("cost_type"),
        "x_CurrencyConversionRate": row.get("currency_conversion_rate"),
        "x_ExportTime": row.get("export_time"),
        "x_Location": location.get("location"),
        "x_Project": None if not project else {
            "Id": project.get("id"), "Number": project.get("number"), "Name": project.get("name"),
            "AncestryNumbers": project.get("ancestry_numbers"),
            "Ancestors": [{"ResourceName": a.get("resource_name"), "DisplayName": a.get("display_name")}
                          for a in project.get("ancestors") or []]},
        "x_ServiceId": (row.get("service") or {}).get("id"),
        "x_Labels": _pairs(row.get("labels")),
        "x_SystemLabels": _pairs(row.get("system_labels")),
        "x_ProjectLabels": _pairs(project.get("labels")),
        "x_Tags": [{"Key": t.get("key"), "Value": t.get("value"), "x_Inherited": t.get("inherited"),
                    "x_Namespace": t.get("namespace")} for t in row.get("tags") or []],
    }


def focus_rows(billing_rows: list[dict]) -> list[dict]:
    """The FOCUS table's rows for these billing export rows, in the same order."""
    return [focus_row(row) for row in billing_rows]


def seed_focus_table(client, dataset: str, rows: list[dict], table: str = FOCUS_TABLE, schema: list | None = None,
                     batch_size: int = 500) -> str:
    """Create `dataset` and the FOCUS `table` (if missing, day-partitioned on ingestion time) and insert `rows`;
    returns the table id. `schema`: another schema (tests of bad tables)."""
    from google.api_core.exceptions import NotFound
    from google.cloud import bigquery

    client.create_dataset(bigquery.Dataset(bigquery.DatasetReference(client.project, dataset)), exists_ok=True)
    table_id = f"{client.project}.{dataset}.{table}"
    try:
        client.get_table(table_id)
    except NotFound:
        created = bigquery.Table(table_id, schema=schema or focus_schema())
        created.time_partitioning = bigquery.TimePartitioning(type_=bigquery.TimePartitioningType.DAY)
        client.create_table(created)
    for start in range(0, len(rows), batch_size):
        batch = rows[start:start + batch_size]
        errors = client.insert_rows_json(table_id, batch, row_ids=[None] * len(batch))
        if errors:
            raise RuntimeError(f"insert into {table_id} failed: {errors[:3]}")
    return table_id


def month_totals(billing_rows: list[dict]) -> dict[str, Decimal]:
    """BilledCost (= EffectiveCost) per invoice month 'YYYY-MM', by hand from the charges."""
    totals: dict[str, Decimal] = {}
    for row in billing_rows:
        month = row["invoice"]["month"]
        key = f"{month[:4]}-{month[4:]}"
        totals[key] = totals.get(key, Decimal(0)) + billed_cost(row)
    return totals



def seed_demo_focus_table(client, dataset: str, billing_rows: list[dict]) -> str:
    """The demo's GCP bill also as Google's FOCUS table, beside its billing export in `dataset`: the same billing
    account and months, so int_cloud_cost_inputs counts the billing export (the default) and the demo's figures do
    not move. Returns the table id."""
    return seed_focus_table(client, dataset, focus_rows(billing_rows))
