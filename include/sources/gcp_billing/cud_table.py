"""Google Cloud's CUD metadata export (`cud_subscriptions_export`): its fields, the checks a table and its rows must
pass, the query that flattens it and its result made into the raw table `cud_subscriptions`.

What Google documents (cloud.google.com/billing/docs/how-to/export-data-bigquery-tables/cud-export, Preview): a daily
snapshot of the billing account's spend-based committed use discounts, written to the table `cud_subscriptions_export`
in the dataset of the Cloud Billing export. Fields: billing_account_id; cud_product (id, display_name "Flexible CUD",
type "Spend-Based"); consumption_model (id "5515-81A8-03A2", description "Cloud Spanner CUD - 1 Year"); subscription
(entitlement_scope "billingAccounts/...", instance_id a GUID, display_name); region; commitent_amount (sic: Google's
spelling; unit, e.g. an hourly spend in a currency, and value, a number); term (ISO 8601 duration "P1Y", "P3Y");
start_time, end_time (TIMESTAMP); state ("Active", "Expired").

Accepted beyond that: `commitment_amount` if Google corrects the spelling (`commitent_amount` wins if both exist), a
FLOAT64, NUMERIC, BIGNUMERIC or INT64 value, and start/end times as STRING (RFC 3339; without an offset read as UTC,
as BigQuery reads such a string; fractions beyond microseconds dropped).

The raw table (RAW_COLUMNS, in that order): one row per commitment with the records flattened
(`subscription.instance_id` -> `subscription_instance_id`, `commitent_amount.value` -> `commitment_amount_value`,
decimal128(38, 9): exact from NUMERIC, from FLOAT64 through Python's shortest repr, rounded half-even to 9 decimals),
times timestamp[us, UTC], and `snapshot_rows`, the number of commitments in the snapshot (the same on every row). An
empty table gives one sentinel row, snapshot_rows 0 and every other column NULL, so "the newest snapshot is empty" and
"no snapshot loaded" differ downstream.
"""

from __future__ import annotations

import decimal
import logging
import math
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from include.sources.gcp_billing.errors import BillingExportError, wrap_error

log = logging.getLogger(__name__)

TABLE_NAME = "cud_subscriptions_export"
RESOURCE_NAME = "cud_subscriptions"
WHAT = "GCP CUD export table"
# The commitment amount's record: Google's spelling first, the corrected one if a table has only that.
AMOUNT_RECORDS = ("commitent_amount", "commitment_amount")

_STRING, _NUMBER, _TIME = "string", "number", "timestamp"
# raw column, export field (record, subfield) with AMOUNT for the commitment amount's record, kind
AMOUNT = "<amount>"
_COLUMNS: list[tuple[str, tuple[str, ...], str]] = [
    ("billing_account_id", ("billing_account_id",), _STRING),
    ("cud_product_id", ("cud_product", "id"), _STRING),
    ("cud_product_display_name", ("cud_product", "display_name"), _STRING),
    ("cud_product_type", ("cud_product", "type"), _STRING),
    ("consumption_model_id", ("consumption_model", "id"), _STRING),
    ("consumption_model_description", ("consumption_model", "description"), _STRING),
    ("subscription_entitlement_scope", ("subscription", "entitlement_scope"), _STRING),
    ("subscription_instance_id", ("subscription", "instance_id"), _STRING),
    ("subscription_display_name", ("subscription", "display_name"), _STRING),
    ("region", ("region",), _STRING),
    ("commitment_amount_unit", (AMOUNT, "unit"), _STRING),
    ("commitment_amount_value", (AMOUNT, "value"), _NUMBER),
    ("term", ("term",), _STRING),
    ("start_time", ("start_time",), _TIME),
    ("end_time", ("end_time",), _TIME),
    ("state", ("state",), _STRING),
]
# BigQuery types each kind may have (the API names FLOAT64 "FLOAT" and INT64 "INTEGER")
_BIGQUERY_TYPES = {_STRING: {"STRING"}, _NUMBER: {"FLOAT", "FLOAT64", "NUMERIC", "BIGNUMERIC", "INTEGER", "INT64"},
                   _TIME: {"TIMESTAMP", "STRING"}}
