"""Small raw datasets in the layout dlt writes on the `filesystem` destination, for the SQL tests.

    <data>/raw/<dataset>/<table>/[<partition>/]<load_id>.<file_id>.parquet
    <data>/raw/<dataset>/_dlt_loads/<schema>__<load_id>.jsonl    (one {"load_id", "status": 0, ...} line)

Columns follow the raw contracts (include/sql/staging/gcp/README-contract.md, include/sql/staging/stripe/README-contract.md,
the CUR 2.0 source): JSON columns are strings, timestamps UTC, money Float64 (Stripe: integer minor units).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

_load_counter = itertools.count(1)

AWS_STRING = [
    "bill_invoice_id", "bill_billing_entity", "bill_invoicing_entity", "bill_payer_account_id",
    "bill_payer_account_name", "identity_line_item_id", "identity_time_interval", "line_item_line_item_type",
    "line_item_usage_account_id", "line_item_usage_account_name", "line_item_product_code", "line_item_usage_type",
    "line_item_operation", "line_item_resource_id", "line_item_line_item_description", "line_item_currency_code",
    "line_item_legal_entity", "pricing_term", "pricing_unit", "pricing_currency", "product_region_code",
    "line_item_availability_zone", "resource_tags", "cost_category", "product", "reservation_reservation_a_r_n",
    "savings_plan_savings_plan_a_r_n", "billing_period", "source_file",
]
AWS_FLOAT = [
    "line_item_usage_amount", "line_item_unblended_rate", "line_item_unblended_cost", "line_item_net_unblended_cost",
    "pricing_public_on_demand_cost", "pricing_public_on_demand_rate", "reservation_effective_cost",
    "reservation_net_effective_cost", "reservation_unused_amortized_upfront_fee_for_billing_period",
    "reservation_unused_recurring_fee", "reservation_net_unused_amortized_upfront_fee_for_billing_period",
    "reservation_net_unused_recurring_fee", "savings_plan_savings_plan_effective_cost",
    "savings_plan_net_savings_plan_effective_cost", "savings_plan_total_commitment_to_date",
    "savings_plan_used_commitment", "savings_plan_recurring_commitment_for_billing_period",
    "savings_plan_net_recurring_commitment_for_billing_period",
    "savings_plan_amortized_upfront_commitment_for_billing_period",
    "savings_plan_net_amortized_upfront_commitment_for_billing_period",
]
# CUR 2.0 split cost allocation data columns: written only when a row of the period has one (optional in the CUR)
AWS_SPLIT = {"split_line_item_parent_resource_id": pa.string(), **{
    f"split_line_item_{name}": pa.float64() for name in (
        "split_usage", "reserved_usage", "actual_usage", "split_usage_ratio", "split_cost", "unused_cost",
        "net_split_cost", "net_unused_cost")}}
AWS_TIME = ["bill_billing_period_start_date", "bill_billing_period_end_date", "line_item_usage_start_date",
            "line_item_usage_end_date"]

GCP_STRING = [
    "billing_account_id", "service_id", "service_description", "sku_id", "sku_description", "project_id",
    "project_number", "project_name", "project_labels", "labels", "system_labels", "location_location",
    "location_country", "location_region", "location_zone", "tags", "currency", "usage_unit", "usage_pricing_unit",
    "credits", "invoice_month", "invoice_publisher_type", "cost_type", "transaction_type", "seller_name",
    "export_type", "row_key",
]
GCP_FLOAT = ["cost", "currency_conversion_rate", "usage_amount", "usage_amount_in_pricing_units", "cost_at_list",
             "credits_amount"]
GCP_TIME = ["usage_start_time", "usage_end_time", "export_time"]
# fields of Google's new spend-based CUD model (2025-07-15): written only when a row has them, so the other tests
# read raw files without them, as files landed before the source loaded them are
GCP_CUD_MODEL_STRING = ["consumption_model_id", "consumption_model_description", "subscription_instance_id"]
GCP_CUD_MODEL_FLOAT = ["cost_at_effective_price_default"]
# adjustment_info, flattened as include/sources/gcp_billing/schema.py lands it: written only when a row has it
GCP_ADJUSTMENT_STRING = ["adjustment_info_id", "adjustment_info_description", "adjustment_info_mode",
                         "adjustment_info_type"]


def new_load_id() -> str:
    """Increasing, dlt-like load ids (`<epoch seconds>.<fraction>`)."""
    return f"{1_790_000_000 + next(_load_counter)}.{next(_load_counter):07d}"


def month_bounds(period: str) -> tuple[datetime, datetime]:
    year, month = (int(p) for p in period.split("-"))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def write_loads(data_dir: Path, dataset: str, load_ids, status: int = 0) -> None:
    folder = data_dir / "raw" / dataset / "_dlt_loads"
    folder.mkdir(parents=True, exist_ok=True)
    for load_id in load_ids:
        record = {"load_id": load_id, "schema_name": dataset, "status": status,
                  "inserted_at": "2026-10-01T00:00:00+00:00", "schema_version_hash": "test"}
        (folder / f"{dataset}__{load_id}.jsonl").write_text(json.dumps(record) + "\n")


def write_table(data_dir: Path, dataset: str, table: str, data: pa.Table, load_id: str, partition: str | None = None):
    folder = data_dir / "raw" / dataset / table
    if partition:
        folder = folder / partition
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(data, folder / f"{load_id}.{hashlib.md5(load_id.encode()).hexdigest()[:10]}.parquet")


def _columns(rows: list[dict], strings, floats, times, time_unit: str, extra: dict | None = None) -> pa.Table:
    arrays = {}
    for name in strings:
        arrays[name] = pa.array([r.get(name) for r in rows], pa.string())
    for name in floats:
        arrays[name] = pa.array([r.get(name) for r in rows], pa.float64())
    for name in times:
        arrays[name] = pa.array([r.get(name) for r in rows], pa.timestamp(time_unit, tz="UTC"))
    for name, type_ in (extra or {}).items():
        arrays[name] = pa.array([r.get(name) for r in rows], type_)
    return pa.table(arrays)


# ------------------------------------------------------------------------------------------- AWS
def aws_line(period: str, line_type: str = "Usage", cost: float = 0.0, day: int = 1, **columns) -> dict:
    """One CUR 2.0 line item of `period` with sensible defaults; `columns` override raw columns."""
    start, end = month_bounds(period)
    usage_start = start + timedelta(days=day - 1, hours=3)
    row = {
        "bill_billing_period_start_date": start, "bill_billing_period_end_date": end,
        "bill_invoice_id": f"INV-{period}", "bill_billing_entity": "AWS",
        "bill_invoicing_entity": "Amazon Web Services, Inc.", "bill_payer_account_id": "999999999999",
        "bill_payer_account_name": "payer", "identity_line_item_id": f"li-{next(_load_counter)}",
        "identity_time_interval": "", "line_item_line_item_type": line_type,
        "line_item_usage_start_date": usage_start, "line_item_usage_end_date": usage_start + timedelta(hours=1),
        "line_item_usage_account_id": "111111111111", "line_item_usage_account_name": "prod",
        "line_item_product_code": "AmazonEC2", "line_item_usage_type": "BoxUsage:m5.large",
        "line_item_operation": "RunInstances", "line_item_resource_id": "i-0001",
        "line_item_line_item_description": line_type, "line_item_currency_code": "USD",
        "line_item_legal_entity": "Amazon Web Services, Inc.", "pricing_term": "OnDemand" if line_type == "Usage" else "",
        "pricing_unit": "Hrs", "pricing_currency": "USD", "product_region_code": "us-east-1",
        "line_item_availability_zone": "us-east-1a", "resource_tags": json.dumps({"user:team": "web"}),
        "cost_category": "{}", "product": json.dumps({"product_name": "Amazon Elastic Compute Cloud"}),
        "reservation_reservation_a_r_n": "", "savings_plan_savings_plan_a_r_n": "",
        "line_item_usage_amount": 1.0, "line_item_unblended_cost": cost,
        "pricing_public_on_demand_cost": cost if line_type == "Usage" else 0.0,
        "billing_period": period, "source_file": f"s3://bucket/cur/{period}/part-0.parquet",
    }
    if line_type == "SavingsPlanNegation":
        # AWS cur-sp.html: grouped "at the hourly level by SavingsPlanARN, Operation, Usage Type, and Availability Zone",
        # a negation names no resource and carries no resource tags
        row.update(line_item_resource_id="", resource_tags="{}")
    row.update(columns)
    return row


def numbered_aws_lines(period: str, lines: list[tuple[str, dict]]) -> list[dict]:
    """One line item per (line type, columns with `cost`), on consecutive days from the 1st, ids line-0, line-1, ..."""
    rows = []
    for number, (line_type, columns) in enumerate(lines):
        columns = dict(columns)
        rows.append(aws_line(period, line_type, columns.pop("cost"), day=1 + number,
                             identity_line_item_id=f"line-{number}", **columns))
    return rows


def write_aws_period(data_dir: Path, period: str, rows: list[dict], load_id: str | None = None,
                     replace: bool = True) -> str:
    """One billing period's load, as the AWS loader leaves it: the period's folder holds only this load."""
    load_id = load_id or new_load_id()
    folder = data_dir / "raw" / "aws_costs" / "cur_line_items" / period
    if replace and folder.exists():
        for old in folder.glob("*.parquet"):
            old.unlink()
    split = {name: type_ for name, type_ in AWS_SPLIT.items() if any(name in row for row in rows)}
    table = _columns(rows, AWS_STRING, AWS_FLOAT, AWS_TIME, "ms", extra=split)
    table = table.append_column("_dlt_load_id", pa.array([load_id] * len(rows), pa.string()))
    write_table(data_dir, "aws_costs", "cur_line_items", table, load_id, partition=period)
    write_loads(data_dir, "aws_costs", [load_id])
    return load_id


def write_aws_table(data_dir: Path, period: str, table: pa.Table, load_id: str | None = None) -> str:
    """A generated CUR 2.0 month (standins.sample_data.aws) as the source lands it (maps as JSON)."""
    from include.sources.aws_cur.columns import map_to_json

    load_id = load_id or new_load_id()
    for name in ("resource_tags", "cost_category", "product", "discount"):
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, map_to_json(table[name]))
    n = table.num_rows
    table = table.append_column("billing_period", pa.array([period] * n, pa.string()))
    table = table.append_column("source_file", pa.array([f"s3://b/{period}.parquet"] * n, pa.string()))
    table = table.append_column("_dlt_load_id", pa.array([load_id] * n, pa.string()))
    folder = data_dir / "raw" / "aws_costs" / "cur_line_items" / period
    if folder.exists():
        for old in folder.glob("*.parquet"):
            old.unlink()
    write_table(data_dir, "aws_costs", "cur_line_items", table, load_id, partition=period)
    write_loads(data_dir, "aws_costs", [load_id])
    return load_id


def aws_focus_row(period: str, charge_category: str = "Usage", billed: float = 0.0, effective: float | None = None,
                  **columns) -> dict:
    """One row of AWS's FOCUS 1.2 export of `period` ({FOCUS name: value}) with sensible defaults, for
    aws_focus_table; `columns` override them."""
    start, end = month_bounds(period)
    row = {
        "BillingAccountId": "999999999999", "BillingAccountName": "payer", "BillingCurrency": "USD",
        "BillingPeriodStart": start, "BillingPeriodEnd": end, "SubAccountId": "111111111111", "SubAccountName": "prod",
        "ChargeCategory": charge_category, "ChargeFrequency": "Usage-Based" if charge_category == "Usage" else "One-Time",
        "ChargePeriodStart": start, "ChargePeriodEnd": start + timedelta(hours=1),
        "BilledCost": billed, "EffectiveCost": billed if effective is None else effective,
        "ListCost": billed if charge_category == "Usage" else 0.0, "ContractedCost": billed,
        "ServiceName": "Amazon Elastic Compute Cloud", "RegionId": "us-east-1", "Tags": "{}",
        "PricingCategory": "Standard" if charge_category == "Usage" else None, "CommitmentDiscountId": None,
        "CommitmentDiscountStatus": None, "x_ServiceCode": "AmazonEC2", "x_UsageType": "USE1-BoxUsage:m5.large",
    }
    row.update(columns)
    return row


def aws_focus_table(rows: list[dict]) -> pa.Table:
    """aws_focus_row rows as the export's parquet holds them (times UTC, costs float64, the rest text)."""
    def kind(name: str) -> pa.DataType:
        if name.startswith(("BillingPeriod", "ChargePeriod")):
            return pa.timestamp("ms", tz="UTC")
        return pa.float64() if name.endswith("Cost") else pa.string()

    return pa.table({name: pa.array([row.get(name) for row in rows], kind(name)) for name in rows[0]})


