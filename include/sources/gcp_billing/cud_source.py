"""dlt source for Google Cloud's CUD metadata export to BigQuery (`cud_subscriptions_export`, Preview): one resource,
`cud_subscriptions` (raw table `gcp_costs.cud_subscriptions`, columns and checks in cud_table.py).

    gcp_cud_source(client, "project.billing_dataset.cud_subscriptions_export")

The table is a daily snapshot of the billing account's spend-based commitments, so every run reads all of it with one
query and appends it as a new snapshot (its own dlt load id); the SQL takes the rows of the newest completed load of
the table. An empty table is appended as one sentinel row (snapshot_rows 0), so "the newest snapshot is empty" and
"no snapshot was loaded" differ.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import dlt

from include.sources.gcp_billing.cud_table import (
    RESOURCE_NAME,
    WHAT,
    build_query,
    check_table,
    read_snapshot,
    to_raw_table,
)
from include.sources.gcp_billing.errors import wrap_error

log = logging.getLogger(__name__)


@dlt.source(name="gcp_cud_subscriptions", max_table_nesting=0)
def gcp_cud_source(client: Any, table: str, maximum_bytes_billed: int | None = None):
    """The CUD metadata export `table` ("project.dataset.table") as one snapshot per run.

    `client`: a google.cloud.bigquery.Client; `maximum_bytes_billed`: the query's BigQuery guard rail. The table is
    checked when the source is created: a missing table, a missing documented field or a permission error raise
    BillingExportError naming the table (and the fields)."""
    from google.api_core import exceptions as gexc

    if table.count(".") != 2:
        raise ValueError(f"CUD table {table!r} must be 'project.dataset.table'")
    try:
        bq_table = client.get_table(table)
    except gexc.GoogleAPICallError as exc:
        raise wrap_error(table, exc, "reading its metadata", WHAT) from exc
    sql = build_query(table, check_table(bq_table.schema, table))

    @dlt.resource(name=RESOURCE_NAME, write_disposition="append")
    def cud_subscriptions() -> Iterator[Any]:
        result = read_snapshot(client, table, sql, maximum_bytes_billed)
        snapshot = to_raw_table(result, table)
        log.info("CUD snapshot of %s: %s commitments%s", table, result.num_rows,
                 "" if result.num_rows else " (appended as one sentinel row, snapshot_rows 0)")
        yield snapshot

    return cud_subscriptions