VALUE_TYPE = pa.decimal128(38, 9)
TIME_TYPE = pa.timestamp("us", tz="UTC")
_ARROW = {_STRING: pa.string(), _NUMBER: VALUE_TYPE, _TIME: TIME_TYPE}
SNAPSHOT_ROWS = "snapshot_rows"
RAW_COLUMNS: list[tuple[str, pa.DataType]] = [(name, _ARROW[kind]) for name, _, kind in _COLUMNS] + [
    (SNAPSHOT_ROWS, pa.int64())]
_NINE_PLACES = decimal.Decimal("1e-9")
_DECIMAL_CONTEXT = decimal.Context(prec=38, rounding=decimal.ROUND_HALF_EVEN, traps=[decimal.InvalidOperation])


def arrow_schema() -> pa.Schema:
    """The pyarrow schema of the raw `cud_subscriptions` table."""
    return pa.schema([pa.field(name, kind) for name, kind in RAW_COLUMNS])


def _dotted(path: tuple[str, ...], amount: str) -> str:
    return ".".join(amount if part == AMOUNT else part for part in path)


def check_table(bq_schema: list, table: str) -> str:
    """The name of the commitment amount's record in a CUD export table schema, after checking the table has every
    documented field with a usable type; else BillingExportError naming the table and the missing (or mistyped)
    fields."""
    fields = {field.name.lower(): field for field in bq_schema}
    amount = next((name for name in AMOUNT_RECORDS if name in fields), AMOUNT_RECORDS[0])
    missing, mistyped = [], []
    for _, path, kind in _COLUMNS:
        field = fields.get(amount if path[0] == AMOUNT else path[0])
        for part in path[1:]:
            field = {f.name.lower(): f for f in (field.fields or ())}.get(part) if field is not None else None
        if field is None:
            missing.append(_dotted(path, amount))
        elif field.field_type.upper() not in _BIGQUERY_TYPES[kind] or (field.mode or "").upper() == "REPEATED":
            mistyped.append(f"{_dotted(path, amount)} is {field.mode or 'NULLABLE'} {field.field_type}, expected "
                            f"{' or '.join(sorted(_BIGQUERY_TYPES[kind]))}")
    if missing:
        raise BillingExportError(f"{WHAT} {table} does not have the fields of Google's CUD metadata export: missing "
                                 f"{', '.join(missing)}")
    if mistyped:
        raise BillingExportError(f"{WHAT} {table}: {'; '.join(mistyped)}")
    return amount


def build_query(table: str, amount: str) -> str:
    """Standard SQL reading the whole table with its records flattened into the raw columns (raw types come later)."""
    columns = ",\n  ".join(f"t.{_dotted(path, amount)} AS {name}" for name, path, _ in _COLUMNS)
    return f"SELECT\n  {columns}\nFROM `{table}` AS t\nORDER BY subscription_instance_id, start_time"


def read_snapshot(client: Any, table: str, sql: str, maximum_bytes_billed: int | None = None) -> pa.Table:
    """The result of `sql` (the whole table, a small snapshot) as one Arrow table; the job's bytes are logged."""
    from google.api_core import exceptions as gexc
    from google.cloud import bigquery

    config = bigquery.QueryJobConfig(use_legacy_sql=False)
    if maximum_bytes_billed:
        config.maximum_bytes_billed = int(maximum_bytes_billed)
    try:
        job = client.query(sql, job_config=config)
        rows = job.result()
        result = rows.to_arrow(create_bqstorage_client=False)
    except gexc.GoogleAPICallError as exc:
        raise wrap_error(table, exc, "running the snapshot query", WHAT) from exc
    log.info("BigQuery snapshot query job %s on %s: %s bytes processed, %s bytes billed, %s rows", job.job_id, table,
             job.total_bytes_processed, job.total_bytes_billed, result.num_rows)
    return result


def _row_name(result: pa.Table, row: int) -> str:
    def value(name: str):
        return result.column(name)[row].as_py()

    return (f"subscription.instance_id {value('subscription_instance_id')!r}, subscription.display_name "
            f"{value('subscription_display_name')!r}, consumption_model.description "
            f"{value('consumption_model_description')!r}")


def _bad(table: str, problem: str, result: pa.Table, row: int) -> BillingExportError:
    return BillingExportError(f"{WHAT} {table}: {problem} in the row with {_row_name(result, row)}")


