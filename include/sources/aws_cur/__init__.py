"""dlt source for AWS cost exports delivered to S3: Data Exports CUR 2.0 (parquet) and legacy CUR
(csv.gz, or parquet) land in one raw table, `cur_line_items`, with CUR 2.0 column names and the tag /
cost category maps as JSON strings; a Data Exports "FOCUS 1.2 with AWS columns" export lands in
`focus_export` with its FOCUS names (focus.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import dlt

from include.sources.period_ledger import period_load_record

from . import cur2, focus
from .deliveries import BillingPeriodDelivery, discover_cur2_deliveries, s3_filesystem
from .errors import CurInputError
from .legacy import discover_legacy_deliveries, stream_legacy_file
from .reading import prefetch
from .validation import check_distinct_files, check_files_present

EXPORT_FORMATS = ("auto", "cur2", "legacy", "focus")
# The raw table each export format lands in.
RAW_TABLES = {"cur2": "cur_line_items", "legacy": "cur_line_items", "focus": focus.RAW_TABLE}

log = logging.getLogger(__name__)

__all__ = ["aws_cur_source", "list_deliveries", "BillingPeriodDelivery", "CurInputError", "RAW_TABLES"]


def read_delivery(filesystem, delivery: BillingPeriodDelivery, export_format: str) -> Iterator:
    """Arrow tables of every data file of one delivery, in manifest order, after the manifest's
    checks (each file listed once, every file present); each batch is checked as it is read. Logs
    progress per file."""
    check_distinct_files(delivery.manifest_path, delivery.data_files)
    check_files_present(filesystem, delivery.manifest_path, delivery.data_files)
    total = 0
    for index, path in enumerate(delivery.data_files, 1):
        if export_format == "cur2":
            tables = cur2.stream_parquet(filesystem, path, delivery.billing_period)
        elif export_format == "focus":
            tables = focus.stream_parquet(filesystem, path, delivery.billing_period)
        else:
            tables = stream_legacy_file(filesystem, path, delivery.billing_period, delivery.column_types)
        rows = 0
        for table in tables:
            rows += table.num_rows
            yield table
        total += rows
        log.info("billing period %s: file %d of %d read, %d rows (%d rows so far): s3://%s",
                 delivery.billing_period, index, len(delivery.data_files), rows, total, path)


def find_deliveries(filesystem, bucket: str, prefix: str, export_name: str, export_format: str = "auto"):
    """(format, deliveries): the billing periods of an export with each one's newest delivery.
    `auto` takes Data Exports when the export has `metadata/BILLING_PERIOD=...` manifests (FOCUS 1.2
    when its columns are FOCUS's, else CUR 2.0), else legacy CUR. `focus` or `cur2` named by the user
    must match the export's columns: loading one as the other would count nothing or garbage."""
    if export_format not in EXPORT_FORMATS:
        raise ValueError(f"export_format must be one of {EXPORT_FORMATS}, got {export_format!r}")
    if export_format in ("auto", "cur2", "focus"):
        deliveries = discover_cur2_deliveries(filesystem, bucket, prefix, export_name)
        if deliveries or export_format != "auto":
            detected = focus.detect_kind(filesystem, deliveries) if deliveries else export_format
            if export_format != "auto" and detected != export_format:
                raise CurInputError(
                    f"export s3://{bucket}/{prefix}/{export_name}/ is configured as {export_format!r} but its "
                    f"manifest columns are those of a {detected!r} export (set export_format to {detected!r} or auto)"
                )
            return detected, deliveries
    return "legacy", discover_legacy_deliveries(filesystem, bucket, prefix, export_name)


def list_deliveries(
    bucket: str, prefix: str, export_name: str, credentials: dict, export_format: str = "auto"
) -> tuple[str, list[BillingPeriodDelivery]]:
    """(format, deliveries): the billing periods of an export, each with its newest delivery."""
    return find_deliveries(s3_filesystem(credentials), bucket, prefix, export_name, export_format)


@dlt.source(name="aws_cur")
def aws_cur_source(
    bucket: str,
    prefix: str,
    export_name: str,
    credentials: dict,
    billing_periods: Sequence[str] | None = None,
    full_refresh: bool = False,
    replace_by_period: bool = True,
    refresh_from: str | None = None,
    export_format: str = "auto",
    deliveries: Sequence[BillingPeriodDelivery] | None = None,
):
    """Line items (CUR, or FOCUS rows) of the newest delivery of each billing period (all, or `billing_periods`).

    A period whose newest delivery (manifest execution id) was already loaded is skipped unless
    `full_refresh`. With `refresh_from` (YYYY-MM), periods before it are loaded only if they were
    never loaded (a caller's choice: by default every period AWS re-delivers is loaded again). The delivery loaded for each period is kept in the resource state, which dlt
    commits together with the data.

    `export_format`: `cur2`, `legacy`, `focus` or `auto` (detected from the bucket layout and columns).
    `deliveries`: already discovered deliveries (with a concrete `export_format`), so a caller that
    loads period by period reads the manifests once, not once per period.
    `credentials`: aws_access_key_id, aws_secret_access_key, aws_session_token, region_name and
    endpoint_url (for S3-compatible storage), as derived from the Airflow AWS connection.
    `replace_by_period`: on destinations that merge (ClickHouse), loading a period deletes that
    period's previous rows in the same load (dlt delete-insert on `billing_period`).
    """
    filesystem = s3_filesystem(credentials)
    if deliveries is None:
        detected, deliveries = find_deliveries(filesystem, bucket, prefix, export_name, export_format)
    elif export_format in RAW_TABLES:
        detected = export_format
    else:
        raise ValueError("with `deliveries`, export_format must be the detected one: cur2, legacy or focus")
    if billing_periods:
        wanted = set(billing_periods)
        deliveries = [d for d in deliveries if d.billing_period in wanted]

    hints = (
        {"write_disposition": {"disposition": "merge", "strategy": "delete-insert"}, "merge_key": "billing_period"}
        if replace_by_period
        else {"write_disposition": "append"}
    )

    @dlt.resource(name=RAW_TABLES[detected], **hints)
    def line_items() -> Iterator:
        loaded = dlt.current.resource_state().setdefault("deliveries", {})
        for delivery in deliveries:
            previous = loaded.get(delivery.billing_period)
            if not full_refresh and previous is not None:
                if previous == delivery.key or (refresh_from and delivery.billing_period < refresh_from):
                    continue
            rows = 0
            for table in prefetch(read_delivery(filesystem, delivery, detected)):
                rows += table.num_rows
                yield table
            # in the same load as the rows: this delivery now holds the period, even one without line items
            yield period_load_record(RAW_TABLES[detected], delivery.billing_period, delivery.execution_id or delivery.key, rows)
            loaded[delivery.billing_period] = delivery.key

    return line_items