def write_aws_focus_period(data_dir: Path, period: str, table: pa.Table, load_id: str | None = None) -> str:
    """One billing period of AWS's Data Exports FOCUS 1.2 export (a table with AWS's FOCUS column names, e.g.
    standins.sample_data.aws_focus.focus_table) as the AWS loader lands it: conformed by the loader's own
    prepare_batch (maps as JSON, billing period, file and row), under dlt's snake_case names."""
    from include.sources.aws_cur.focus import prepare_batch

    load_id = load_id or new_load_id()
    landed = prepare_batch(table.combine_chunks().to_batches()[0], period, f"s3://bucket/focus/{period}.parquet", 1)
    landed = landed.rename_columns([_snake(name) for name in landed.column_names])
    landed = landed.append_column("_dlt_load_id", pa.array([load_id] * landed.num_rows, pa.string()))
    write_table(data_dir, "aws_costs", "focus_export", landed, load_id, partition=period)
    write_loads(data_dir, "aws_costs", [load_id])
    return load_id


# ------------------------------------------------------------------------------------------- GCP
def gcp_row(month: str, cost: float, credits: list[tuple[str, float]] = (), day: int = 1, **columns) -> dict:
    """One flattened billing export row of invoice month `month` (YYYY-MM)."""
    start, _ = month_bounds(month)
    usage_start = start + timedelta(days=day - 1, hours=5)
    credit_list = [
        {"name": kind.title(), "amount": amount, "full_name": kind, "id": f"{kind.lower()}-{i}", "type": kind}
        for i, (kind, amount) in enumerate(credits)
    ]
    row = {
        "billing_account_id": "01A2B3-C4D5E6-F7A8B9", "service_id": "6F81-5844-456A",
        "service_description": "Compute Engine", "sku_id": "CF4E-A0C7-E3BF",
        "sku_description": "E2 Instance Core running in Americas", "usage_start_time": usage_start,
        "usage_end_time": usage_start + timedelta(hours=1), "project_id": "shop-prod",
        "project_number": "1", "project_name": "Shop", "project_labels": json.dumps({"env": "prod", "team": "checkout"}),
        "labels": json.dumps({"app": "web"}), "system_labels": "{}", "location_location": "us-central1",
        "location_country": "US", "location_region": "us-central1", "location_zone": "us-central1-a", "tags": "[]",
        "export_time": usage_start + timedelta(hours=6), "cost": cost, "currency": "USD",
        "currency_conversion_rate": 1.0, "usage_amount": 3600.0, "usage_unit": "seconds",
        "usage_amount_in_pricing_units": 1.0, "usage_pricing_unit": "hour", "credits": json.dumps(credit_list),
        "invoice_month": month.replace("-", ""), "invoice_publisher_type": "Google", "cost_type": "regular",
        "cost_at_list": cost, "transaction_type": "GOOGLE", "seller_name": "Google",
        "credits_amount": sum(a for _, a in credits), "export_type": "standard",
    }
    row.update(columns)
    row.setdefault("row_key", hashlib.sha256(json.dumps(row, default=str, sort_keys=True).encode()).hexdigest()[:32])
    return row


