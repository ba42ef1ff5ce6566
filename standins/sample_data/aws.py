"""Realistic AWS Data Exports CUR 2.0 sample data, generated column-wise (numpy) so months of
millions of line items are cheap to make.

The column names, types and the four map columns (`resource_tags`, `cost_category`, `product`,
`discount`) follow the CUR 2.0 table dictionary. Files are laid out like a real export:

    s3://<bucket>/<prefix>/<export>/data/BILLING_PERIOD=YYYY-MM/<export>-0000N.snappy.parquet
    s3://<bucket>/<prefix>/<export>/metadata/BILLING_PERIOD=YYYY-MM/<export>-Manifest.json
"""

from __future__ import annotations

import calendar
import io
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from standins.sample_data.aws_allocation import with_container_split_rows, with_customer_tags

ACCOUNTS = [
    ("111111111111", "prod"),
    ("222222222222", "staging"),
    ("333333333333", "data-platform"),
    ("444444444444", "sandbox"),
]
PAYER = ("999999999999", "finops-demo-payer")
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"]
# (product_code, usage_type suffix, operation, unit, rate per unit, product family)
PRODUCTS = [
    ("AmazonEC2", "BoxUsage:m5.large", "RunInstances", "Hrs", 0.096, "Compute Instance"),
    ("AmazonEC2", "BoxUsage:c6g.xlarge", "RunInstances", "Hrs", 0.136, "Compute Instance"),
    ("AmazonEC2", "EBS:VolumeUsage.gp3", "CreateVolume-Gp3", "GB-Mo", 0.08, "Storage"),
    ("AmazonS3", "TimedStorage-ByteHrs", "StandardStorage", "GB-Mo", 0.023, "Storage"),
    ("AmazonS3", "Requests-Tier1", "PutObject", "Requests", 0.000005, "API Request"),
    ("AmazonRDS", "InstanceUsage:db.r6g.large", "CreateDBInstance:0016", "Hrs", 0.225, "Database Instance"),
    ("AWSLambda", "Lambda-GB-Second", "Invoke", "Lambda-GB-Second", 0.0000166667, "Serverless"),
    ("AmazonCloudWatch", "CW:MetricMonitorUsage", "MetricStorage", "Metrics", 0.30, "Metric"),
    ("AWSDataTransfer", "DataTransfer-Out-Bytes", "", "GB", 0.09, "Data Transfer"),
]
TEAMS = ["payments", "search", "platform", "ml", "web", "data"]
ENVIRONMENTS = ["prod", "staging", "dev"]


@dataclass(frozen=True)
class Cur2Export:
    bucket: str
    prefix: str
    export_name: str

    def data_prefix(self, period: str) -> str:
        return f"{self.prefix}/{self.export_name}/data/BILLING_PERIOD={period}/"

    def manifest_key(self, period: str) -> str:
        return f"{self.prefix}/{self.export_name}/metadata/BILLING_PERIOD={period}/{self.export_name}-Manifest.json"


def _period_bounds(period: str) -> tuple[datetime, datetime]:
    year, month = (int(part) for part in period.split("-"))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = start + timedelta(days=calendar.monthrange(year, month)[1])
    return start, end


