"""dlt source for AWS Cost and Usage Reports delivered to S3 (Data Exports CUR 2.0 parquet)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import dlt

from .helpers import (
    BillingPeriodDelivery,
    CurInputError,
    discover_cur2_deliveries,
    s3_filesystem,
    stream_parquet,
)

__all__ = ["aws_cur_source", "list_deliveries", "BillingPeriodDelivery", "CurInputError"]


def list_deliveries(bucket: str, prefix: str, export_name: str, credentials: dict) -> list[BillingPeriodDelivery]:
    """The billing periods of an export, each with its newest delivery (from the manifests)."""
    return discover_cur2_deliveries(s3_filesystem(credentials), bucket, prefix, export_name)


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
):
    """CUR 2.0 line items of the newest delivery of each billing period (all, or `billing_periods`).

    A period whose newest delivery (manifest execution id) was already loaded is skipped unless
    `full_refresh`. With `refresh_from` (YYYY-MM), periods before it are loaded only if they were
    never loaded: AWS stops changing a month a few weeks after it closes. The delivery loaded for each period is kept in the resource state, which dlt
    commits together with the data.

    `credentials`: aws_access_key_id, aws_secret_access_key, aws_session_token, region_name and
    endpoint_url (for S3-compatible storage), as derived from the Airflow AWS connection.
    `replace_by_period`: on destinations that merge (ClickHouse), loading a period deletes that
    period's previous rows in the same load (dlt delete-insert on `billing_period`).
    """
    filesystem = s3_filesystem(credentials)
    deliveries = discover_cur2_deliveries(filesystem, bucket, prefix, export_name)
    if billing_periods:
        wanted = set(billing_periods)
        deliveries = [d for d in deliveries if d.billing_period in wanted]

    hints = (
        {"write_disposition": {"disposition": "merge", "strategy": "delete-insert"}, "merge_key": "billing_period"}
        if replace_by_period
        else {"write_disposition": "append"}
    )

    @dlt.resource(name="cur_line_items", **hints)
    def cur_line_items() -> Iterator:
        loaded = dlt.current.resource_state().setdefault("deliveries", {})
        for delivery in deliveries:
            previous = loaded.get(delivery.billing_period)
            if not full_refresh and previous is not None:
                if previous == delivery.key or (refresh_from and delivery.billing_period < refresh_from):
                    continue
            for path in delivery.data_files:
                yield from stream_parquet(filesystem, path, delivery.billing_period)
            loaded[delivery.billing_period] = delivery.key

    return cur_line_items
