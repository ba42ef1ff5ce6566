"""The GCP billing source's row-by-row page transformation as it was before the columnar one.

Kept verbatim for two uses only: the baseline of `bench/gcp_billing.py`, and the oracle of
tests/sources/test_gcp_billing.py that proves the columnar `to_raw_table` gives the same rows and the
same `row_key` values. Not used by the loads. One change since: the export columns the row key does not cover
(`schema.UNKEYED_COLUMNS`, added to the export after the keys were defined) are written but left out of the key, as
the columnar one leaves them out.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC
from decimal import Decimal
from typing import Any

from include.sources.gcp_billing.errors import BillingExportError
from include.sources.gcp_billing.schema import UNKEYED_COLUMNS, export_columns


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def kv_object_json(items: list[dict] | None) -> str:
    """[{"key": k, "value": v}, ...] -> '{"k": "v", ...}' (a later duplicate key wins)."""
    return _json({item["key"]: item["value"] for item in items or []})


def array_json(items: list[dict] | None) -> str:
    return _json(list(items or []))


def credits_total(items: list[dict] | None) -> float:
    """Sum of credit amounts of one row (exact float sum; 0.0 without credits)."""
    return math.fsum(item["amount"] or 0.0 for item in items or [])


def _canonical(value: Any) -> Any:
    if isinstance(value, float):
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def row_content_hash(values: list[Any]) -> str:
    """SHA-256 over the canonical JSON of a row's values (floats by repr, timestamps ISO)."""
    return hashlib.sha256(_json([_canonical(v) for v in values]).encode("utf-8")).hexdigest()


def _ts_key(ts) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _row_name(row: dict) -> str:
    return (f"export_time {row.get('export_time')}, project {row.get('project_id')!r}, "
            f"service {row.get('service_description')!r}, sku {row.get('sku_id')!r}, "
            f"usage_start_time {row.get('usage_start_time')}")


def _check_row(table: str, row: dict) -> None:
    if not row.get("invoice_month"):
        raise BillingExportError(f"GCP billing export table {table}: invoice.month is NULL in the row with {_row_name(row)}")
    for number, credit in enumerate(row.get("credits") or [], start=1):
        amount = credit.get("amount")
        if amount is not None and (isinstance(amount, bool) or not isinstance(amount, (int, float, Decimal))):
            raise BillingExportError(
                f"GCP billing export table {table}: credits.amount of credit {number} is {type(amount).__name__} "
                f"{amount!r}, not a number, in the row with {_row_name(row)}")


def to_raw_table(batch, export_type: str, schema, skip: dict[str, int] | None, seen: dict[str, int],
                 table: str = "?"):
    """Flatten one result page into the raw table; drop rows of export batches in `skip` that
    still have the same row count; record every batch's row count in `seen`."""
    import pyarrow as pa

    cols = export_columns(export_type)
    out: dict[str, list] = {name: [] for name in schema.names}
    for row in batch.to_pylist():
        _check_row(table, row)
        export_time = row["export_time"]
        batch_key = _ts_key(export_time) if export_time else ""
        batch_rows = row["export_batch_rows"]
        seen[batch_key] = batch_rows
        if skip and skip.get(batch_key) == batch_rows:
            continue
        values = []
        for name, _, kind, _ in cols:
            value = row[name]
            if kind == "kv":
                value = kv_object_json(value)
            elif kind == "array":
                value = array_json(value)
            out[name].append(value)
            if name not in UNKEYED_COLUMNS:
                values.append(value)
        occurrence = int(row["row_occurrence"])
        out["credits_amount"].append(credits_total(row["credits"]))
        out["export_type"].append(export_type)
        out["row_occurrence"].append(occurrence)
        out["row_key"].append(row_content_hash(values + [occurrence])[:32])
    return pa.Table.from_pydict(out, schema=schema)
