"""The BigQuery SQL the source runs: flattened export columns, the WHERE of each load mode, the job."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from include.sources.gcp_billing.errors import wrap_error
from include.sources.gcp_billing.periods import month_window
from include.sources.gcp_billing.schema import NULL_TYPES

Column = tuple[str, str, str, str]  # output name, BigQuery expression (alias `t`), kind, arrow type name

log = logging.getLogger(__name__)


def partition_expression(bq_table: Any) -> str | None:
    """The column to prune partitions on, or None if the table is not time-partitioned."""
    tp = getattr(bq_table, "time_partitioning", None)
    if tp is None:
        return None
    if tp.field:
        return f"t.`{tp.field}`"
    # unqualified: bqemulator only rewrites the bare pseudo-column (BigQuery accepts both)
    return "_PARTITIONTIME"


def build_query(table: str, columns: Sequence[Column], where: str = "TRUE", present: set[str] | None = None,
                export_time: str = "export_time", unkeyed: Collection[str] = ()) -> str:
    """SELECT of the flattened export `columns` plus `row_occurrence` (n-th identical row) and
    `export_batch_rows` (rows sharing this row's export time, output column `export_time`, in the result).
    Columns not in `present` (optional fields the table does not have; default: all present) are read as NULL.

    Rows are identical when equal in every column but those named in `unkeyed` (columns the row key does not
    cover: schema.UNKEYED_COLUMNS). When `columns` has some, identical rows are numbered in the order of their
    unkeyed values (as JSON text), so every read gives the same occurrence, hence the same key, to the same values;
    without any, the SQL is what it was before unkeyed columns existed."""
    cols = [
        (name, expr if present is None or name in present else f"CAST(NULL AS {NULL_TYPES[type_]})", kind, type_)
        for name, expr, kind, type_ in columns
    ]
    inner = ",\n    ".join(f"{expr} AS {name}" for name, expr, _, _ in cols)
    content = ", ".join(f"{expr} AS {name}" for name, expr, _, _ in cols if name not in unkeyed)
    loose = ", ".join(f"{expr} AS {name}" for name, expr, _, _ in cols if name in unkeyed)
    outer = ", ".join(name for name, _, _, _ in cols)
    order = " ORDER BY _unkeyed" if loose else ""
    unkeyed_json = f",\n    TO_JSON_STRING(STRUCT({loose})) AS _unkeyed" if loose else ""
    return (
        f"SELECT {outer},\n"
        f"  ROW_NUMBER() OVER (PARTITION BY _content{order}) AS row_occurrence,\n"
        f"  COUNT(*) OVER (PARTITION BY {export_time}) AS export_batch_rows\n"
        f"FROM (\n  SELECT\n    {inner},\n    TO_JSON_STRING(STRUCT({content})) AS _content{unkeyed_json}\n"
        f"  FROM `{table}` AS t\n  WHERE {where}\n)"
    )


def _partition_filter(partition_expr: str | None, lower: datetime, slack_days: int) -> tuple[str, list]:
    """Prune partitions older than the day of `lower` minus `slack_days`.

    Only a lower bound: with ingestion-time partitions a row lands on or after its export_time,
    so no partition after the window can be skipped safely for a month reload either.
    """
    from google.cloud import bigquery

    if partition_expr is None:
        return "", []
    lo = datetime.combine(lower.date(), datetime.min.time(), tzinfo=UTC) - timedelta(days=slack_days)
    return f"{partition_expr} >= @partition_from AND ", [bigquery.ScalarQueryParameter("partition_from", "TIMESTAMP", lo)]


def invoice_month_condition(months: Sequence[str]) -> tuple[str, list]:
    """The billing export's rows of the invoice months `months` (YYYYMM)."""
    from google.cloud import bigquery

    return "t.invoice.month IN UNNEST(@invoice_months)", [
        bigquery.ArrayQueryParameter("invoice_months", "STRING", list(months))]


def invoice_month_floor(month: str) -> tuple[str, list]:
    """The billing export's rows of invoice month `month` (YYYYMM) and later ones."""
    from google.cloud import bigquery

    return "t.invoice.month >= @first_invoice_month", [
        bigquery.ScalarQueryParameter("first_invoice_month", "STRING", month)]


def mode_filter(mode: str, partition_expr: str | None, slack_days: int, *, export_floor: datetime | None = None,
                months: Sequence[str] = (), month_tail_days: int = 0,
                export_from: datetime | None = None, export_time: str = "t.export_time",
                month_condition: Callable[[Sequence[str]], tuple[str, list]] = invoice_month_condition,
                first_months: tuple[str, list] | None = None) -> tuple[str, list]:
    """WHERE clause and query parameters of a `full`, `months` or `incremental` (from `export_from`) read.
    `export_time`: the table's export-time column; `month_condition`: the rows of some invoice months;
    `first_months`: the condition of the rows of the first invoice month loaded (start_month) and later ones, which
    full and incremental reads keep to: an earlier month's rows exported after `export_floor` (its last hours, late
    rows, corrections, tax) would make it a month of a few rows that looks loaded."""
    from google.cloud import bigquery

    def timestamp(name: str, value: datetime):
        return bigquery.ScalarQueryParameter(name, "TIMESTAMP", value)

    floor, floor_params = (f" AND {first_months[0]}", first_months[1]) if first_months else ("", [])
    if mode == "full" and export_floor:
        pfilter, params = _partition_filter(partition_expr, export_floor, slack_days)
        return (pfilter + f"{export_time} >= @export_from" + floor,
                params + [timestamp("export_from", export_floor), *floor_params])
    if mode == "full":
        return "TRUE", []
    if mode == "months":
        start, end = month_window(months, month_tail_days)
        pfilter, params = _partition_filter(partition_expr, start, slack_days)
        in_months, month_params = month_condition(months)
        where = pfilter + f"{export_time} >= @export_from AND {export_time} < @export_to AND {in_months}"
        return where, params + [timestamp("export_from", start), timestamp("export_to", end), *month_params]
    pfilter, params = _partition_filter(partition_expr, export_from, slack_days)
    return pfilter + f"{export_time} >= @export_from" + floor, params + [timestamp("export_from", export_from),
                                                                        *floor_params]


def run_query(client: Any, table: str, columns: Sequence[Column], present: set[str], where: str, params: list,
              purpose: str, page_size: int, maximum_bytes_billed: int | None = None, export_time: str = "export_time",
              unkeyed: Collection[str] = ()):
    """Run the query job of `build_query`; its result rows (paged), with the job's bytes logged."""
    from google.api_core import exceptions as gexc
    from google.cloud import bigquery

    config = bigquery.QueryJobConfig(query_parameters=params, use_legacy_sql=False)
    if maximum_bytes_billed:
        config.maximum_bytes_billed = int(maximum_bytes_billed)
    sql = build_query(table, columns, where, present, export_time, unkeyed)
    log.info("BigQuery %s query on %s: WHERE %s %s", purpose, table, where,
             {p.name: getattr(p, "value", getattr(p, "values", None)) for p in params})
    try:
        job = client.query(sql, job_config=config)
        rows = job.result(page_size=page_size)
    except gexc.GoogleAPICallError as exc:
        raise wrap_error(table, exc, f"running the {purpose} query") from exc
    log.info("BigQuery %s query job %s on %s: %s bytes processed, %s bytes billed, %s rows", purpose, job.job_id,
             table, job.total_bytes_processed, job.total_bytes_billed, rows.total_rows)
    return rows