def _map_array(keys: list[np.ndarray], values: list[np.ndarray], rows: int) -> pa.MapArray:
    """A map<string, value_type> column: entry j of row i is (keys[j][i], values[j][i]) when that value is set."""
    present = np.stack([np.asarray([v is not None for v in vals]) for vals in values], axis=1) if values else None
    counts = present.sum(axis=1) if present is not None else np.zeros(rows, dtype=np.int64)
    offsets = np.zeros(rows + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    flat_keys, flat_values = [], []
    if present is not None:
        key_matrix = np.stack(keys, axis=1)
        value_matrix = np.stack(values, axis=1)
        flat_keys = key_matrix[present].tolist()
        flat_values = value_matrix[present].tolist()
    return pa.MapArray.from_arrays(
        pa.array(offsets), pa.array(flat_keys, pa.string()), pa.array(flat_values, pa.string())
    )


def generate_cur2_month(period: str, rows: int, seed: int = 42, tag_keys_extra: tuple[str, ...] = (),
                        commitments: bool = False) -> pa.Table:
    """One billing period of CUR 2.0 line items: usage spread over the month, plus tax and a credit.

    `tag_keys_extra` adds more user tag keys (a later month gaining a tag key is how schema drift
    shows up in CUR 2.0: inside the `resource_tags` map, not as a new column). `commitments` adds a
    Savings Plan and a Reserved Instance with some unused commitment (standins/sample_data/aws_commitments.py;
    rows beyond `rows`).
    """
    rng = np.random.default_rng(_seed(period, seed))
    start, end = _period_bounds(period)
    hours = int((end - start).total_seconds() // 3600)
    n_tax, n_credit = min(4, max(1, rows // 1000)), 1 if rows >= 10 else 0
    n_usage = rows - n_tax - n_credit

    product_idx = rng.integers(0, len(PRODUCTS), n_usage)
    account_idx = rng.integers(0, len(ACCOUNTS), n_usage)
    region_idx = rng.integers(0, len(REGIONS), n_usage)
    hour = rng.integers(0, hours, n_usage)
    usage_start = np.datetime64(start.replace(tzinfo=None), "s") + hour.astype("timedelta64[h]")
    rates = np.array([p[4] for p in PRODUCTS])[product_idx]
    usage_amount = np.round(rng.gamma(2.0, 2.0, n_usage), 6)
    unblended = np.round(usage_amount * rates, 10)
    # Tax lines: a share of the usage cost of each account; one credit for the payer.
    usage_total = float(unblended.sum())
    tax_amounts = np.round(np.full(n_tax, usage_total * 0.08 / n_tax), 6)
    credit_amounts = np.round(np.full(n_credit, -usage_total * 0.02), 6)

    line_type = np.concatenate([np.full(n_usage, "Usage"), np.full(n_tax, "Tax"), np.full(n_credit, "Credit")])
    cost = np.concatenate([unblended, tax_amounts, credit_amounts])
    all_products = np.concatenate([product_idx, np.zeros(n_tax + n_credit, dtype=int)])
    product_code = np.array([p[0] for p in PRODUCTS], dtype=object)[all_products]
    region = np.concatenate([np.array(REGIONS, dtype=object)[region_idx], np.full(n_tax + n_credit, "", dtype=object)])
    accounts = np.concatenate([account_idx, np.arange(n_tax) % len(ACCOUNTS), np.zeros(n_credit, dtype=int)])
    starts = np.concatenate(
        [usage_start, np.full(n_tax + n_credit, np.datetime64(start.replace(tzinfo=None), "s"))]
    )
    ends = np.concatenate(
        [usage_start + np.timedelta64(1, "h"), np.full(n_tax + n_credit, np.datetime64(end.replace(tzinfo=None), "s"))]
    )
    usage_type = np.array([f"USE1-{p[1]}" for p in PRODUCTS], dtype=object)[all_products]
    usage_type[n_usage:] = ""
    amount = np.concatenate([usage_amount, np.zeros(n_tax + n_credit)])
    usage_rate = np.concatenate([rates, np.zeros(n_tax + n_credit)])
    on_demand = np.concatenate([unblended, tax_amounts, np.zeros(n_credit)])

    team = np.array(TEAMS, dtype=object)[rng.integers(0, len(TEAMS), rows)]
    env = np.array(ENVIRONMENTS, dtype=object)[rng.integers(0, len(ENVIRONMENTS), rows)]
    untagged = rng.random(rows) < 0.15
    team[untagged] = None
    env[untagged] = None
    tag_keys = [np.full(rows, "user:team", dtype=object), np.full(rows, "user:environment", dtype=object)]
    tag_values = [team, env]
    tag_keys, tag_values = with_customer_tags(tag_keys, tag_values, team, rows)
    for extra in tag_keys_extra:
        tag_keys.append(np.full(rows, f"user:{extra}", dtype=object))
        tag_values.append(np.array([f"{extra}-{i % 7}" for i in range(rows)], dtype=object))

    interval = np.char.add(
        np.char.add(np.datetime_as_string(starts, unit="s").astype(str), "Z/"),
        np.char.add(np.datetime_as_string(ends, unit="s").astype(str), "Z"),
    )
    account_ids = np.array([a[0] for a in ACCOUNTS], dtype=object)[accounts]
    account_names = np.array([a[1] for a in ACCOUNTS], dtype=object)[accounts]
    resource_id = np.array([f"i-{i:017x}" for i in rng.integers(0, 5000, rows)], dtype=object)
    resource_id[n_usage:] = ""
    line_ids = np.char.mod("%016x", rng.integers(0, 2**62, rows, dtype=np.int64)).astype(object)
    description = np.where(line_type == "Usage", "usage", np.where(line_type == "Tax", "Tax for usage", "Promotional credit"))
    product_family = np.array([p[5] for p in PRODUCTS], dtype=object)[all_products]
    ts = pa.timestamp("ms", tz="UTC")

    columns = {
        "bill_bill_type": pa.array(np.full(rows, "Anniversary"), pa.string()),
        "bill_billing_entity": pa.array(np.full(rows, "AWS"), pa.string()),
        "bill_billing_period_end_date": pa.array(np.full(rows, np.datetime64(end.replace(tzinfo=None), "ms")), ts),
        "bill_billing_period_start_date": pa.array(np.full(rows, np.datetime64(start.replace(tzinfo=None), "ms")), ts),
        "bill_invoice_id": pa.array(np.full(rows, f"INV-{period.replace('-', '')}"), pa.string()),
        "bill_invoicing_entity": pa.array(np.full(rows, "Amazon Web Services, Inc."), pa.string()),
        "bill_payer_account_id": pa.array(np.full(rows, PAYER[0]), pa.string()),
        "bill_payer_account_name": pa.array(np.full(rows, PAYER[1]), pa.string()),
        "cost_category": _map_array(
            [np.full(rows, "business_unit", dtype=object)],
            [np.where(team == None, None, np.char.add("bu-", team.astype(str)))],  # noqa: E711
            rows,
        ),
        "discount": pa.MapArray.from_arrays(
            pa.array(np.zeros(rows + 1, dtype=np.int32)), pa.array([], pa.string()), pa.array([], pa.float64())
        ),
        "discount_bundled_discount": pa.array(np.zeros(rows)),
        "discount_total_discount": pa.array(np.zeros(rows)),
        "identity_line_item_id": pa.array(line_ids, pa.string()),
        "identity_time_interval": pa.array(interval, pa.string()),
        "line_item_availability_zone": pa.array(np.where(region == "", "", region.astype(str) + "a"), pa.string()),
        "line_item_blended_cost": pa.array(cost),
        "line_item_blended_rate": pa.array(usage_rate),
        "line_item_currency_code": pa.array(np.full(rows, "USD"), pa.string()),
        "line_item_legal_entity": pa.array(np.full(rows, "Amazon Web Services, Inc."), pa.string()),
        "line_item_line_item_description": pa.array(description, pa.string()),
        "line_item_line_item_type": pa.array(line_type, pa.string()),
        "line_item_net_unblended_cost": pa.array(cost),
        "line_item_net_unblended_rate": pa.array(usage_rate),
        "line_item_normalization_factor": pa.array(np.ones(rows)),
        "line_item_normalized_usage_amount": pa.array(amount),
        "line_item_operation": pa.array(np.array([p[2] for p in PRODUCTS], dtype=object)[all_products], pa.string()),
        "line_item_product_code": pa.array(product_code, pa.string()),
        "line_item_resource_id": pa.array(resource_id, pa.string()),
        "line_item_tax_type": pa.array(np.where(line_type == "Tax", "VAT", ""), pa.string()),
        "line_item_unblended_cost": pa.array(cost),
        "line_item_unblended_rate": pa.array(usage_rate),
        "line_item_usage_account_id": pa.array(account_ids, pa.string()),
        "line_item_usage_account_name": pa.array(account_names, pa.string()),
        "line_item_usage_amount": pa.array(amount),
        "line_item_usage_end_date": pa.array(ends.astype("datetime64[ms]"), ts),
        "line_item_usage_start_date": pa.array(starts.astype("datetime64[ms]"), ts),
        "line_item_usage_type": pa.array(usage_type, pa.string()),
        "pricing_currency": pa.array(np.full(rows, "USD"), pa.string()),
        "pricing_public_on_demand_cost": pa.array(on_demand),
        "pricing_public_on_demand_rate": pa.array(usage_rate),
        "pricing_term": pa.array(np.where(line_type == "Usage", "OnDemand", ""), pa.string()),
        "pricing_unit": pa.array(np.array([p[3] for p in PRODUCTS], dtype=object)[all_products], pa.string()),
        "product": _map_array(
            [np.full(rows, "product_name", dtype=object), np.full(rows, "region", dtype=object)],
            [product_code, np.where(region == "", None, region)],
            rows,
        ),
        "product_product_family": pa.array(product_family, pa.string()),
        "product_region_code": pa.array(region, pa.string()),
        "product_servicecode": pa.array(product_code, pa.string()),
        "reservation_effective_cost": pa.array(np.zeros(rows)),
        "reservation_reservation_a_r_n": pa.array(np.full(rows, ""), pa.string()),
        "resource_tags": _map_array(tag_keys, tag_values, rows),
        "savings_plan_savings_plan_a_r_n": pa.array(np.full(rows, ""), pa.string()),
        "savings_plan_savings_plan_effective_cost": pa.array(np.zeros(rows)),
    }
    table = with_container_split_rows(pa.table(columns), period)
    if commitments:
        from standins.sample_data.aws_commitments import with_commitments

        return with_commitments(table, period)
    return table


def _seed(period: str, seed: int) -> int:
    year, month = period.split("-")
    return seed * 10007 + int(year) * 12 + int(month)


def write_cur2_period(s3_client, export: Cur2Export, period: str, table: pa.Table, rows_per_file: int = 250_000,
                      execution_id: str | None = None) -> list[str]:
    """Deliver one billing period like Data Exports does (overwrite mode; CUR 2.0 and FOCUS exports alike):
    data files, then the manifest naming them with the table's columns.

    Any earlier files of that period are removed first, as an overwriting export does.
    """
    prefix = export.data_prefix(period)
    listing = s3_client.list_objects_v2(Bucket=export.bucket, Prefix=prefix)
    for obj in listing.get("Contents", []):
        s3_client.delete_object(Bucket=export.bucket, Key=obj["Key"])
    keys = []
    for number, offset in enumerate(range(0, max(table.num_rows, 1), rows_per_file), start=1):
        chunk = table.slice(offset, rows_per_file)
        buffer = io.BytesIO()
        pq.write_table(chunk, buffer, compression="snappy", row_group_size=100_000)
        key = f"{prefix}{export.export_name}-{number:05d}.snappy.parquet"
        s3_client.put_object(Bucket=export.bucket, Key=key, Body=buffer.getvalue())
        keys.append(key)
    start, end = _period_bounds(period)
    manifest = {
        "version": "1.0",
        "exportArn": f"arn:aws:bcm-data-exports:us-east-1:{PAYER[0]}:export/{export.export_name}",
        "exportName": export.export_name,
        "executionId": execution_id or uuid.uuid4().hex,
        "billingPeriod": {"start": start.isoformat(), "end": end.isoformat()},
        "columns": [{"name": f.name, "type": str(f.type)} for f in table.schema],
        "dataFiles": [f"s3://{export.bucket}/{key}" for key in keys],
    }
    s3_client.put_object(
        Bucket=export.bucket, Key=export.manifest_key(period), Body=json.dumps(manifest).encode()
    )
    return keys


# ----------------------------------------------------------------------------------- legacy CUR
LEGACY_CATEGORIES = {
    "bill": "bill", "identity": "identity", "line_item": "lineItem", "pricing": "pricing", "product": "product",
    "reservation": "reservation", "savings_plan": "savingsPlan", "discount": "discount",
    "split_line_item": "splitLineItem",
}


def legacy_header(column: str) -> tuple[str, str]:
    """(category, name) of a CUR 2.0 column in a legacy report: `line_item_unblended_cost` ->
    (`lineItem`, `UnblendedCost`); product attributes are camelCase (`product/regionCode`)."""
    for snake, category in sorted(LEGACY_CATEGORIES.items(), key=lambda kv: -len(kv[0])):
        if column.startswith(snake + "_"):
            words = column[len(snake) + 1:].split("_")
            name = "".join(w[:1].upper() + w[1:] for w in words)
            return category, (name[:1].lower() + name[1:]) if category == "product" else name
    raise ValueError(f"no legacy category for {column}")


def to_legacy_csv_table(table: pa.Table) -> tuple[pa.Table, list[dict]]:
    """A CUR 2.0 month as a legacy CUR table (flat `resourceTags/user:x` columns, no maps) and
    its manifest `columns` entries."""
    import pyarrow.compute as pc

    columns, manifest_columns = {}, []
    for name in table.column_names:
        column = table[name]
        if name in ("resource_tags", "cost_category"):
            category = "resourceTags" if name == "resource_tags" else "costCategory"
            rows = column.to_pylist()
            keys = sorted({k for row in rows if row for k, _ in row})
            for key in keys:
                values = [dict(row).get(key, "") if row else "" for row in rows]
                columns[f"{category}/{key}"] = pa.array(values, pa.string())
                manifest_columns.append({"category": category, "name": key, "type": "OptionalString"})
            continue
        if name in ("product", "discount"):
            continue
        category, legacy = legacy_header(name)
        if pa.types.is_timestamp(column.type):
            column, kind = pc.strftime(pc.cast(column, pa.timestamp("s", tz="UTC")), "%Y-%m-%dT%H:%M:%SZ"), "DateTime"
        elif pa.types.is_floating(column.type):
            kind = "OptionalBigDecimal"
        else:
            kind = "OptionalString"
        columns[f"{category}/{legacy}"] = column
        manifest_columns.append({"category": category, "name": legacy, "type": kind})
    return pa.table(columns), manifest_columns


def write_legacy_period(s3_client, bucket: str, prefix: str, report_name: str, period: str, table: pa.Table,
                        rows_per_file: int = 250_000, assembly_id: str | None = None,
                        compression: str = "GZIP") -> list[str]:
    """Deliver one billing period like legacy CUR with "create new report versions": csv.gz files (csv.zip with
    compression="ZIP") in a new assembly folder, then the period's manifest naming that assembly."""
    import gzip
    import zipfile

    import pyarrow.csv as pacsv

    start, end = _period_bounds(period)
    folder = f"{prefix}/{report_name}/{start:%Y%m%d}-{end:%Y%m%d}"
    assembly_id = assembly_id or str(uuid.uuid4())
    legacy, manifest_columns = to_legacy_csv_table(table)
    keys = []
    for number, offset in enumerate(range(0, max(legacy.num_rows, 1), rows_per_file), start=1):
        buffer = io.BytesIO()
        pacsv.write_csv(legacy.slice(offset, rows_per_file), buffer)
        if compression == "ZIP":
            key, body = f"{folder}/{assembly_id}/{report_name}-{number}.csv.zip", io.BytesIO()
            with zipfile.ZipFile(body, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(f"{report_name}-{number}.csv", buffer.getvalue())
            body = body.getvalue()
        else:
            key, body = f"{folder}/{assembly_id}/{report_name}-{number}.csv.gz", gzip.compress(buffer.getvalue())
        s3_client.put_object(Bucket=bucket, Key=key, Body=body)
        keys.append(key)
    manifest = {
        "assemblyId": assembly_id,
        "account": PAYER[0],
        "columns": manifest_columns,
        "charset": "UTF-8",
        "compression": compression,
        "contentType": "text/csv",
        "reportId": uuid.uuid5(uuid.NAMESPACE_URL, report_name).hex,
        "reportName": report_name,
        "billingPeriod": {"start": f"{start:%Y%m%dT%H%M%S}.000Z", "end": f"{end:%Y%m%dT%H%M%S}.000Z"},
        "bucket": bucket,
        "reportKeys": keys,
    }
    s3_client.put_object(Bucket=bucket, Key=f"{folder}/{report_name}-Manifest.json", Body=json.dumps(manifest).encode())
    return keys
