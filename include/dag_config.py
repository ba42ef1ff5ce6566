"""What the DAGs share: default args (with the failure alert), Assets and pools. Light
imports only: this module is imported when DAG files are parsed. Which periods a run loads is decided
in include/run_intent.py."""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset

from include.alerts import FailureAlert
from include.alerts.send import ReconciliationAlert
from include.run_intent import run_date, run_type  # noqa: F401 - where DAG code used to find them
from include.settings import SQL_POOL, STRIPE_POOL  # noqa: F401 - the DAGs' pools, named in settings

START_DATE = pendulum.datetime(2026, 1, 1, tz="UTC")

DEFAULT_ARGS = {
    "owner": "finops",
    "retries": 2,
    "retry_delay": pendulum.duration(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": pendulum.duration(minutes=30),
    # Every task is bounded: a hung S3/Blob Storage/BigQuery/Stripe call or a stuck lock fails the try (and is
    # retried) instead of holding a worker slot forever. Far above a normal run (minutes).
    "execution_timeout": pendulum.duration(hours=3),
    # Only transient errors reach a retry: load tasks fail bad input at once (include/task_failures.py).
    "on_failure_callback": [FailureAlert()],
}
# A load task's runs take turns, backfill runs included (the DAG's max_active_runs does not bind a
# backfill): two runs of one dlt pipeline would share its working folder and raw data. The loaders
# also take a file lock on the pipeline (include/pipelines.py) for runs outside the scheduler.
LOAD_TASK_LIMITS = {"max_active_tis_per_dag": 1}
# A check task that fails alerts twice: the task failure, and each failed reconciliation check with its
# figures (include/alerts/send.py: once per check, period and currency; again only when it grows).
CHECK_TASK_CALLBACKS = {"on_failure_callback": [FailureAlert(), ReconciliationAlert()]}


# Raw data landed by dlt, per dataset (the load tasks' outlets).
RAW_ASSETS = {name: Asset(f"finops.raw.{name}") for name in ("aws_costs", "azure_costs", "gcp_costs", "stripe_revenue")}
# A provider's own SQL layers, rebuilt by its DAG's build task: what `finops_marts` is scheduled on.
PROVIDER_ASSETS = {provider: Asset(f"finops.{provider}") for provider in ("aws", "azure", "gcp", "stripe")}
# The cross-provider marts, rebuilt by `finops_marts`: what `finops_publish` is scheduled on.
MARTS_ASSET = Asset("finops.marts")
