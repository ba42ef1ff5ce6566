"""The `aws_costs` load task: CUR files from S3 into the raw `aws_costs` dataset.

Each billing period is its own dlt load, which replaces exactly that period's rows:
* filesystem: the period's files live in `raw/aws_costs/cur_line_items/<YYYY-MM>/`; after the new
  load is committed the older loads' files of that period are deleted;
* clickhouse: dlt's delete-insert merge on `billing_period` in the same load.
The SQL layer reads only the newest completed load of each period, so a failed or half-pruned
load never double counts and never hides the previous good data.

Runs take turns (the pipeline's lock). A run first discards the load packages a killed run left
(dlt rewinds its state to before them), since a package does not say which period's folder it was
bound for; the periods they held are loaded again. Files are deleted only when no reader counts
them: older than the period's newest completed load, or written by a load that never completed.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path

from include import settings
from include.load_summary import LoadReport
from include.run_intent import BACKFILL, LoadRequest

log = logging.getLogger(__name__)

CONFIG_VARIABLE = settings.AWS_CONFIG_VARIABLE
DEFAULT_CONFIG = {
    "aws_conn_id": settings.AWS_CONN_ID,
    "bucket": None,
    "prefix": "cur",
    "export_name": "finops",  # the Data Exports export name, or the legacy CUR report name
    "export_format": "auto",  # cur2 | legacy | auto (detected from the bucket layout)
    # Scheduled runs re-check this many months (the logical date's month and the ones before it);
    # older months are loaded once and then left alone.
    "refresh_months": 2,
}
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
DATASET = "aws_costs"
RAW_TABLE = "cur_line_items"


def credentials_from_connection(aws_conn_id: str) -> dict:
    """S3 credentials through the Amazon provider's hook: keys, assumed role or instance profile,
    and `endpoint_url` from the connection's extra for S3-compatible storage."""
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    hook = AwsBaseHook(aws_conn_id=aws_conn_id, client_type="s3")
    credentials = hook.get_credentials()  # also masks the secret key and session token in task logs
    return {
        "aws_access_key_id": credentials.access_key,
        "aws_secret_access_key": credentials.secret_key,
        "aws_session_token": credentials.token,
        # The connection's region, else boto3's default chain (environment, profile). Not
        # `hook.conn_region_name`: that builds a whole boto3 S3 client (0.1-0.2 s) only to read it,
        # and with a role to assume, a second session (another STS AssumeRole call).
        "region_name": hook.region_name or hook.get_session().region_name,
        "endpoint_url": hook.conn_config.endpoint_url,
    }


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


def newest_completed_load(period_dir: Path, completed: set[str]) -> str | None:
    """The newest completed load that wrote files of this period (the one the SQL reads)."""
    loads = {file_load_id(p) for p in period_dir.glob("*") if p.is_file()} & completed
    return max(loads, key=float) if loads else None


def prune_period(period_dir: Path, completed: set[str]) -> int:
    """Delete the files of a billing period that no reader counts, given the completed loads:
    files of older loads, superseded by the period's newest completed load, and files of loads that
    never completed (a killed or failed run). Only call it while holding the pipeline's lock with
    no package pending: then no load that is still running can own a file here."""
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


def prune_all_periods(table_dir: Path) -> dict[str, int]:
    """prune_period for every billing period folder; returns files removed per period."""
    completed = completed_load_ids(table_dir.parent)
    removed = {}
    for period_dir in sorted(p for p in table_dir.glob("*") if p.is_dir() and PERIOD.match(p.name)):
        count = prune_period(period_dir, completed)
        if count:
            removed[period_dir.name] = count
    return removed


