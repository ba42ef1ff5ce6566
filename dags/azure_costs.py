"""
### Azure costs

Loads Azure Cost Management's "Cost and usage details (FOCUS)" export (csv.gz or parquet runs with a
manifest, in Blob Storage) into the raw `azure_costs` dataset with dlt, rebuilds the Azure cost tables
with the ClickHouse SQL of the Azure layers, and checks their figures. Its build task updates the
Asset `finops.azure`, which schedules `finops_marts` (the cross-provider marts).

* **Schedule:** daily. A run re-checks the refresh window (the run's month and the one before, see
  `refresh_months`) and reloads a month only when Azure wrote a newer export run of it; a month never
  loaded before is loaded once.
* **Loading a month replaces exactly that month** (the newest export run of it), in raw and in the
  derived tables.
* **Manual runs:** `billing_periods` (e.g. `["2026-09"]`) reloads just those months, even when Azure
  wrote no newer run; `full_refresh` reloads every exported month.
* **Backfill** over a date range: each month in the range is reloaded once, by the backfill's first
  run in that month; the other runs skip it and log which run reloads it.
* **Every load** ends with a summary (log and return value): per month loaded (rows, export run id,
  load id), unchanged or skipped and why. Bad input fails at once naming the blob; only transient
  errors are retried.
* **Configuration:** Airflow Variable `azure_costs_config` (JSON: `container`, `directory`,
  `export_name`, `azure_conn_id`, `refresh_months`); credentials from the Microsoft Azure provider's
  `wasb` connection (default `azure_cost_exports`). Variable `finops_destination` picks `filesystem`
  (local parquet + embedded ClickHouse, default) or `clickhouse`.
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
    dag_id="azure_costs",
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["finops", "azure", "costs"],
    doc_md=__doc__,
    params={
        "billing_periods": Param(
            [],
            type="array",
            items={"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"},
            description="Months (YYYY-MM) to reload, even if Azure wrote no newer export run. "
            "Empty: the refresh window of the run, loading only what Azure re-exported.",
        ),
        "full_refresh": Param(False, type="boolean", description="Reload every exported month."),
    },
)
def azure_costs():
    @task(outlets=[RAW_ASSETS["azure_costs"]], **LOAD_TASK_LIMITS)
    def load_focus_export() -> dict:
        from include.loaders import azure
        from include.run_intent import from_context
        from include.task_failures import retry_only_transient

        request = from_context(get_current_context(), "azure_costs")
        with retry_only_transient("azure_costs load"):
            return azure.load(request).finish()

    @task(outlets=[PROVIDER_ASSETS["azure"]], pool=SQL_POOL)
    def build_cost_tables() -> dict:
        from include.transform import run_transformations

        # Only the months that completed loads changed since the last build (all with full_refresh).
        return run_transformations("azure", periods=None if get_current_context()["params"]["full_refresh"] else "changed")

    @task(pool=SQL_POOL, **CHECK_TASK_CALLBACKS)
    def check_figures() -> dict:
        """Reconciliation after the SQL build (include/reconciliation/): fails with period, figures, difference."""
        from include.reconciliation import run_checks

        return run_checks("azure", run_id=get_current_context()["run_id"], periods="changed")

    load_focus_export() >> build_cost_tables() >> check_figures()


azure_costs()
