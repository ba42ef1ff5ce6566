"""
### AWS costs

Loads the AWS Cost and Usage Report (Data Exports CUR 2.0 parquet) from S3 into the raw `aws_costs`
dataset with dlt, rebuilds the AWS cost tables with the ClickHouse SQL of the AWS layers, and checks
their figures. Its build task updates the Asset `finops.aws`, which schedules `finops_marts` (the
cross-provider marts).

* **Schedule:** daily. A run re-checks the refresh window (the run's month and the one before, see
  `refresh_months`) and reloads a billing period only when AWS re-delivered it; a period never
  loaded before is loaded once.
* **Loading a billing period replaces exactly that period**, in raw and in the derived tables.
* **Manual runs:** `billing_periods` (e.g. `["2026-09"]`) reloads just those periods, even when AWS
  did not re-deliver them; `full_refresh` reloads every delivered period.
* **Backfill** over a date range: each billing period in the range is reloaded once, by the
  backfill's first run in that period; the other runs skip it and log which run reloads it.
* **Every load** ends with a summary (log and return value): per period loaded (rows, delivery id,
  load id), unchanged or skipped and why. Bad input fails at once; only transient errors are retried.
* **Configuration:** Airflow Variable `aws_costs_config` (JSON: `bucket`, `prefix`, `export_name`,
  `aws_conn_id`, `refresh_months`); credentials from the AWS connection (default `aws_default`).
  Variable `finops_destination` picks `filesystem` (local parquet + embedded ClickHouse, default)
  or `clickhouse`.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, get_current_context, task

from include.dag_config import (
    CHECK_TASK_CALLBACKS,
    DEFAULT_ARGS,
    LOAD_TASK_LIMITS,
    PROVIDER_ASSETS,
    RAW_ASSETS,
    SQL_POOL,
    START_DATE,
)


@dag(
    dag_id="aws_costs",
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["finops", "aws", "costs"],
    doc_md=__doc__,
    params={
        "billing_periods": Param(
            [],
            type="array",
            items={"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"},
            description="Billing periods (YYYY-MM) to reload, even if AWS did not re-deliver them. "
            "Empty: the refresh window of the run, loading only what AWS re-delivered.",
        ),
        "full_refresh": Param(False, type="boolean", description="Reload every delivered billing period."),
    },
)
def aws_costs():
    @task(outlets=[RAW_ASSETS["aws_costs"]], **LOAD_TASK_LIMITS)
    def load_cur() -> dict:
        from include.loaders import aws
        from include.run_intent import from_context
        from include.task_failures import retry_only_transient

        request = from_context(get_current_context(), "aws_costs")
        with retry_only_transient("aws_costs load"):
            return aws.load(request).finish()

    @task(outlets=[PROVIDER_ASSETS["aws"]], pool=SQL_POOL)
    def build_cost_tables() -> dict:
        from include.transform import run_transformations

        # Only the billing periods that completed loads changed since the last build (all with full_refresh).
        return run_transformations("aws", periods=None if get_current_context()["params"]["full_refresh"] else "changed")

    @task(pool=SQL_POOL, **CHECK_TASK_CALLBACKS)
    def check_figures() -> dict:
        """Reconciliation after the SQL build (include/reconciliation/): fails with period, figures, difference."""
        from include.reconciliation import run_checks

        return run_checks("aws", run_id=get_current_context()["run_id"], periods="changed")

    load_cur() >> build_cost_tables() >> check_figures()


aws_costs()