def write_gcp_rows(data_dir: Path, rows: list[dict], load_id: str | None = None, completed: bool = True) -> str:
    load_id = load_id or new_load_id()
    def present(names: list[str]) -> list[str]:
        return [name for name in names if any(name in row for row in rows)]

    table = _columns(rows, GCP_STRING + present(GCP_CUD_MODEL_STRING) + present(GCP_ADJUSTMENT_STRING),
                     GCP_FLOAT + present(GCP_CUD_MODEL_FLOAT),
                     GCP_TIME, "us", {"row_occurrence": pa.int64()})
    table = table.set_column(table.column_names.index("row_occurrence"), "row_occurrence",
                             pa.array([1] * len(rows), pa.int64()))
    table = table.append_column("_dlt_load_id", pa.array([load_id] * len(rows), pa.string()))
    write_table(data_dir, "gcp_costs", "billing_export", table, load_id)
    if completed:
        write_loads(data_dir, "gcp_costs", [load_id])
    return load_id


def write_gcp_focus_rows(data_dir: Path, rows: list[dict], load_id: str | None = None) -> str:
    """Rows of Google's FOCUS export as include/sources/gcp_billing/focus.py lands them ({FOCUS name: value}: money as
    a str / Decimal, times as datetimes, x_Credits as JSON text; the other columns NULL), one completed load."""
    from decimal import Decimal

    from include.sources.gcp_billing.focus import arrow_schema

    load_id = load_id or new_load_id()
    schema = arrow_schema()
    columns = {}
    for field in schema:
        values = [row.get(field.name) for row in rows]
        if pa.types.is_decimal(field.type):
            values = [None if v is None else Decimal(str(v)) for v in values]
        columns[_snake(field.name)] = pa.array(values, field.type)
    columns["_dlt_load_id"] = pa.array([load_id] * len(rows), pa.string())
    write_table(data_dir, "gcp_costs", "focus_export", pa.table(columns), load_id)
    write_loads(data_dir, "gcp_costs", [load_id])
    return load_id


