"""One query result page (an Arrow record batch) -> the flat raw table, column by column.

The page has the columns of `query.build_query` (export fields, `row_occurrence`,
`export_batch_rows`); the raw table is `schema.arrow_schema`. Per row, as README-contract.md says:
repeated / nested fields as JSON text, `credits_amount` = math.fsum of the credit amounts, and
`row_key` = the first 32 hex digits of SHA-256 over the canonical JSON list of the row's values of the
keyed columns (every export column but `schema.UNKEYED_COLUMNS`, in their order) and its occurrence
(row_key.py). Everything but the SHA-256 itself is Arrow compute; values whose text Arrow cannot write
like Python are written by Python (see json_text), so the keys never change.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from include.sources.gcp_billing import distinct, json_text
from include.sources.gcp_billing.errors import BillingExportError
from include.sources.gcp_billing.row_key import row_keys
from include.sources.gcp_billing.schema import UNKEYED_COLUMNS, export_columns


def batch_key(export_time: datetime | None) -> str:
    """The state's name of an export batch: fixed-width UTC ISO time (sorts like the timestamps and
    round-trips via fromisoformat); "" for a NULL export_time."""
    if not export_time:
        return ""
    return export_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _row_name(page: pa.RecordBatch, row: int) -> str:
    value = {name: page.column(name)[row].as_py()
             for name in ("export_time", "project_id", "service_description", "sku_id", "usage_start_time")}
    return (f"export_time {value['export_time']}, project {value['project_id']!r}, "
            f"service {value['service_description']!r}, sku {value['sku_id']!r}, "
            f"usage_start_time {value['usage_start_time']}")


def _is_number(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)


def check_page(page: pa.RecordBatch, table: str) -> None:
    """Values the figures cannot do without. The first bad row is named and nothing of the page is
    written: an empty invoice.month, or a credit amount that is not a number."""
    n = page.num_rows
    invoice_month = page.column("invoice_month")
    no_month = pc.fill_null(pc.equal(pc.cast(invoice_month, pa.string()), ""), True).to_numpy(zero_copy_only=False)
    credits = page.column("credits")
    bad_credit = np.zeros(n, dtype=bool)
    amounts = None
    if not pa.types.is_null(credits.type):
        amounts = pc.struct_field(credits.flatten(), "amount")
        if not _is_number(amounts.type):
            has_amount = amounts.is_valid().to_numpy(zero_copy_only=False)
            parents = np.repeat(np.arange(n), json_text._lengths(credits))
            bad_credit[parents[has_amount]] = True
    bad = np.flatnonzero(no_month | bad_credit)
    if not len(bad):
        return
    row = int(bad[0])
    if no_month[row]:
        raise BillingExportError(
            f"GCP billing export table {table}: invoice.month is NULL in the row with {_row_name(page, row)}")
    for number, credit in enumerate(credits[row].as_py(), start=1):
        amount = credit.get("amount")
        if amount is not None:
            raise BillingExportError(
                f"GCP billing export table {table}: credits.amount of credit {number} is {type(amount).__name__} "
                f"{amount!r}, not a number, in the row with {_row_name(page, row)}")


def credits_total(credits: pa.Array) -> pa.Array:
    """math.fsum of each row's credit amounts (NULL amounts count 0; 0.0 without credits).

    A sum of one or two doubles rounded once is what fsum returns, so those are summed in numpy
    (+ 0.0, as fsum never returns -0.0); rows with more credits use fsum over the page's amounts as one
    list, and non-float amounts fsum over each row's records.
    """
    n = len(credits)
    if pa.types.is_null(credits.type):
        return pa.array(np.zeros(n))
    amounts = pc.struct_field(credits.flatten(), "amount")
    lengths = json_text._lengths(credits)
    total = np.zeros(n)
    if pa.types.is_floating(amounts.type):
        flat = pc.fill_null(pc.cast(amounts, pa.float64()), 0.0).to_numpy(zero_copy_only=False)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        one, two = (lengths == 1) | (lengths == 2), (lengths == 2)
        total[one] = flat[starts[one]]
        total[two] += flat[starts[two] + 1]
        total += 0.0
        rows = np.flatnonzero(lengths > 2)
        if len(rows):  # fsum of the row's amounts (nulls as 0.0; a zero's sign never shows in fsum's result)
            exact = flat.tolist()
            for row, start, length in zip(rows.tolist(), starts[rows].tolist(), lengths[rows].tolist(), strict=True):
                total[row] = math.fsum(exact[start:start + length])
        return pa.array(total, pa.float64())
    for row in np.flatnonzero(lengths > 0):
        total[row] = math.fsum(item["amount"] or 0.0 for item in credits[int(row)].as_py())
    return pa.array(total, pa.float64())


def batch_counts(page: pa.RecordBatch, export_time: str = "export_time") -> dict[str, int]:
    """Row count of each export batch in the page: {batch_key(export time): export_batch_rows}."""
    times = pc.dictionary_encode(page.column(export_time), null_encoding="encode")
    _, first = np.unique(times.indices.to_numpy(zero_copy_only=False), return_index=True)
    rows = page.column("export_batch_rows").take(pa.array(first)).to_pylist()
    return {batch_key(t): n for t, n in zip(times.dictionary.to_pylist(), rows, strict=True)}


def without_loaded_batches(page: pa.RecordBatch, skip: dict[str, int] | None, seen: dict[str, int],
                           export_time: str = "export_time") -> pa.RecordBatch:
    """The page without the rows of export batches in `skip` that still have the same row count; every
    batch's row count is recorded in `seen`. Rows sharing an export time share export_batch_rows (a COUNT
    over that partition of the query), so a batch is skipped or kept whole."""
    counts = batch_counts(page, export_time)
    seen.update(counts)
    skipped = [key for key, rows in counts.items() if skip and skip.get(key) == rows]
    if not skipped:
        return page
    times = [datetime.fromisoformat(key) for key in skipped if key]
    drop = pc.is_in(page.column(export_time), value_set=pa.array(times, page.column(export_time).type))
    if "" in skipped:
        drop = pc.or_(drop, page.column(export_time).is_null())
    return page.filter(pc.invert(pc.fill_null(drop, False)))


def to_raw_table(page: pa.RecordBatch, export_type: str, schema: pa.Schema, skip: dict[str, int] | None,
                 seen: dict[str, int], table: str = "?") -> pa.Table:
    """Flatten one result page into the raw table; drop rows of export batches in `skip` that
    still have the same row count; record every batch's row count in `seen`.

    Rows sharing an export_time share export_batch_rows (a COUNT over that partition of the query),
    so a batch is skipped or kept whole.
    """
    check_page(page, table)
    page = without_loaded_batches(page, skip, seen)

    out: dict[str, pa.Array] = {}
    values = []
    for name, _, kind, _ in export_columns(export_type):
        column = page.column(name)
        if kind == "kv":
            column = distinct.written_per_distinct(column, json_text.kv_object_json)
        elif kind == "array":
            column = distinct.written_per_distinct(column, json_text.array_json)
        if name not in UNKEYED_COLUMNS:  # written, not keyed: the keys stay those computed before they existed
            values.append(column)  # the row key reuses a dictionary array's distinct texts
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        out[name] = pc.cast(column, schema.field(name).type)
    occurrence = pc.cast(page.column("row_occurrence"), pa.int64())
    out["credits_amount"] = credits_total(page.column("credits"))
    out["export_type"] = pa.repeat(pa.scalar(export_type, pa.string()), page.num_rows)
    out["row_occurrence"] = occurrence
    out["row_key"] = row_keys(values, occurrence)
    return pa.Table.from_pydict(out, schema=schema)