def load(request: LoadRequest, config: dict | None = None) -> LoadReport:
    """Load the CUR billing periods `request` asks for; returns what was loaded, per billing period.

    * the intent's periods (a manual run's `billing_periods`, or a backfill run's own period): exactly
      those, reloaded even when AWS did not re-deliver them; a period without a delivered manifest
      fails the load (a backfill run, which asks for the period of its date, skips it and says so);
    * no periods (scheduled runs): the refresh window when AWS re-delivered it, plus periods never loaded;
    * `params.full_refresh`: reload even periods whose delivery did not change.
    `config` overrides the Airflow Variable `aws_costs_config` (merged over DEFAULT_CONFIG).
    """
    from include.pipelines import (
        configure_dlt,
        discard_pending_packages,
        loading_modules,
        pipeline_lock,
        run_pipeline_with_load_id,
    )

    report = LoadReport(DATASET, request.intent, unit=request.unit)
    if request.nothing_to_load:
        return report
    params, run_type = request.params, request.intent.run_type
    configure_dlt()
    with loading_modules():  # dlt, Airflow (Variable), the Amazon provider's hook and boto3
        from include.sources.aws_cur import aws_cur_source, list_deliveries

        config = {**DEFAULT_CONFIG, **config} if config is not None else settings.variable_json(
            CONFIG_VARIABLE, DEFAULT_CONFIG)
        if not config["bucket"]:
            raise ValueError(f"Airflow Variable {CONFIG_VARIABLE!r} must name the CUR export's S3 `bucket`")
        credentials = credentials_from_connection(config["aws_conn_id"])
    export_format, deliveries = list_deliveries(
        config["bucket"], config["prefix"], config["export_name"], credentials, config["export_format"]
    )
    by_period = {d.billing_period: d for d in deliveries}
    available = list(by_period)
    full_refresh = bool(params.get("full_refresh"))
    window = month_window(request.run_date, int(config["refresh_months"]))
    refresh_from = None

    requested = validate_periods(request.intent.periods or [])
    if requested:
        missing = [p for p in requested if p not in available]
        where = f"s3://{config['bucket']}/{config['prefix']}/{config['export_name']}/"
        if missing and run_type != BACKFILL:
            raise ValueError(f"billing periods {missing} have no delivered manifest under {where} (found {available})")
        for period in missing:
            report.skipped(period, f"AWS has delivered no manifest for it under {where}")
        # "to reload": even periods AWS did not re-deliver
        periods, full_refresh = [p for p in requested if p in available], True
    else:
        periods, refresh_from = available, window[0]

    destination = settings.destination_name()
    table_dir = settings.raw_dir() / DATASET / RAW_TABLE
    loaded: dict[str, int] = {}
    with pipeline_lock(DATASET):  # one run at a time: backfills may start several
        # A package of a killed run says nothing reliable about which period's folder it was bound
        # for: discard it (dlt rewinds its state) and load that period again below.
        discard_pending_packages(DATASET, destination)
        on_disk: set[str] = set()
        if destination == "filesystem":
            removed = prune_all_periods(table_dir)
            if removed:
                log.info("removed files no reader counts (superseded or never completed loads): %s", removed)
            completed = completed_load_ids(table_dir.parent)
            on_disk = {p.name for p in table_dir.glob("*") if p.is_dir() and newest_completed_load(p, completed)}
        for index, period in enumerate(periods, 1):
            report.progress(period, index, len(periods), files=len(by_period[period].data_files),
                            delivery=by_period[period].execution_id)
            # dlt's state says which delivery each period holds; on the filesystem it is only
            # believed when the period's data is there (a lost folder is loaded again).
            folder_lost = destination == "filesystem" and period not in on_disk
            source = aws_cur_source(
                config["bucket"],
                config["prefix"],
                config["export_name"],
                credentials,
                full_refresh=full_refresh or folder_lost,
                replace_by_period=destination == "clickhouse",
                refresh_from=refresh_from,
                export_format=export_format,
                deliveries=[by_period[period]],  # discovered once above
            )
            counts, load_id = run_pipeline_with_load_id(
                DATASET, source, destination=destination, partition=period if destination == "filesystem" else None
            )
            loaded[period] = counts.get(RAW_TABLE, 0)
            if loaded[period] or full_refresh or folder_lost:
                report.loaded(period, loaded[period], load_id, delivery=by_period[period].execution_id,
                              files=len(by_period[period].data_files), tables=counts)
            else:
                report.unchanged(period, f"loaded before and older than the refresh window (from {refresh_from})"
                                 if refresh_from and period < refresh_from
                                 else "AWS did not re-deliver it since its last load",
                                 delivery=by_period[period].execution_id)
            if loaded[period] and destination == "filesystem":
                period_dir = table_dir / period
                completed = completed_load_ids(table_dir.parent)
                if newest_completed_load(period_dir, completed) != load_id:
                    raise RuntimeError(
                        f"billing period {period}: load {load_id} is not the newest completed load in {period_dir}"
                    )
                removed_files = prune_period(period_dir, completed)
                log.info("billing period %s: %d rows (load %s), %d superseded files removed",
                         period, loaded[period], load_id, removed_files)
    return report
