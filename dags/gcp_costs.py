"""
### GCP costs

Loads the Cloud Billing export from BigQuery into the raw `gcp_costs` dataset with dlt, rebuilds
the GCP cost tables (cost, credits by type, net cost) with the SQL of the GCP layers, and checks
their figures. Its build task updates the Asset `finops.gcp`, which schedules `finops_marts`.

* **Schedule:** daily, incremental on `export_time` with a lookback window for late rows.
* **Manual runs:** `invoice_months` (e.g. `["202609"]`) reloads exactly those invoice months;
  `full_refresh` reloads everything.
* **Backfill** over a date range: each invoice month in the range is reloaded once, by the
  backfill's first run in that month; the other runs skip it and log which run reloads it.
* **Every load** ends with a summary (log and return value). Bad input fails at once; only
  transient errors are retried.
* **Configuration:** Airflow Variable `gcp_costs_config` (JSON: `billing_table`, `gcp_conn_id`, ...);
  credentials from the Google Cloud connection (default `google_cloud_default`).
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
    dag_id="gcp_costs",
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["finops", "gcp", "costs"],
    doc_md=__doc__,
    params={
        "invoice_months": Param(
            [],
            type="array",
            items={"type": "string", "pattern": r"^\d{4}(0[1-9]|1[0-2])$"},
            description="Invoice months (YYYYMM) to reload. Empty: incremental load.",
        ),
        "full_refresh": Param(False, type="boolean", description="Reload the whole export."),
    },
)
def gcp_costs():
    @task(outlets=[RAW_ASSETS["gcp_costs"]], **LOAD_TASK_LIMITS)
    def load_billing_export() -> dict:
        from include.loaders import gcp
        from include.run_intent import from_context
        from include.task_failures import retry_only_transient

        request = from_context(get_current_context(), "gcp_costs")
        with retry_only_transient("gcp_costs load"):
            return gcp.load(request).finish()

    @task(outlets=[PROVIDER_ASSETS["gcp"]], pool=SQL_POOL)
    def build_cost_tables() -> dict:
        from include.run_intent import from_context, gcp_build_periods
        from include.transform import run_transformations

        context = get_current_context()
        intent = from_context(context, "gcp_costs").intent
        return run_transformations("gcp", periods=gcp_build_periods(intent, context["params"]["full_refresh"]))

    @task(pool=SQL_POOL, **CHECK_TASK_CALLBACKS)
    def check_figures() -> dict:
        """Reconciliation after the SQL build (include/reconciliation/): fails with period, figures, difference."""
        from include.reconciliation import run_checks

        return run_checks("gcp", run_id=get_current_context()["run_id"], periods="changed")

    load_billing_export() >> build_cost_tables() >> check_figures()


gcp_costs()
