"""AWS Data Exports "FOCUS 1.2 with AWS columns" (table FOCUS_1_2_AWS): telling it from CUR 2.0 and
reading its parquet files into the raw table `focus_export`.

AWS's table dictionary: "The FOCUS 1.2 with AWS columns table contains your cost and usage data formatted
with FinOps Open Cost and Usage Specification (FOCUS) [...] along with three additional columns from AWS
[...]: x_Discounts, x_Operation, and x_ServiceCode" (57 FOCUS columns + 3, docs.aws.amazon.com/cur/latest/
userguide/table-dictionary-focus-1-2-aws.html). It is delivered like CUR 2.0 (the same Data Exports layout:
`data/BILLING_PERIOD=YYYY-MM/` and `metadata/BILLING_PERIOD=YYYY-MM/<export>-Manifest.json`, the newest
delivery of a period replacing it), so discovery and the manifest checks are CUR 2.0's; only the columns
differ. Columns keep AWS's (FOCUS) names; maps (Tags, x_Discounts) become JSON text as in CUR 2.0.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .columns import conform_to_kind, map_to_json
from .deliveries import BillingPeriodDelivery
from .errors import CurInputError
from .reading import BATCH_ROWS
from .validation import period_bounds

RAW_TABLE = "focus_export"
# Columns only a FOCUS dataset has: a manifest (or file) with all of them is a FOCUS export.
FOCUS_MARKERS = frozenset({"BilledCost", "EffectiveCost", "ChargePeriodStart", "BillingAccountId"})
# Without these a row cannot be costed or placed in its billing period (FOCUS: none of them may be null).
REQUIRED_COLUMNS = {
    "BilledCost": "number",
    "EffectiveCost": "number",
    "BillingAccountId": "any",
    "BillingCurrency": "string",
    "BillingPeriodStart": "timestamp",
    "ChargePeriodStart": "timestamp",
    "ChargePeriodEnd": "timestamp",
    "ChargeCategory": "string",
}
NUMBER_SUFFIXES = ("Cost", "Quantity", "UnitPrice")
TIMESTAMP_COLUMNS = frozenset({"BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"})


def is_focus(column_names) -> bool:
    return FOCUS_MARKERS <= set(column_names)


def delivery_columns(filesystem, delivery: BillingPeriodDelivery) -> list[str]:
    """The columns of a delivery: its manifest's `columns`, else its first data file's schema."""
    if delivery.column_names:
        return delivery.column_names
    path = delivery.data_files[0]
    try:
        with filesystem.open_input_file(path) as handle:
            return pq.ParquetFile(handle).schema_arrow.names
    except (OSError, pa.ArrowException) as exc:
        raise CurInputError(f"cannot read the schema of data file s3://{path}: {exc}") from exc


def detect_kind(filesystem, deliveries: list[BillingPeriodDelivery]) -> str:
    """`focus` or `cur2` for a Data Exports export, from its newest delivery's columns. One export
    holds one table, so its newest delivery speaks for all of them."""
    if not deliveries:
        return "cur2"
    newest = max(deliveries, key=lambda d: d.billing_period)
    return "focus" if is_focus(delivery_columns(filesystem, newest)) else "cur2"


def _kind(name: str) -> str | None:
    if name in TIMESTAMP_COLUMNS:
        return "timestamp"
    if name.endswith(NUMBER_SUFFIXES) and not name.startswith("x_"):
        return "number"
    return None


def conform_column(name: str, column: pa.Array, source_file: str, first_row: int = 1) -> pa.Array:
    """Money and quantities as float64 (from numbers or number text), periods as UTC timestamps, maps as
    JSON text; another kind (a date in a cost column, text that is not a number) is bad input, named with
    its file and column."""
    if pa.types.is_map(column.type):
        return map_to_json(column)
    return conform_to_kind(name, column, _kind(name), f"FOCUS data file {source_file}", first_row)


def _first(mask) -> int | None:
    mask = pc.fill_null(mask, False)
    return pc.index(mask, True).as_py() if pc.any(mask).as_py() else None


def check_batch(table: pa.Table, billing_period: str, source_file: str, first_row: int) -> None:
    """Required columns with usable types and values; money finite; every row's billing period is
    the delivery's (a row of another period would be counted in two periods' loads)."""
    for name, kind in REQUIRED_COLUMNS.items():
        if name not in table.column_names:
            raise CurInputError(f"FOCUS data file {source_file}: required column {name} is missing")
        data_type = table.schema.field(name).type
        ok = {"number": pa.types.is_floating, "timestamp": pa.types.is_timestamp,
              "string": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t),
              "any": lambda t: not pa.types.is_null(t)}[kind](data_type)
        if not ok:
            raise CurInputError(f"FOCUS data file {source_file}: column {name} has type {data_type}, expected a {kind}")
        missing = _first(table[name].is_null())
        if missing is not None:
            raise CurInputError(f"FOCUS data file {source_file}: column {name} row {first_row + missing} is empty")
    for name in table.column_names:
        column = table[name]
        if pa.types.is_floating(column.type):
            bad = _first(pc.invert(pc.is_finite(column)))
            if bad is not None:
                raise CurInputError(f"FOCUS data file {source_file}: column {name} row {first_row + bad} is "
                                    f"{column[bad].as_py()!r}, expected a finite number")
    start, _ = period_bounds(billing_period)
    period = table["BillingPeriodStart"]
    other = _first(pc.not_equal(period, pa.scalar(start, period.type)))
    if other is not None:
        raise CurInputError(f"FOCUS data file {source_file}: column BillingPeriodStart row {first_row + other} is "
                            f"{period[other].as_py()}, not billing period {billing_period} of its delivery")


def prepare_batch(batch: pa.RecordBatch, billing_period: str, source_file: str, first_row: int) -> pa.Table:
    """The batch conformed, plus each row's billing period, file and 1-based row in the file: a FOCUS
    row has no line item id, so (file, row) is its identity and two identical rows stay two charges."""
    names = list(batch.schema.names)
    columns = [conform_column(name, column, source_file, first_row) for name, column in zip(names, batch.columns, strict=True)]
    rows = batch.num_rows
    columns += [pa.repeat(pa.scalar(billing_period), rows), pa.repeat(pa.scalar(source_file), rows),
                pa.array(range(first_row, first_row + rows), pa.int64())]
    return pa.Table.from_arrays(columns, names=[*names, "billing_period", "source_file", "source_row"])


def stream_parquet(filesystem, path: str, billing_period: str) -> Iterator[pa.Table]:
    """Row-group-sized, checked arrow tables of one FOCUS data file; errors name the file."""
    source_file = f"s3://{path}"
    try:
        with filesystem.open_input_file(path) as handle:
            first_row = 1
            for batch in pq.ParquetFile(handle).iter_batches(batch_size=BATCH_ROWS):
                table = prepare_batch(batch, billing_period, source_file, first_row)
                check_batch(table, billing_period, source_file, first_row)
                first_row += table.num_rows
                yield table
    except FileNotFoundError as exc:
        raise CurInputError(f"FOCUS data file {source_file} listed in the manifest does not exist") from exc
    except (OSError, pa.ArrowException) as exc:
        raise CurInputError(f"cannot read FOCUS data file {source_file}: {exc}") from exc