def _snake(name: str) -> str:
    """dlt's snake_case of a FOCUS name (BilledCost -> billed_cost, x_ExportTime -> x_export_time)."""
    return "".join(("_" if ch.isupper() and i and name[i - 1] != "_" else "") + ch.lower() for i, ch in enumerate(name))


# Google's CUD metadata export, as include/sources/gcp_billing/cud_source.py lands it (one snapshot per load).
CUD_STRINGS = ["billing_account_id", "cud_product_id", "cud_product_display_name", "cud_product_type",
               "consumption_model_id", "consumption_model_description", "subscription_entitlement_scope",
               "subscription_instance_id", "subscription_display_name", "region", "commitment_amount_unit", "term",
               "state"]


def write_gcp_cud_snapshot(data_dir: Path, commitments: list[dict], load_id: str | None = None,
                           completed: bool = True) -> str:
    """One snapshot of cud_subscriptions ({column: value}; amount as a str / Decimal, times as datetimes); an
    empty list writes the source's sentinel row (snapshot_rows 0, every other column NULL)."""
    from decimal import Decimal

    load_id = load_id or new_load_id()
    rows = commitments or [{}]
    ts = pa.timestamp("us", tz="UTC")
    columns = {name: pa.array([row.get(name) for row in rows], pa.string()) for name in CUD_STRINGS}
    columns["commitment_amount_value"] = pa.array(
        [None if row.get("commitment_amount_value") is None else Decimal(str(row["commitment_amount_value"]))
         for row in rows], pa.decimal128(38, 9))
    columns["start_time"] = pa.array([row.get("start_time") for row in rows], ts)
    columns["end_time"] = pa.array([row.get("end_time") for row in rows], ts)
    columns["snapshot_rows"] = pa.array([len(commitments)] * len(rows), pa.int64())
    columns["_dlt_load_id"] = pa.array([load_id] * len(rows), pa.string())
    write_table(data_dir, "gcp_costs", "cud_subscriptions", pa.table(columns), load_id)
    if completed:
        write_loads(data_dir, "gcp_costs", [load_id])
    return load_id


