"""dlt source for the Cloud Billing export to BigQuery (verified-source style).

    gcp_billing_source(client, "project.dataset.gcp_billing_export_v1_XXXXXX_XXXXXX_XXXXXX")

One resource, `billing_export`, yields pyarrow tables (one per batch of consecutive result pages) of the flat raw
table described in `schema.py` and `include/sql/staging/gcp/README-contract.md`, built column by column
(`raw_table.py`; row keys in `row_key.py`, text written once per distinct value via `distinct.py`), two
batches at a time on threads (`pages.py`). Reads the standard export (`gcp_billing_export_v1_*`) or the detailed resource-level
export (`gcp_billing_export_resource_v1_*`), never both: the export type is part of the resource state
and switching tables reloads from scratch.

Modes, chosen at run time from the arguments and the resource state (`load_state.py`):

* full (first run, `full_refresh=True`, or the configured table / export type changed): reads the
  whole table, write disposition `replace`.
* incremental (default afterwards): reads rows with `export_time >= cursor - lookback_days`
  (partition filter on the table's partition column as well), appends. Google appends rows in
  export batches that share one `export_time`; the state keeps the row count of each batch in the
  lookback window, and a batch already loaded with the same count is not appended again. Rows
  that still come twice (a batch that grew) carry the same `row_key`, which the SQL layer dedups on.
  (dlt.sources.incremental does not fit: its lag re-reads and dedups by key, where this skips whole
  batches by row count and lets a grown batch through; that behaviour is the contract.)
* invoice months (`invoice_months=[...]`): reads exactly those invoice months (bounded export-time
  window, partition-pruned) and appends them; `include.loaders.gcp.load` then removes the rows of
  those months that earlier loads wrote in the same export-time window, so the month is replaced.

Beside it, in this package: `focus_source.gcp_focus_source` (Google's FOCUS export, raw table `focus_export`) and
`cud_source.gcp_cud_source` (Google's CUD metadata export `cud_subscriptions_export`, a snapshot of the spend-based
commitments appended whole on every run to the raw table `cud_subscriptions`; columns and checks in cud_table.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import dlt

from include.sources.gcp_billing.errors import BillingExportError, wrap_error
from include.sources.gcp_billing.load_state import choose_mode, remember_batches
from include.sources.gcp_billing.pages import page_tables
from include.sources.gcp_billing.periods import month_start, month_window, normalize_invoice_months
from include.sources.gcp_billing.query import invoice_month_floor, mode_filter, partition_expression, run_query
from include.sources.gcp_billing.raw_table import to_raw_table
from include.sources.gcp_billing.schema import (
    DETAILED,
    EXPORT_TYPES,
    UNKEYED_COLUMNS,
    arrow_schema,
    detect_export_type,
    export_columns,
    missing_fields,
    present_columns,
)
from include.sources.gcp_billing.settings import (
    DEFAULT_LOOKBACK_DAYS,
    DEFAULT_MONTH_TAIL_DAYS,
    DEFAULT_PAGE_SIZE,
    DEFAULT_PARTITION_SLACK_DAYS,
    RESOURCE_NAME,
)

__all__ = [
    "BillingExportError",
    "DEFAULT_LOOKBACK_DAYS",
    "DEFAULT_MONTH_TAIL_DAYS",
    "DEFAULT_PARTITION_SLACK_DAYS",
    "detect_export_type",
    "gcp_billing_source",
    "month_window",
    "normalize_invoice_months",
]

log = logging.getLogger(__name__)


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

    `client`: a google.cloud.bigquery.Client (include.loaders.gcp builds it from an Airflow
    connection). `export_type`: "standard" or "detailed" (default: from the table name). `lookback_days`: how far before the last
    loaded export_time each incremental run re-reads. `invoice_months`: reload exactly these months
    (YYYYMM). `full_refresh`: reload the whole table (replace). `maximum_bytes_billed`: per-query
    BigQuery guard rail. `start_month` (YYYYMM): full loads read only rows exported from that month on
    (partition-pruned) instead of the whole table, and full and incremental loads only rows of that invoice month and
    later ones (an earlier month's rows exported since are a part of it, not the month).

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
    first_month = normalize_invoice_months([start_month])[0] if start_month else None
    export_floor = month_start(first_month) - timedelta(days=1) if first_month else None
    if lookback_days < 0:
        raise ValueError("lookback_days must be >= 0")

    try:
        bq_table = client.get_table(table)
    except gexc.GoogleAPICallError as exc:
        raise wrap_error(table, exc, "reading its metadata") from exc
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
    partition_expr = partition_expression(bq_table)
    if partition_expr is None:
        log.warning("%s is not time-partitioned: queries cannot prune partitions", table)
    schema = arrow_schema(export_type)

    @dlt.resource(name=RESOURCE_NAME, write_disposition="append")
    def billing_export() -> Iterator[Any]:
        state = dlt.current.resource_state()
        mode = choose_mode(state, table, export_type, months, full_refresh)
        export_from = None
        if mode == "incremental":
            export_from = datetime.fromisoformat(state["cursor"]) - timedelta(days=lookback_days)
        where, params = mode_filter(mode, partition_expr, partition_slack_days, export_floor=export_floor,
                                    months=months, month_tail_days=month_tail_days, export_from=export_from,
                                    first_months=invoice_month_floor(first_month) if first_month else None)
        skip = dict(state.get("batches") or {}) if mode == "incremental" else None

        rows = run_query(client, table, export_columns(export_type), present, where, params, mode, page_size,
                         maximum_bytes_billed, unkeyed=UNKEYED_COLUMNS)
        seen: dict[str, int] = {}
        emitted = yield from page_tables(rows, lambda page: to_raw_table(page, export_type, schema, skip, seen, table),
                                         schema, mode == "full")
        log.info("%s load of %s: %s rows read, %s rows emitted, %s export batches",
                 mode, table, rows.total_rows, emitted, len(seen))
        remember_batches(state, mode, seen, table, export_type, lookback_days)

    return billing_export
