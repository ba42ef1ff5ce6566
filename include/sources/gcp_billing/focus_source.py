"""dlt source for Google Cloud's FOCUS export to BigQuery: one resource, `focus_export` (raw table
`gcp_costs.focus_export`, columns in focus.py).

    gcp_focus_source(client, "project.gcp_billing_immutable_XXXXXX_XXXXXX_XXXXXX_us.gcp_billing_export_focus_XXXXXX_XXXXXX_XXXXXX")

Load modes as the billing export's source (`include/sources/gcp_billing/__init__.py`, state in load_state.py), on
x_ExportTime: full (first run, `full_refresh`, another table), incremental (rows exported since the newest loaded
batch minus `lookback_days`, batches already loaded with the same row count skipped: Google appends corrections as
new rows, CorrectionHandling Delta, so a late row of an old month is picked up), invoice months (exactly those
months' rows, BillingPeriodStart in the month; include.loaders.gcp then removes what earlier loads wrote of them).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import dlt

from include.sources.gcp_billing.errors import wrap_error
from include.sources.gcp_billing.focus import (
    EXPORT_TIME,
    FOCUS,
    RESOURCE_NAME,
    arrow_schema,
    check_table,
    query_columns,
)
from include.sources.gcp_billing.focus import to_raw_table as focus_raw_table
from include.sources.gcp_billing.load_state import choose_mode, remember_batches
from include.sources.gcp_billing.pages import page_tables
from include.sources.gcp_billing.periods import month_start, normalize_invoice_months
from include.sources.gcp_billing.query import mode_filter, partition_expression, run_query
from include.sources.gcp_billing.settings import (
    DEFAULT_LOOKBACK_DAYS,
    DEFAULT_MONTH_TAIL_DAYS,
    DEFAULT_PAGE_SIZE,
    DEFAULT_PARTITION_SLACK_DAYS,
)

log = logging.getLogger(__name__)


def billing_period_condition(months: Sequence[str]) -> tuple[str, list]:
    """The rows whose BillingPeriodStart falls on the first day of one of `months` (Pacific or UTC midnight)."""
    from google.cloud import bigquery

    parts, params = [], []
    for number, month in enumerate(months):
        start = month_start(month)
        parts.append(f"(t.BillingPeriodStart >= @period_from_{number} AND t.BillingPeriodStart < @period_to_{number})")
        params += [bigquery.ScalarQueryParameter(f"period_from_{number}", "TIMESTAMP", start),
                   bigquery.ScalarQueryParameter(f"period_to_{number}", "TIMESTAMP", start + timedelta(days=1))]
    return "(" + " OR ".join(parts) + ")", params


def billing_period_floor(month: str) -> tuple[str, list]:
    """The rows of the billing period of `month` (YYYYMM) and later ones: BillingPeriodStart from that month's first
    midnight on (Pacific midnight is after UTC's)."""
    from google.cloud import bigquery

    return "t.BillingPeriodStart >= @first_period_start", [
        bigquery.ScalarQueryParameter("first_period_start", "TIMESTAMP", month_start(month))]


@dlt.source(name="gcp_billing", max_table_nesting=0)
def gcp_focus_source(
    client: Any,
    table: str,
    lookback_days: float = DEFAULT_LOOKBACK_DAYS,
    invoice_months: Sequence[str] | None = None,
    full_refresh: bool = False,
    month_tail_days: int = DEFAULT_MONTH_TAIL_DAYS,
    partition_slack_days: int = DEFAULT_PARTITION_SLACK_DAYS,
    page_size: int = DEFAULT_PAGE_SIZE,
    maximum_bytes_billed: int | None = None,
    start_month: str | None = None,
):
    """FOCUS export rows from BigQuery `table` ("project.dataset.table"); arguments as gcp_billing_source's.

    The table is checked when the source is created: a missing table, a missing required column or a permission
    error raise BillingExportError naming the table (and column)."""
    from google.api_core import exceptions as gexc

    if table.count(".") != 2:
        raise ValueError(f"FOCUS table {table!r} must be 'project.dataset.table'")
    if lookback_days < 0:
        raise ValueError("lookback_days must be >= 0")
    months = normalize_invoice_months(invoice_months)
    first_month = normalize_invoice_months([start_month])[0] if start_month else None
    export_floor = month_start(first_month) - timedelta(days=1) if first_month else None
    try:
        bq_table = client.get_table(table)
    except gexc.GoogleAPICallError as exc:
        raise wrap_error(table, exc, "reading its metadata") from exc
    check_table(bq_table.schema, table)
    columns, present = query_columns(bq_table.schema)
    partition_expr = partition_expression(bq_table)
    schema = arrow_schema()
    export_time = f"t.`{EXPORT_TIME}`"

    @dlt.resource(name=RESOURCE_NAME, write_disposition="append")
    def focus_export() -> Iterator[Any]:
        state = dlt.current.resource_state()
        mode = choose_mode(state, table, FOCUS, months, full_refresh)
        export_from = None
        if mode == "incremental":
            export_from = datetime.fromisoformat(state["cursor"]) - timedelta(days=lookback_days)
        where, params = mode_filter(mode, partition_expr, partition_slack_days, export_floor=export_floor,
                                    months=months, month_tail_days=month_tail_days, export_from=export_from,
                                    export_time=export_time, month_condition=billing_period_condition,
                                    first_months=billing_period_floor(first_month) if first_month else None)
        skip = dict(state.get("batches") or {}) if mode == "incremental" else None
        rows = run_query(client, table, columns, {name for name, *_ in columns}, where, params, mode, page_size,
                         maximum_bytes_billed, export_time=EXPORT_TIME)
        seen: dict[str, int] = {}
        emitted = yield from page_tables(rows, lambda page: focus_raw_table(page, schema, skip, seen, table),
                                         schema, mode == "full")
        log.info("%s load of FOCUS table %s: %s rows read, %s rows emitted, %s export batches",
                 mode, table, rows.total_rows, emitted, len(seen))
        remember_batches(state, mode, seen, table, FOCUS, lookback_days)

    return focus_export
