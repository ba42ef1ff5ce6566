"""dlt source for Azure Cost Management "Cost and usage details (FOCUS)" exports in Blob Storage
(csv.gz or parquet partitions with a manifest per run). One raw table, `focus_costs`, keeps every
column of the export (FOCUS and `x_` columns, named exactly as Microsoft names them) plus `billing_period`
(YYYY-MM), `export_run_id`, `export_submitted_at` (the run's runInfo.submittedTime), `export_dataset_version`
(the manifest's dataVersion), `source_blob` and `source_row` (the row's 1-based number in its blob: FOCUS
rows carry no id). Each month read also writes its row to `focus_costs_period_loads` (the month, run id and
row count: include/sources/period_ledger.py), so a run with no rows still replaces the month."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import dlt

from include.sources.period_ledger import period_load_record

from .errors import FocusExportError
from .helpers import ExportRun, blob_filesystem, blob_url, discover_runs, list_runs, read_run

log = logging.getLogger(__name__)

RAW_TABLE = "focus_costs"

__all__ = ["azure_focus_source", "list_runs", "ExportRun", "FocusExportError", "RAW_TABLE"]


# Column names as Microsoft writes them (`BilledCost`, `x_SkuMeterCategory`): the FOCUS names, not
# dlt's snake_case of them.
@dlt.source(schema=dlt.Schema("azure_focus", normalizers={"names": "direct"}))
def azure_focus_source(
    container: str,
    directory: str,
    export_name: str,
    credentials: dict,
    months: Sequence[str] | None = None,
    full_refresh: bool = False,
    replace_by_period: bool = True,
    refresh_from: str | None = None,
    runs: Sequence[ExportRun] | None = None,
):
    """FOCUS rows of the newest run of each month of an export (all months, or `months`, YYYY-MM).

    A month whose newest run was already loaded is skipped unless `full_refresh`; with
    `refresh_from` (YYYY-MM), months before it are loaded only if never loaded. The run loaded for
    each month is kept in the resource state, which dlt commits together with the data.

    `credentials`: plain values as include.loaders.azure derives them from the Airflow connection
    (azure_storage_account_name, azure_storage_account_key or azure_storage_sas_token, or
    connection_string; blob_endpoint for Azurite or another cloud).
    `replace_by_period`: on destinations that merge (ClickHouse), loading a month deletes that
    month's previous rows in the same load (dlt delete-insert on `billing_period`).
    `runs`: already discovered runs, so a caller loading month by month lists the export once.
    """
    filesystem = blob_filesystem(credentials)
    if runs is None:
        runs = discover_runs(filesystem, container, directory, export_name)
    if months:
        wanted = set(months)
        runs = [r for r in runs if r.month in wanted]

    hints = (
        {"write_disposition": {"disposition": "merge", "strategy": "delete-insert"}, "merge_key": "billing_period"}
        if replace_by_period
        else {"write_disposition": "append"}
    )

    @dlt.resource(name=RAW_TABLE, **hints)
    def focus_costs() -> Iterator:
        loaded = dlt.current.resource_state().setdefault("runs", {})
        for run in runs:
            previous = loaded.get(run.month)
            if not full_refresh and previous is not None:
                if previous == run.key or (refresh_from and run.month < refresh_from):
                    continue
            rows = 0
            for table in read_run(filesystem, run):
                rows += table.num_rows
                yield table
            log.info("month %s: run %s read, %d rows in %d blobs (%s)", run.month, run.run_id, rows, len(run.blobs),
                     blob_url(run.manifest_path))
            # in the same load as the rows: this run now holds the month, even a run without rows
            yield period_load_record(RAW_TABLE, run.month, run.run_id, rows)
            loaded[run.month] = run.key

    return focus_costs
