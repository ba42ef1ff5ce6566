"""Run a dlt source into the destination chosen by the `finops_destination` Variable.

One dlt dataset per provider (`aws_costs`, `gcp_costs`, `stripe_revenue`). On `filesystem` dlt writes
parquet under `<data dir>/raw/<dataset>/<table>/`; on `clickhouse` it loads tables named
`<dataset>___<table>` into the database of the ClickHouse connection.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from include import settings

log = logging.getLogger(__name__)


def _quiet_dlt() -> None:
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("DLT_DATA_DIR", str(settings.data_dir() / "dlt_home"))


def make_destination(destination: str | None = None, clickhouse_conn_id: str = settings.CLICKHOUSE_CONN_ID):
    """The dlt destination object for `filesystem` (local parquet) or `clickhouse` (server)."""
    _quiet_dlt()
    import dlt

    destination = destination or settings.destination_name()
    if destination == "filesystem":
        return dlt.destinations.filesystem(bucket_url=settings.raw_dir().as_uri())
    if destination == "clickhouse":
        from finops_clickhouse import ClickHouseHook

        return dlt.destinations.clickhouse(credentials=ClickHouseHook(clickhouse_conn_id).dlt_credentials())
    raise ValueError(f"unknown destination {destination!r}")


def run_pipeline(dataset_name: str, data: Any, destination: str | None = None, **run_kwargs: Any) -> dict:
    """Run `data` (a dlt source or resources) into `dataset_name`; return rows loaded per table.

    dlt's own load packages make a failed run leave the previously loaded tables as they were.
    """
    _quiet_dlt()
    import dlt

    pipeline = dlt.pipeline(
        pipeline_name=dataset_name,
        destination=make_destination(destination),
        dataset_name=dataset_name,
        pipelines_dir=str(settings.dlt_pipelines_dir()),
        progress="log",
    )
    run_kwargs.setdefault("loader_file_format", "parquet")
    info = pipeline.run(data, **run_kwargs)
    info.raise_on_failed_jobs()
    row_counts = {
        table: count
        for table, count in pipeline.last_trace.last_normalize_info.row_counts.items()
        if not table.startswith("_dlt")
    }
    log.info("dlt loaded %s into dataset %s: %s", pipeline.destination.destination_name, dataset_name, row_counts)
    return row_counts
