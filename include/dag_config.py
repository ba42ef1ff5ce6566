"""What the three provider DAGs share: default args, Assets and pools. Light imports only: this
module is imported when DAG files are parsed."""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset

START_DATE = pendulum.datetime(2026, 1, 1, tz="UTC")

DEFAULT_ARGS = {
    "owner": "finops",
    "retries": 2,
    "retry_delay": pendulum.duration(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": pendulum.duration(minutes=30),
    # Every task is bounded: a hung S3/BigQuery/Stripe call or a stuck lock fails the try (and is
    # retried) instead of holding a worker slot forever. Far above a normal run (minutes).
    "execution_timeout": pendulum.duration(hours=3),
}
# A load task's runs take turns, backfill runs included (the DAG's max_active_runs does not bind a
# backfill): two runs of one dlt pipeline would share its working folder and raw data. The loaders
# also take a file lock on the pipeline (include/pipelines.py) for runs outside the scheduler.
LOAD_TASK_LIMITS = {"max_active_tis_per_dag": 1}

# One slot: the SQL tasks of all DAGs take turns (the embedded engine's data folder is used by
# one process at a time; on a server it keeps rebuilds from competing).
SQL_POOL = "finops_sql"
# Caps concurrent calls to the Stripe API across runs and backfills.
STRIPE_POOL = "stripe_api"

# Raw data landed by dlt, and the derived tables of the SQL layer, per provider.
RAW_ASSETS = {name: Asset(f"finops.raw.{name}") for name in ("aws_costs", "gcp_costs", "stripe_revenue")}
MART_ASSETS = {name: Asset(f"finops.mart.{name}") for name in ("aws_costs", "gcp_costs", "stripe_revenue")}


def run_type(context) -> str:
    """`scheduled`, `manual`, `backfill` or `asset_triggered`. (The task SDK's enum prints as
    `DagRunType.BACKFILL`, so compare its value, never its str().)"""
    kind = context["dag_run"].run_type
    return str(getattr(kind, "value", kind))


def backfill_params(context, params: dict) -> dict:
    """The params of a run; for a backfill run whose params do not choose a range themselves, the
    run's data interval as `start_date` / `end_date` (the interval's end is exclusive)."""
    params = dict(params)
    if run_type(context) == "backfill" and not params.get("start_date") and not params.get("end_date"):
        start = context.get("data_interval_start") or context.get("logical_date")
        end = context.get("data_interval_end")
        if start is not None:
            params["start_date"] = pendulum.instance(start).date().isoformat()
        if end is not None and pendulum.instance(end) > pendulum.instance(start):
            params["end_date"] = pendulum.instance(end).subtract(days=1).date().isoformat()
    return params


def backfill_invoice_months(context, params: dict) -> dict:
    """For a backfill run without `invoice_months`: the invoice month (YYYYMM) of the run's date."""
    params = dict(params)
    if run_type(context) == "backfill" and not params.get("invoice_months") and not params.get("full_refresh"):
        params["invoice_months"] = [run_date(context).format("YYYYMM")]
    return params


def run_date(context) -> pendulum.Date:
    """The date a run is about: its logical date, or when it was triggered for runs without one."""
    when = context.get("logical_date") or context["dag_run"].run_after
    return pendulum.instance(when).date()
