"""Checks an Azure FOCUS export run must pass before it may replace a month's data.

Every check raises FocusExportError naming the blob (and column and row where there is one); they
run while the month is extracted, before anything is loaded, so a failed run leaves the month's
previous data in place.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from .errors import FocusExportError

# Columns without which a row cannot be costed or placed in its month, with the kind each holds
# (after conforming). A file without one of them would load silently wrong.
REQUIRED_COLUMNS = {
    "BilledCost": "number",
    "EffectiveCost": "number",
    "BillingCurrency": "string",
    "BillingPeriodStart": "timestamp",
    "ChargePeriodStart": "timestamp",
    "ChargeCategory": "string",
}


def check_manifest_blobs(manifest_url: str, blobs: list[dict], manifest: dict) -> None:
    """A manifest lists its partitions, each by name and once (a repeated one would load twice). A run
    without rows lists none (`blobs: []`, `blobCount: 0`, `dataRowCount: 0`, as Cost Management writes a
    month with no cost, and Microsoft's FinOps toolkit reads it): the month is then empty. A manifest that
    lists none but counts blobs or rows is not that: it fails."""
    if not blobs:
        counts = {name: manifest.get(name) for name in ("blobCount", "dataRowCount") if manifest.get(name) is not None}
        if any(not isinstance(v, int) or isinstance(v, bool) or v != 0 for v in counts.values()):
            raise FocusExportError(f"manifest {manifest_url} lists no blobs but says {counts}")
        return
    names = [b.get("blobName") if isinstance(b, dict) else None for b in blobs]
    if not all(isinstance(n, str) and n.strip() for n in names):
        raise FocusExportError(f"manifest {manifest_url}: every entry of `blobs` needs a blobName, got {blobs!r}")
    repeated = sorted(n for n, count in Counter(names).items() if count > 1)
    if repeated:
        raise FocusExportError(f"manifest {manifest_url} lists {repeated} more than once")


def check_blob_present(filesystem, blob_url: str, path: str, byte_count: int | None, manifest_url: str) -> None:
    """The blob the manifest lists exists with the size the manifest gives it (a short blob is a
    truncated upload: loading it would lose rows)."""
    try:
        info = filesystem.info(path)
    except FileNotFoundError:
        raise FocusExportError(f"data blob {blob_url} listed in manifest {manifest_url} does not exist") from None
    if byte_count is not None and int(info.get("size") or 0) != int(byte_count):
        raise FocusExportError(
            f"data blob {blob_url} has {info.get('size')} bytes, manifest {manifest_url} says {byte_count}"
        )


def _kind_ok(kind: str, data_type: pa.DataType) -> bool:
    if kind == "number":
        return pa.types.is_floating(data_type)
    if kind == "timestamp":
        return pa.types.is_timestamp(data_type)
    return pa.types.is_string(data_type) or pa.types.is_large_string(data_type) or pa.types.is_null(data_type)


def _first(mask) -> int | None:
    """Index of the first true value of a boolean mask (nulls are false), else None."""
    mask = pc.fill_null(mask, False)
    if not pc.any(mask).as_py():
        return None
    return pc.index(mask, True).as_py()


def check_batch(table: pa.Table, month_start: datetime, month_end: datetime, blob_url: str, first_row: int) -> None:
    """Required columns there with their kind; money and quantities finite; every row's billing
    period in the export's month (a row of another month would be counted twice, once in each
    month's load); a charge period on every row. `first_row`: 1-based data row of the batch's first."""
    for name, kind in REQUIRED_COLUMNS.items():
        if name not in table.column_names:
            raise FocusExportError(f"data blob {blob_url}: required column {name} is missing")
        if not _kind_ok(kind, table.schema.field(name).type):
            raise FocusExportError(
                f"data blob {blob_url}: column {name} has type {table.schema.field(name).type}, expected a {kind}"
            )
    for name in table.column_names:
        column = table[name]
        if pa.types.is_floating(column.type):
            bad = _first(pc.invert(pc.is_finite(column)))
            if bad is not None:
                raise FocusExportError(
                    f"data blob {blob_url}: column {name} row {first_row + bad} is {column[bad].as_py()!r}, "
                    "expected a finite number"
                )
    for name in ("BilledCost", "EffectiveCost", "ChargePeriodStart", "BillingPeriodStart"):
        missing = _first(table[name].is_null())
        if missing is not None:
            raise FocusExportError(f"data blob {blob_url}: column {name} row {first_row + missing} is empty")
    period = table["BillingPeriodStart"]
    lower, upper = pa.scalar(month_start, period.type), pa.scalar(month_end, period.type)
    outside = _first(pc.or_(pc.less(period, lower), pc.greater_equal(period, upper)))
    if outside is not None:
        raise FocusExportError(
            f"data blob {blob_url}: column BillingPeriodStart row {first_row + outside} is "
            f"{period[outside].as_py()}, outside the export's month {month_start:%Y-%m}"
        )
