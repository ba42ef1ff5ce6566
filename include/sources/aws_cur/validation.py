"""Checks a CUR delivery must pass before it may replace a billing period's data.

Every check raises CurInputError naming the S3 object (and column and row where there is one); it
runs while the period is extracted, before anything is loaded, so a failed delivery leaves the
period's previous data in place.
"""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from .errors import CurInputError

# Columns without which a line item cannot be costed, as CUR 2.0 names them (legacy CUR headers are
# renamed first), with the kind of value each must hold. A file without one of them would load
# silently wrong (a cost of 0, every row dated 1970-01-01, every row an `Adjustment`).
REQUIRED_COLUMNS = {
    "line_item_unblended_cost": "number",
    "line_item_line_item_type": "string",
    "line_item_usage_start_date": "timestamp",
    "line_item_usage_end_date": "timestamp",
    "line_item_usage_account_id": "any",
    "line_item_product_code": "any",
    "line_item_currency_code": "string",
}
# Line item types that may refer to usage of earlier periods (a refund or credit of last month's
# charges appears in this month's bill): only their start may not be after the period.
LOOKBACK_TYPES = ("Refund", "Credit")


def check_distinct_files(manifest_path: str | None, data_files: list[str]) -> None:
    """A manifest lists each data file once: a repeated entry would load the file twice."""
    repeated = sorted(name for name, count in Counter(data_files).items() if count > 1)
    if repeated:
        raise CurInputError(
            f"manifest s3://{manifest_path} lists data file s3://{repeated[0]} more than once "
            f"({len(repeated)} repeated entries): refusing to load it twice"
        )


def check_files_present(filesystem, manifest_path: str | None, data_files: list[str]) -> None:
    """Every data file of the manifest exists, before anything of the delivery is read."""
    from pyarrow import fs

    try:
        infos = filesystem.get_file_info(list(data_files))
    except OSError as exc:
        raise CurInputError(f"cannot list the data files of manifest s3://{manifest_path}: {exc}") from exc
    missing = [info.path for info in infos if info.type != fs.FileType.File]
    if missing:
        raise CurInputError(
            f"CUR data file s3://{missing[0]} listed in the manifest does not exist "
            f"({len(missing)} of {len(data_files)} files of s3://{manifest_path} missing)"
        )


def period_bounds(billing_period: str) -> tuple[datetime, datetime]:
    year, month = (int(part) for part in billing_period.split("-"))
    start = datetime(year, month, 1, tzinfo=UTC)
    return start, start + timedelta(days=calendar.monthrange(year, month)[1])


def _kind_ok(kind: str, data_type: pa.DataType) -> bool:
    if pa.types.is_null(data_type):  # a column with no value in any row of the file
        return False
    if kind == "number":
        return pa.types.is_floating(data_type) or pa.types.is_integer(data_type) or pa.types.is_decimal(data_type)
    if kind == "timestamp":
        return pa.types.is_timestamp(data_type)
    if kind == "string":
        return pa.types.is_string(data_type) or pa.types.is_large_string(data_type)
    return True


def check_required_columns(schema: pa.Schema, source_file: str) -> None:
    """The required columns are in the file, each with a type that can hold its values."""
    for name, kind in REQUIRED_COLUMNS.items():
        if name not in schema.names:
            raise CurInputError(f"CUR data file {source_file}: required column {name} is missing")
        data_type = schema.field(name).type
        if not _kind_ok(kind, data_type):
            expected = "any type" if kind == "any" else f"a {kind}"
            raise CurInputError(f"CUR data file {source_file}: column {name} has type {data_type}, expected {expected}")


def _first(mask: pa.Array) -> int | None:
    """Index of the first true value of a boolean mask (nulls are false), else None."""
    mask = pc.fill_null(mask, False)
    if not pc.any(mask).as_py():
        return None
    return pc.index(mask, True).as_py()


def check_batch(table: pa.Table, billing_period: str, source_file: str, first_row: int) -> None:
    """Money and amounts finite; usage dates inside the billing period. `first_row` is the 1-based
    row number in the file of the batch's first row (for the message)."""
    check_required_columns(table.schema, source_file)
    for name in table.column_names:
        column = table[name]
        if not pa.types.is_floating(column.type):
            continue
        bad = _first(pc.invert(pc.is_finite(column)))
        if bad is not None:
            raise CurInputError(
                f"CUR data file {source_file}: column {name} row {first_row + bad} is {column[bad].as_py()!r}, "
                "expected a finite number"
            )
    start, end = period_bounds(billing_period)
    usage_start = table["line_item_usage_start_date"]
    missing = _first(usage_start.is_null())
    if missing is not None:
        raise CurInputError(
            f"CUR data file {source_file}: column line_item_usage_start_date row {first_row + missing} is empty"
        )
    lower = pa.scalar(start, usage_start.type)
    upper = pa.scalar(end, usage_start.type)
    may_look_back = pc.is_in(table["line_item_line_item_type"], value_set=pa.array(LOOKBACK_TYPES))
    # The period is [start, end); a row stamped exactly at the end (a tax or fee row covering the
    # whole period) is accepted, as is an earlier start for refunds and credits.
    too_early = pc.and_(pc.less(usage_start, lower), pc.invert(pc.fill_null(may_look_back, False)))
    outside = _first(pc.or_(too_early, pc.greater(usage_start, upper)))
    if outside is not None:
        raise CurInputError(
            f"CUR data file {source_file}: column line_item_usage_start_date row {first_row + outside} is "
            f"{usage_start[outside].as_py()}, outside billing period {billing_period} "
            f"(line item type {table['line_item_line_item_type'][outside].as_py()!r})"
        )