# ---------------------------------------------------------------------------------------- Stripe
def write_stripe(data_dir: Path, transactions: list[dict], subscriptions: list[dict] = (),
                 load_id: str | None = None) -> str:
    """Balance transactions ({id, amount, fee, currency, created: date}) and subscriptions
    ({id, customer, currency, start: date, ended: date|None, amount (minor units / month)})."""
    load_id = load_id or new_load_id()
    loaded_at = datetime(2026, 11, 1, tzinfo=UTC)
    ts = pa.timestamp("us", tz="UTC")

    def at(day: date | None):
        return None if day is None else datetime(day.year, day.month, day.day, 12, tzinfo=UTC)

    n = len(transactions)
    balance = pa.table({
        "id": pa.array([t["id"] for t in transactions], pa.string()),
        "type": pa.array([t.get("type", "charge") for t in transactions], pa.string()),
        "reporting_category": pa.array([t.get("reporting_category", "charge") for t in transactions], pa.string()),
        "amount": pa.array([t["amount"] for t in transactions], pa.int64()),
        "fee": pa.array([t.get("fee", 0) for t in transactions], pa.int64()),
        "net": pa.array([t["amount"] - t.get("fee", 0) for t in transactions], pa.int64()),
        "currency": pa.array([t["currency"] for t in transactions], pa.string()),
        "currency_exponent": pa.array([t.get("exponent", 2) for t in transactions], pa.int64()),
        "created": pa.array([at(t["created"]) for t in transactions], ts),
        "_loaded_at": pa.array([loaded_at] * n, ts),
        "_dlt_load_id": pa.array([load_id] * n, pa.string()),
    })
    write_table(data_dir, "stripe_revenue", "balance_transactions", balance, load_id)
    subs = list(subscriptions) or [{"id": "sub_0", "customer": "cus_0", "currency": "usd",
                                    "start": date(2026, 1, 1), "ended": None, "amount": 0}]
    m = len(subs)
    write_table(data_dir, "stripe_revenue", "subscriptions", pa.table({
        "id": pa.array([s["id"] for s in subs], pa.string()),
        "customer": pa.array([s["customer"] for s in subs], pa.string()),
        "status": pa.array(["active" if s["ended"] is None else "canceled" for s in subs], pa.string()),
        "currency": pa.array([s["currency"] for s in subs], pa.string()),
        "start_date": pa.array([at(s["start"]) for s in subs], ts),
        "ended_at": pa.array([at(s["ended"]) for s in subs], ts),
        "trial_end": pa.array([None] * m, ts),
        "items": pa.array([json.dumps([{"id": f"si_{s['id']}", "quantity": 1, "price": {
            "id": f"price_{s['id']}", "currency": s["currency"], "unit_amount": s["amount"], "billing_scheme": "per_unit",
            "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"}}}]) for s in subs],
            pa.string()),
        "discounts": pa.array(["[]"] * m, pa.string()),
        "_loaded_at": pa.array([loaded_at] * m, ts),
        "_dlt_load_id": pa.array([load_id] * m, pa.string()),
    }), load_id)
    write_table(data_dir, "stripe_revenue", "subscription_items", pa.table({
        "id": pa.array([f"si_{s['id']}" for s in subs], pa.string()),
        "subscription": pa.array([s["id"] for s in subs], pa.string()),
        "quantity": pa.array([1] * m, pa.int64()),
        "unit_amount": pa.array([s["amount"] for s in subs], pa.int64()),
        "currency": pa.array([s["currency"] for s in subs], pa.string()),
        "currency_exponent": pa.array([2] * m, pa.int64()),
        "recurring_interval": pa.array(["month"] * m, pa.string()),
        "recurring_interval_count": pa.array([1] * m, pa.int64()),
        "recurring_usage_type": pa.array(["licensed"] * m, pa.string()),
        "_loaded_at": pa.array([loaded_at] * m, ts),
        "_dlt_load_id": pa.array([load_id] * m, pa.string()),
    }), load_id)
    write_loads(data_dir, "stripe_revenue", [load_id])
    return load_id