def parse_timestamp(text: str) -> datetime:
    """An RFC 3339 timestamp (`T`/`t`/space between date and time, `Z`, an offset or a trailing ` UTC`; without
    one UTC, as BigQuery reads it) as an aware UTC datetime; ValueError if it is none."""
    value = text.strip().upper()
    if value.endswith(" UTC"):
        value = value[:-4] + "+00:00"
    if len(value) < 19:  # a date alone, or a time without seconds: not a timestamp
        raise ValueError(f"{text!r} has no time of day")
    parsed = datetime.fromisoformat(value)  # fractions beyond microseconds are dropped
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _times(result: pa.Table, name: str, table: str) -> pa.Array:
    column = result.column(name)
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        return pc.cast(column, TIME_TYPE)
    values = []
    for row, text in enumerate(column.to_pylist()):
        try:
            values.append(None if text is None else parse_timestamp(text))
        except ValueError:
            raise _bad(table, f"{name} {text!r} is not an RFC 3339 timestamp", result, row) from None
    return pa.array(values, TIME_TYPE)


def exact_decimal(value: Any) -> decimal.Decimal | None:
    """A commitment amount as decimal(38, 9): a float through its shortest repr (Decimal(repr(x)), never binary
    arithmetic), a Decimal or int as it is; rounded half-even to 9 places. ValueError if not finite or too large."""
    if value is None:
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        value = decimal.Decimal(repr(value))
    elif not isinstance(value, decimal.Decimal):
        value = decimal.Decimal(int(value))
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite number")
    try:
        return value.quantize(_NINE_PLACES, context=_DECIMAL_CONTEXT)
    except decimal.InvalidOperation:
        raise ValueError(f"{value} does not fit decimal(38, 9)") from None


def _values(result: pa.Table, table: str) -> pa.Array:
    column = result.column("commitment_amount_value")
    if pa.types.is_decimal(column.type) and column.type == VALUE_TYPE:
        return column.combine_chunks()
    values = []
    for row, value in enumerate(column.to_pylist()):
        try:
            values.append(exact_decimal(value))
        except ValueError as exc:
            raise _bad(table, f"the commitment amount's value {exc}", result, row) from None
    return pa.array(values, VALUE_TYPE)


def sentinel_table() -> pa.Table:
    """The raw table of an empty snapshot: one row, snapshot_rows 0, every other column NULL."""
    schema = arrow_schema()
    return pa.table({field.name: pa.array([0], field.type) if field.name == SNAPSHOT_ROWS else pa.nulls(1, field.type)
                     for field in schema}, schema=schema)


def to_raw_table(result: pa.Table, table: str) -> pa.Table:
    """The snapshot query's `result` (the columns of `build_query`) as the raw table, after checking every row: a
    NULL subscription.instance_id, start_time or end_time, an unparsable time string, an end before its start or an
    amount that is no finite decimal(38, 9) fails naming the table and the first bad row; nothing is dropped."""
    if result.num_rows == 0:
        return sentinel_table()
    missing_id = result.column("subscription_instance_id").is_null().to_pylist()
    if any(missing_id):
        raise _bad(table, "subscription.instance_id is NULL", result, missing_id.index(True))
    times = {name: _times(result, name, table) for name in ("start_time", "end_time")}
    for name, column in times.items():
        missing = column.is_null().to_pylist()
        if any(missing):
            raise _bad(table, f"{name} is NULL", result, missing.index(True))
    backwards = pc.less(times["end_time"], times["start_time"]).to_pylist()
    if any(backwards):
        row = backwards.index(True)
        raise _bad(table, f"end_time {times['end_time'][row].as_py().isoformat()} is before start_time "
                          f"{times['start_time'][row].as_py().isoformat()}", result, row)
    schema = arrow_schema()
    columns: dict[str, pa.Array] = {}
    for name, _, kind in _COLUMNS:
        if kind == _TIME:
            columns[name] = times[name]
        elif kind == _NUMBER:
            columns[name] = _values(result, table)
        else:
            columns[name] = pc.cast(result.column(name), pa.string())
    columns[SNAPSHOT_ROWS] = pa.array([result.num_rows] * result.num_rows, pa.int64())
    return pa.table(columns, schema=schema)
