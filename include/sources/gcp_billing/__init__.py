"""dlt source for the Cloud Billing export to BigQuery (verified-source style).

    gcp_billing_source(client, "project.dataset.gcp_billing_export_v1_XXXXXX_XXXXXX_XXXXXX")

One resource, `billing_export`, yields pyarrow tables (one per result page) of the flat raw table
described in `schema.py` and `include/sql/gcp/README-contract.md`. Reads the standard export
(`gcp_billing_export_v1_*`) or the detailed resource-level export (`gcp_billing_export_resource_v1_*`),
never both: the export type is part of the resource state and switching tables reloads from scratch.

Modes, chosen at run time from the arguments and the resource state:

* full (first run, `full_refresh=True`, or the configured table / export type changed): reads the
  whole table, write disposition `replace`.
* incremental (default afterwards): reads rows with `export_time >= cursor - lookback_days`
  (partition filter on the table's partition column as well), appends. Google appends rows in
  export batches that share one `export_time`; the state keeps the row count of each batch in the
  lookback window, and a batch already loaded with the same count is not appended again. Rows
  that still come twice (a batch that grew) carry the same `row_key`, which the SQL layer dedups on.
* invoice months (`invoice_months=[...]`): reads exactly those invoice months (bounded export-time
  window, partition-pruned) and appends them; `include.loaders.gcp.load` then removes the rows of
  those months that earlier loads wrote in the same export-time window, so the month is replaced.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import dlt

from include.sources.gcp_billing.helpers import (
    array_json,
    client_from_connection,
    credits_total,
    kv_object_json,
    row_content_hash,
)
from include.sources.gcp_billing.schema import (
    DETAILED,
    EXPORT_TYPES,
    NULL_TYPES,
    STANDARD,
    arrow_schema,
    export_columns,
    missing_fields,
    present_columns,
)

__all__ = [
    "BillingExportError",
    "gcp_billing_source",
    "client_from_connection",
    "detect_export_type",
    "month_window",
    "normalize_invoice_months",
]

log = logging.getLogger(__name__)

RESOURCE_NAME = "billing_export"
DEFAULT_LOOKBACK_DAYS = 5
DEFAULT_PARTITION_SLACK_DAYS = 1
DEFAULT_MONTH_TAIL_DAYS = 40
DEFAULT_PAGE_SIZE = 20_000


class BillingExportError(RuntimeError):
    """The billing export table cannot be read as configured (missing, schema, permissions)."""


def detect_export_type(table: str) -> str:
    """`detailed` for gcp_billing_export_resource_v1_*, else `standard`."""
    name = table.rsplit(".", 1)[-1].lower()
    return DETAILED if name.startswith("gcp_billing_export_resource_v1") else STANDARD


def normalize_invoice_months(months: Sequence[str | int] | str | None) -> list[str]:
    """["202609", "2026-10", 202611] -> ["202609", "202610", "202611"] (sorted, unique, validated)."""
    if months is None or months == "":
        return []
    if isinstance(months, (str, int)):
        months = [m for m in str(months).replace(",", " ").split()]
    out = set()
    for month in months:
        digits = str(month).strip().replace("-", "")
        if len(digits) != 6 or not digits.isdigit() or not 1 <= int(digits[4:]) <= 12:
            raise ValueError(f"invoice month {month!r} is not YYYYMM")
        out.add(digits)
    return sorted(out)


def _month_start(month: str) -> datetime:
    return datetime(int(month[:4]), int(month[4:]), 1, tzinfo=UTC)


def _next_month(start: datetime) -> datetime:
    return datetime(start.year + (start.month == 12), start.month % 12 + 1, 1, tzinfo=UTC)


def month_window(months: Sequence[str], tail_days: int = DEFAULT_MONTH_TAIL_DAYS) -> tuple[datetime, datetime]:
    """Export-time window [from, to) read for an invoice-month reload of `months` (YYYYMM).

    From one day before the first month starts (invoice months follow US Pacific time) to
    `tail_days` days after the last month ends (late rows, credits and adjustments of a month).
    """
    months = normalize_invoice_months(months)
    start = _month_start(months[0]) - timedelta(days=1)
    end = _next_month(_month_start(months[-1])) + timedelta(days=tail_days)
    return start, end


def _wrap_error(table: str, exc: Exception, doing: str) -> BillingExportError:
    from google.api_core import exceptions as gexc

    if isinstance(exc, gexc.NotFound):
        msg = f"GCP billing export table {table} was not found while {doing} (check project, dataset and table name): {exc}"
    elif isinstance(exc, (gexc.Forbidden, gexc.Unauthorized)):
        msg = (
            f"permission denied on GCP billing export table {table} while {doing}: the credentials need "
            f"bigquery.tables.get / bigquery.tables.getData on the table and bigquery.jobs.create on the "
            f"project: {exc}"
        )
    else:
        msg = f"reading GCP billing export table {table} failed while {doing}: {exc}"
    return BillingExportError(msg)


def _partition_expression(bq_table: Any) -> str | None:
    """The column to prune partitions on, or None if the table is not time-partitioned."""
    tp = getattr(bq_table, "time_partitioning", None)
    if tp is None:
        return None
    if tp.field:
        return f"t.`{tp.field}`"
    # unqualified: bqemulator only rewrites the bare pseudo-column (BigQuery accepts both)
    return "_PARTITIONTIME"


def build_query(table: str, export_type: str, where: str = "TRUE", present: set[str] | None = None) -> str:
    """SELECT of the flattened export columns plus `row_occurrence` (n-th identical row) and
    `export_batch_rows` (rows sharing this row's export_time in the result). Columns not in `present`
    (optional fields the table does not have; default: all present) are read as NULL."""
    cols = [
        (name, expr if present is None or name in present else f"CAST(NULL AS {NULL_TYPES[type_]})", kind, type_)
        for name, expr, kind, type_ in export_columns(export_type)
    ]
    inner = ",\n    ".join(f"{expr} AS {name}" for name, expr, _, _ in cols)
    content = ", ".join(f"{expr} AS {name}" for name, expr, _, _ in cols)
    outer = ", ".join(name for name, _, _, _ in cols)
    return (
        f"SELECT {outer},\n"
        f"  ROW_NUMBER() OVER (PARTITION BY _content) AS row_occurrence,\n"
        f"  COUNT(*) OVER (PARTITION BY export_time) AS export_batch_rows\n"
        f"FROM (\n  SELECT\n    {inner},\n    TO_JSON_STRING(STRUCT({content})) AS _content\n"
        f"  FROM `{table}` AS t\n  WHERE {where}\n)"
    )


def _ts_key(ts: datetime) -> str:
    """Fixed-width UTC ISO string: sorts like the timestamps and round-trips via fromisoformat."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _row_name(row: dict) -> str:
    return (f"export_time {row.get('export_time')}, project {row.get('project_id')!r}, "
            f"service {row.get('service_description')!r}, sku {row.get('sku_id')!r}, "
            f"usage_start_time {row.get('usage_start_time')}")


def _check_row(table: str, row: dict) -> None:
    """Values the figures cannot do without: the row is named, nothing of the page is written."""
    if not row.get("invoice_month"):
        raise BillingExportError(f"GCP billing export table {table}: invoice.month is NULL in the row with {_row_name(row)}")
    for number, credit in enumerate(row.get("credits") or [], start=1):
        amount = credit.get("amount")
        if amount is not None and (isinstance(amount, bool) or not isinstance(amount, (int, float, Decimal))):
            raise BillingExportError(
                f"GCP billing export table {table}: credits.amount of credit {number} is {type(amount).__name__} "
                f"{amount!r}, not a number, in the row with {_row_name(row)}")


def _to_raw_table(batch, export_type: str, schema, skip: dict[str, int] | None, seen: dict[str, int],
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
            values.append(value)
        occurrence = int(row["row_occurrence"])
        out["credits_amount"].append(credits_total(row["credits"]))
        out["export_type"].append(export_type)
        out["row_occurrence"].append(occurrence)
        out["row_key"].append(row_content_hash(values + [occurrence])[:32])
    return pa.Table.from_pydict(out, schema=schema)


@dlt.source(name="gcp_billing", max_table_nesting=0)
def gcp_billing_source(
    client: Any,
    table: str,
    export_type: str | None = None,
    lookback_days: float = DEFAULT_LOOKBACK_DAYS,
    invoice_months: Sequence[str] | None = None,
    full_refresh: bool = False,
    month_tail_days: int = DEFAULT_MONTH_TAIL_DAYS,
    partition_slack_days: int = DEFAULT_PARTITION_SLACK_DAYS,
    page_size: int = DEFAULT_PAGE_SIZE,
    maximum_bytes_billed: int | None = None,
    start_month: str | None = None,
):
    """Cloud Billing export rows from BigQuery `table` ("project.dataset.table").

    `client`: a google.cloud.bigquery.Client (see `client_from_connection`). `export_type`:
    "standard" or "detailed" (default: from the table name). `lookback_days`: how far before the last
    loaded export_time each incremental run re-reads. `invoice_months`: reload exactly these months
    (YYYYMM). `full_refresh`: reload the whole table (replace). `maximum_bytes_billed`: per-query
    BigQuery guard rail. `start_month` (YYYYMM): full loads read only rows exported from that month on
    (partition-pruned) instead of the whole table.

    The table and its schema are checked when the source is created: a missing table, missing
    expected fields or a permission error raise `BillingExportError` naming the table.
    """
    from google.api_core import exceptions as gexc

    export_type = (export_type or detect_export_type(table)).lower()
    if export_type == "resource":
        export_type = DETAILED
    if export_type not in EXPORT_TYPES:
        raise ValueError(f"export_type {export_type!r} must be one of {EXPORT_TYPES}")
    if table.count(".") != 2:
        raise ValueError(f"billing table {table!r} must be 'project.dataset.table'")
    months = normalize_invoice_months(invoice_months)
    export_floor = _month_start(normalize_invoice_months([start_month])[0]) - timedelta(days=1) if start_month else None
    if lookback_days < 0:
        raise ValueError("lookback_days must be >= 0")

    try:
        bq_table = client.get_table(table)
    except gexc.GoogleAPICallError as exc:
        raise _wrap_error(table, exc, "reading its metadata") from exc
    missing = missing_fields(bq_table.schema, export_type)
    if missing:
        raise BillingExportError(
            f"GCP billing export table {table} does not have the fields of the {export_type} export: "
            f"missing {', '.join(missing)}"
        )
    present = present_columns(bq_table.schema, export_type)
    absent = [name for name, *_ in export_columns(export_type) if name not in present]
    if absent:
        log.info("%s has no %s: read as NULL", table, ", ".join(absent))
    partition_expr = _partition_expression(bq_table)
    if partition_expr is None:
        log.warning("%s is not time-partitioned: queries cannot prune partitions", table)
    schema = arrow_schema(export_type)

    def run_query(where: str, params: list, purpose: str):
        from google.cloud import bigquery

        sql = build_query(table, export_type, where, present)
        config = bigquery.QueryJobConfig(query_parameters=params, use_legacy_sql=False)
        if maximum_bytes_billed:
            config.maximum_bytes_billed = int(maximum_bytes_billed)
        log.info(
            "BigQuery %s query on %s: WHERE %s %s",
            purpose,
            table,
            where,
            {p.name: getattr(p, "value", getattr(p, "values", None)) for p in params},
        )
        try:
            job = client.query(sql, job_config=config)
            rows = job.result(page_size=page_size)
        except gexc.GoogleAPICallError as exc:
            raise _wrap_error(table, exc, f"running the {purpose} query") from exc
        log.info(
            "BigQuery %s query job %s on %s: %s bytes processed, %s bytes billed, %s rows",
            purpose,
            job.job_id,
            table,
            job.total_bytes_processed,
            job.total_bytes_billed,
            rows.total_rows,
        )
        return rows

    def partition_filter(lower: datetime) -> tuple[str, list]:
        """Prune partitions older than the day of `lower` minus `partition_slack_days`.

        Only a lower bound: with ingestion-time partitions a row lands on or after its export_time,
        so no partition after the window can be skipped safely for a month reload either.
        """
        from google.cloud import bigquery

        if partition_expr is None:
            return "", []
        lo = datetime.combine(lower.date(), datetime.min.time(), tzinfo=UTC)
        lo -= timedelta(days=partition_slack_days)
        return f"{partition_expr} >= @partition_from AND ", [
            bigquery.ScalarQueryParameter("partition_from", "TIMESTAMP", lo)
        ]

    @dlt.resource(name=RESOURCE_NAME, write_disposition="append")
    def billing_export() -> Iterator[Any]:
        from google.cloud import bigquery

        state = dlt.current.resource_state()
        cursor = state.get("cursor")
        if (
            full_refresh
            or cursor is None
            or state.get("source_table") != table
            or state.get("export_type") != export_type
        ):
            if not full_refresh and cursor is not None:
                log.warning(
                    "billing table changed from %s (%s) to %s (%s): reloading everything from the new table",
                    state.get("source_table"),
                    state.get("export_type"),
                    table,
                    export_type,
                )
            mode = "full"
        elif months:
            mode = "months"
        else:
            mode = "incremental"
        if months and mode == "full" and not full_refresh and cursor is None:
            mode = "months"  # nothing loaded yet: a month reload just appends those months

        skip: dict[str, int] | None = None
        if mode == "full" and export_floor:
            pfilter, params = partition_filter(export_floor)
            where = pfilter + "t.export_time >= @export_from"
            params.append(bigquery.ScalarQueryParameter("export_from", "TIMESTAMP", export_floor))
        elif mode == "full":
            where, params = "TRUE", []
        elif mode == "months":
            start, end = month_window(months, month_tail_days)
            pfilter, params = partition_filter(start)
            where = (
                pfilter + "t.export_time >= @export_from AND t.export_time < @export_to"
                " AND t.invoice.month IN UNNEST(@invoice_months)"
            )
            params += [
                bigquery.ScalarQueryParameter("export_from", "TIMESTAMP", start),
                bigquery.ScalarQueryParameter("export_to", "TIMESTAMP", end),
                bigquery.ArrayQueryParameter("invoice_months", "STRING", months),
            ]
        else:
            lower = datetime.fromisoformat(cursor) - timedelta(days=lookback_days)
            pfilter, params = partition_filter(lower)
            where = pfilter + "t.export_time >= @export_from"
            params.append(bigquery.ScalarQueryParameter("export_from", "TIMESTAMP", lower))
            skip = dict(state.get("batches") or {})

        rows = run_query(where, params, mode)
        seen: dict[str, int] = {}
        emitted = 0
        first = True
        for batch in rows.to_arrow_iterable():
            tbl = _to_raw_table(batch, export_type, schema, skip, seen, table)
            if tbl.num_rows == 0 and not (first and mode == "full"):
                continue
            emitted += tbl.num_rows
            if first and mode == "full":
                yield dlt.mark.with_hints(tbl, dlt.mark.make_hints(write_disposition="replace"))
            else:
                yield tbl
            first = False
        if first and mode == "full":  # empty export: still replace what was loaded before
            yield dlt.mark.with_hints(schema.empty_table(), dlt.mark.make_hints(write_disposition="replace"))
        log.info(
            "%s load of %s: %s rows read, %s rows emitted, %s export batches",
            mode,
            table,
            rows.total_rows,
            emitted,
            len(seen),
        )

        if mode in ("full", "incremental"):
            batches = dict(state.get("batches") or {}) if mode == "incremental" else {}
            batches.update(seen)
            candidates = [k for k in seen if k] + ([cursor] if mode == "incremental" and cursor else [])
            last = max(candidates, default=None)
            if last is not None:
                keep_from = _ts_key(datetime.fromisoformat(last) - timedelta(days=lookback_days))
                state["batches"] = {k: v for k, v in sorted(batches.items()) if k >= keep_from}
                state["cursor"] = last
            else:
                state.pop("cursor", None)
                state["batches"] = {}
            state["source_table"] = table
            state["export_type"] = export_type

    return billing_export
