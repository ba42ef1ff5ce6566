"""Loading a provider's export one billing period (YYYY-MM) at a time, each load replacing exactly
that period's rows: the loop the AWS CUR and Azure FOCUS loaders share (include/loaders/aws.py,
include/loaders/azure.py), each giving it its deliveries and a factory of its dlt source.

* filesystem: a period's files live in `raw/<dataset>/<table>/<YYYY-MM>/`; after the new load is
  committed the older loads' files of that period are deleted;
* clickhouse: dlt's delete-insert merge on `billing_period` in the same load.
Every load of a period also writes one row to the raw table's period ledger, `<table>_period_loads`
(billing_period, delivery_id, row_count; include/sources/period_ledger.py), in the same dlt load as the rows. The
SQL layer reads only the newest completed load of each period, the ledger included, so a failed or
half-pruned load never double counts and never hides the previous good data, and a newer delivery
with no rows at all reads as an empty period (it has no data rows to say it is the newest). After
such a load the period's older rows are removed: their files on the filesystem, their rows on
ClickHouse (where delete-insert deletes only the periods rows arrive for).

Runs take turns (the pipeline's lock). A run first discards the load packages a killed run left
(dlt rewinds its state to before them), since a package does not say which period's folder it was
bound for; the periods they held are loaded again. Files are deleted only when no reader counts
them: older than the period's newest completed load, or written by a load that never completed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from include import settings
from include.load_summary import LoadReport
from include.run_intent import BACKFILL, LoadRequest
from include.sources.period_ledger import LEDGER_SUFFIX, ledger_table

log = logging.getLogger(__name__)

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Delivery:
    """The newest delivery of one billing period, as the provider's listing found it. `handle` is
    the provider's own description of it (an AWS manifest, an Azure export run), handed back to the
    source factory."""

    period: str
    delivery_id: str
    files: int
    handle: Any


@dataclass(frozen=True)
class PeriodExport:
    """One provider's export as the period loop sees it.

    `make_source(handle, full_refresh=, replace_by_period=, refresh_from=)` returns the dlt source
    of one period's delivery: `full_refresh` loads it even when dlt's state says it was loaded;
    `replace_by_period` asks for dlt's delete-insert merge on `billing_period` (ClickHouse);
    `refresh_from` (YYYY-MM) leaves older periods alone once loaded."""

    provider: str  # in messages: "AWS", "Azure"
    dataset: str
    raw_table: str
    location: str  # the export's URL, in messages
    deliveries: Sequence[Delivery]
    make_source: Callable[..., Any]


def month_window(day: date, months: int) -> list[str]:
    """`months` billing periods ending with the one containing `day`, oldest first."""
    year, month = day.year, day.month
    periods = []
    for _ in range(max(months, 1)):
        periods.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return periods[::-1]


def validate_periods(periods) -> list[str]:
    if isinstance(periods, str):
        periods = [p.strip() for p in periods.split(",") if p.strip()]
    bad = [p for p in periods if not PERIOD.match(str(p))]
    if bad:
        raise ValueError(f"billing_periods must be YYYY-MM, got {bad}")
    return sorted(set(periods))


def completed_load_ids(dataset_dir: Path) -> set[str]:
    """Ids of the loads dlt completed into a filesystem dataset (`_dlt_loads`, status 0)."""
    import json

    completed = set()
    for path in (dataset_dir / "_dlt_loads").glob("*.jsonl"):
        for line in path.read_text().splitlines():
            if line.strip():
                record = json.loads(line)
                if record.get("status") == 0:
                    completed.add(str(record["load_id"]))
    return completed


def file_load_id(path: Path) -> str:
    """The load id a raw file was written by: `<load_id>.<file_id>.<ext>`, where a load id is
    `<seconds>.<fraction>`."""
    return ".".join(path.name.split(".")[:2])


def newest_completed_load(period_dir: Path, completed: set[str], *more_dirs: Path) -> str | None:
    """The newest completed load that wrote files of this period (the one the SQL reads); with
    `more_dirs` (the period's ledger folder), the newest over those folders too."""
    loads = {file_load_id(p) for folder in (period_dir, *more_dirs) for p in folder.glob("*") if p.is_file()}
    loads &= completed
    return max(loads, key=float) if loads else None


def ledger_dir(table_dir: Path, period: str) -> Path:
    """The folder of a period's ledger rows, beside the raw table's (filesystem)."""
    return table_dir.parent / ledger_table(table_dir.name) / period


def newest_period_load(table_dir: Path, period: str, completed: set[str]) -> str | None:
    """The newest completed load of a period, data and ledger together: the load the SQL reads."""
    return newest_completed_load(table_dir / period, completed, ledger_dir(table_dir, period))


def period_is_present(table_dir: Path, period: str, completed: set[str]) -> bool:
    """The period's newest completed load is on disk: its data files, or its ledger row saying it had
    no rows (an emptied period). A ledger row of a load with rows whose files are gone is a lost folder."""
    import pyarrow.parquet as pq

    newest = newest_period_load(table_dir, period, completed)
    if newest is None:
        return False
    if any((table_dir / period).glob(f"{newest}.*")):
        return True
    records = sorted(ledger_dir(table_dir, period).glob(f"{newest}.*.parquet"))
    return bool(records) and sum(pq.read_table(records, columns=["row_count"])["row_count"].to_pylist()) == 0


def prune_period(period_dir: Path, completed: set[str], newest: str | None = None) -> int:
    """Delete the files of a billing period that no reader counts, given the completed loads:
    files of older loads, superseded by the period's newest completed load (`newest`, default the
    newest that wrote files here; an emptied period's newest load wrote none), and files of loads
    that never completed (a killed or failed run). Only call it while holding the pipeline's lock
    with no package pending: then no load that is still running can own a file here."""
    if newest is None:
        newest = newest_completed_load(period_dir, completed)
    removed = 0
    for path in period_dir.glob("*"):
        if not path.is_file():
            continue
        load_id = file_load_id(path)
        superseded = newest is not None and load_id in completed and float(load_id) < float(newest)
        if superseded or load_id not in completed:
            path.unlink()
            removed += 1
    return removed


def prune_whole_period(table_dir: Path, period: str, completed: set[str]) -> int:
    """prune_period of a period's data and ledger folders, against their newest completed load."""
    newest = newest_period_load(table_dir, period, completed)
    return sum(prune_period(folder, completed, newest)
               for folder in (table_dir / period, ledger_dir(table_dir, period)) if folder.is_dir())


def prune_all_periods(table_dir: Path) -> dict[str, int]:
    """prune_whole_period for every billing period (data or ledger folder); returns files removed per period."""
    completed = completed_load_ids(table_dir.parent)
    periods = {p.name for folder in (table_dir, table_dir.parent / ledger_table(table_dir.name))
               for p in folder.glob("*") if p.is_dir() and PERIOD.match(p.name)}
    removed = {}
    for period in sorted(periods):
        count = prune_whole_period(table_dir, period, completed)
        if count:
            removed[period] = count
    return removed


def delete_superseded_rows(dataset: str, raw_table: str, period: str, load_id: str, destination: str) -> None:
    """ClickHouse: delete a period's rows of loads other than `load_id` (a load that brought no rows:
    dlt's delete-insert deletes only periods that rows arrived for). The SQL already reads the period
    as `load_id` has it (the ledger); this removes what it no longer counts."""
    from include.pipelines import open_pipeline
    from include.transform.literals import quote_string

    pipeline = open_pipeline(dataset, destination)
    with pipeline.sql_client() as client:
        table = client.make_qualified_table_name(raw_table)
        # lightweight DELETE, as dlt's own delete-insert on ClickHouse
        client.execute_sql(f"DELETE FROM {table} WHERE billing_period = {quote_string(period)} "
                           f"AND _dlt_load_id != {quote_string(load_id)}")


def load_periods(request: LoadRequest, report: LoadReport, export: PeriodExport,
                 refresh_months: int | None) -> LoadReport:
    """Load the billing periods `request` asks for, each its own dlt load; records in `report` per
    period what was loaded, unchanged or skipped, and returns it.

    * the intent's periods (a manual run's `billing_periods`, or a backfill run's own period): exactly
      those, reloaded even when the provider did not re-deliver them; a period without a delivery
      fails the load (a backfill run, which asks for the period of its date, skips it and says so);
    * no periods (scheduled runs): every period the provider re-delivered since its last load, and periods
      never loaded; with `refresh_months` N, only the last N months are re-checked (older ones, once loaded,
      are frozen);
    * `params.full_refresh`: reload even periods whose delivery did not change.
    """
    from include.pipelines import discard_pending_packages, pipeline_lock, run_pipeline_with_load_id

    by_period = {d.period: d for d in export.deliveries}
    available = list(by_period)
    full_refresh = bool(request.params.get("full_refresh"))
    refresh_from = None
    requested = validate_periods(request.intent.periods or [])
    if requested:
        missing = [p for p in requested if p not in available]
        if missing and request.intent.run_type != BACKFILL:
            raise ValueError(f"billing periods {missing} have no delivered manifest under {export.location} "
                             f"(found {available})")
        for period in missing:
            report.skipped(period, f"{export.provider} has delivered no manifest for it under {export.location}")
        # "to reload": even periods the provider did not re-deliver
        periods, full_refresh = [p for p in requested if p in available], True
    else:
        periods = available
        if refresh_months is not None:
            refresh_from = month_window(request.run_date, int(refresh_months))[0]

    destination = settings.destination_name()
    table_dir = settings.raw_dir() / export.dataset / export.raw_table
    with pipeline_lock(export.dataset):  # one run at a time: backfills may start several
        # A package of a killed run says nothing reliable about which period's folder it was bound
        # for: discard it (dlt rewinds its state) and load that period again below.
        discard_pending_packages(export.dataset, destination)
        on_disk: set[str] = set()
        if destination == "filesystem":
            removed = prune_all_periods(table_dir)
            if removed:
                log.info("removed files no reader counts (superseded or never completed loads): %s", removed)
            completed = completed_load_ids(table_dir.parent)
            on_disk = {period for period in periods if period_is_present(table_dir, period, completed)}
        for index, period in enumerate(periods, 1):
            delivery = by_period[period]
            report.progress(period, index, len(periods), files=delivery.files, delivery=delivery.delivery_id)
            # dlt's state says which delivery each period holds; on the filesystem it is only
            # believed when the period's data is there (a lost folder is loaded again).
            folder_lost = destination == "filesystem" and period not in on_disk
            source = export.make_source(delivery.handle, full_refresh=full_refresh or folder_lost,
                                        replace_by_period=destination == "clickhouse", refresh_from=refresh_from)
            counts, load_id = run_pipeline_with_load_id(
                export.dataset, source, destination=destination,
                partition=period if destination == "filesystem" else None,
            )
            rows = counts.get(export.raw_table, 0)
            # the ledger row: the source read the delivery (a delivery without rows included)
            read = counts.get(ledger_table(export.raw_table), 0) > 0
            if rows or read or full_refresh or folder_lost:
                report.loaded(period, rows, load_id, delivery=delivery.delivery_id, files=delivery.files,
                              tables={t: n for t, n in counts.items() if not t.endswith(LEDGER_SUFFIX)})
            else:
                report.unchanged(period, f"loaded before and older than the refresh window (from {refresh_from})"
                                 if refresh_from and period < refresh_from
                                 else f"{export.provider} did not re-deliver it since its last load",
                                 delivery=delivery.delivery_id)
            if (rows or read) and destination == "filesystem":
                period_dir = table_dir / period
                completed = completed_load_ids(table_dir.parent)
                if newest_period_load(table_dir, period, completed) != load_id:
                    raise RuntimeError(
                        f"billing period {period}: load {load_id} is not the newest completed load in {period_dir}"
                    )
                removed_files = prune_whole_period(table_dir, period, completed)
                log.info("billing period %s: %d rows (load %s, delivery %s), %d superseded files removed",
                         period, rows, load_id, delivery.delivery_id, removed_files)
            elif read and not rows and destination == "clickhouse":
                delete_superseded_rows(export.dataset, export.raw_table, period, load_id, destination)
                log.info("billing period %s: delivery %s has no rows (load %s): the period's older rows deleted",
                         period, delivery.delivery_id, load_id)
    return report
