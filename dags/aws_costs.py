"""
### AWS costs

Loads the AWS Cost and Usage Report (Data Exports CUR 2.0 parquet) from S3 into the raw `aws_costs`
dataset with dlt, then rebuilds the AWS cost tables with the ClickHouse SQL in `include/sql/aws`.

* **Schedule:** daily. A run re-checks the refresh window (the run's month and the one before, see
  `refresh_months`) and reloads a billing period only when AWS re-delivered it; a period never
  loaded before is loaded once.
* **Loading a billing period replaces exactly that period**, in raw and in the derived tables.
* **Manual runs:** `billing_periods` (e.g. `["2026-09"]`) reloads just those periods;
  `full_refresh` reloads even unchanged ones. A **backfill** reloads the window of each run.
* **Configuration:** Airflow Variable `aws_costs_config` (JSON: `bucket`, `prefix`, `export_name`,
  `aws_conn_id`, `refresh_months`); credentials from the AWS connection (default `aws_default`).
  Variable `finops_destination` picks `filesystem` (local parquet + embedded ClickHouse, default)
  or `clickhouse`.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, get_current_context, task

from include.dag_config import (
    DEFAULT_ARGS,
    LOAD_TASK_LIMITS,
    MART_ASSETS,
    RAW_ASSETS,
    SQL_POOL,
    START_DATE,
    run_date,
    run_type,
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
            description="Billing periods (YYYY-MM) to reload. Empty: the refresh window of the run.",
        ),
        "full_refresh": Param(False, type="boolean", description="Reload even periods AWS did not re-deliver."),
    },
)
def aws_costs():
    @task(outlets=[RAW_ASSETS["aws_costs"]], **LOAD_TASK_LIMITS)
    def load_cur() -> dict:
        from include.loaders import aws

        context = get_current_context()
        return aws.load(dict(context["params"]), run_date(context), run_type(context))

    @task(outlets=[MART_ASSETS["aws_costs"]], pool=SQL_POOL)
    def build_cost_tables() -> dict:
        from include.sql_runner import run_transformations

        # Only the billing periods that completed loads changed since the last build (all with full_refresh).
        return run_transformations("aws", periods=None if get_current_context()["params"]["full_refresh"] else "changed")

    @task(pool=SQL_POOL)
    def check_figures() -> dict:
        """Reconciliation after the SQL build (include/reconciliation.py): fails with period, figures, difference."""
        from include.reconciliation import run_checks

        return run_checks("aws", run_id=get_current_context()["run_id"])

    load_cur() >> build_cost_tables() >> check_figures()


aws_costs()