def write_stripe_objects(data_dir: Path, objects: dict[str, list[dict]], loaded_at: datetime,
                         load_id: str | None = None, completed: bool = True) -> str:
    """Stripe API objects ({table: [object, ...]}, as the API returns them) written through the
    source's own flattening (include/sources/stripe_revenue/columns.py, flatten.py), so the rows are exactly what
    a load of those objects writes; `subscriptions` also writes their `subscription_items`."""
    from include.sources.stripe_revenue import INCREMENTAL_RESOURCES, MUTABLE_RESOURCES
    from include.sources.stripe_revenue.columns import SUBSCRIPTION_ITEM_COLUMNS, subscription_items
    from include.sources.stripe_revenue.flatten import flatten, to_arrow

    load_id = load_id or new_load_id()
    columns = {**INCREMENTAL_RESOURCES, **MUTABLE_RESOURCES, "subscription_items": SUBSCRIPTION_ITEM_COLUMNS}
    tables = dict(objects)
    if "subscriptions" in tables:
        tables["subscription_items"] = [i for s in tables["subscriptions"] for i in subscription_items(s)]
    for table, rows in tables.items():
        arrow = to_arrow([flatten(o, columns[table], {"_loaded_at": loaded_at}) for o in rows], columns[table])
        arrow = arrow.append_column("_dlt_load_id", pa.array([load_id] * len(rows), pa.string()))
        write_table(data_dir, "stripe_revenue", table, arrow, load_id)
    if completed:
        write_loads(data_dir, "stripe_revenue", [load_id])
    return load_id


# ----------------------------------------------------------------------------------------- Azure
def write_azure_month(data_dir: Path, month: str, table: pa.Table, load_id: str | None = None,
                      completed: bool = True, replace: bool = True, submitted_at: datetime | None = None) -> str:
    """A month of an Azure FOCUS export (standins.sample_data.azure.generate_focus_month, or rows of the
    same columns) as the Azure loader leaves it: the month's folder holds only this load, with the
    loader's columns billing_period, export_run_id, export_dataset_version, source_blob and source_row, and
    export_submitted_at when `submitted_at` is given (raw data loaded before the loader kept it has none)."""
    load_id = load_id or new_load_id()
    folder = data_dir / "raw" / "azure_costs" / "focus_costs" / month
    if replace and folder.exists():
        for old in folder.glob("*.parquet"):
            old.unlink()
    rows = table.num_rows
    for name, value in (("billing_period", month), ("export_run_id", f"run-{load_id}"),
                        ("export_dataset_version", "1.2-preview"), ("source_blob", f"az://exports/{month}/part_0.parquet"),
                        ("_dlt_load_id", load_id)):
        table = table.append_column(name, pa.array([value] * rows, pa.string()))
    table = table.append_column("source_row", pa.array(range(1, rows + 1), pa.int64()))
    if submitted_at is not None:
        table = table.append_column("export_submitted_at", pa.array([submitted_at] * rows, pa.timestamp("us", tz="UTC")))
    write_table(data_dir, "azure_costs", "focus_costs", table, load_id, partition=month)
    write_loads(data_dir, "azure_costs", [load_id], status=0 if completed else 1)
    return load_id


def azure_rows(month: str, rows: list[dict]) -> pa.Table:
    """A FOCUS export month of len(rows) generated charges with the given columns overridden (BilledCost also sets
    EffectiveCost; strings and floats as the export has them)."""
    from standins.sample_data.azure import generate_focus_month

    table = generate_focus_month(month, len(rows), seed=3)
    for row in rows:
        if "BilledCost" in row:
            row.setdefault("EffectiveCost", row["BilledCost"])
    for name in sorted({name for row in rows for name in row}):
        position = table.schema.get_field_index(name)
        values = [row.get(name, table[name][index].as_py()) for index, row in enumerate(rows)]
        table = table.set_column(position, name, pa.array(values, table.schema.field(name).type))
    return table
