"""
### Stripe revenue

Loads Stripe objects (balance transactions first: the ledger) through the official SDK into the
raw `stripe_revenue` dataset with dlt, then rebuilds the revenue tables with the SQL in
`include/sql/stripe`.

* **Schedule:** daily, incremental on `created`.
* **Manual runs:** `start_date` / `end_date` (YYYY-MM-DD, both included) reload that range;
  `full_refresh` reloads everything Stripe can serve again (the subscription-state and event history
  is kept). A **backfill** reloads each run's data interval (the runs'
  intervals do not overlap, so each day of the range is reloaded once); the SQL keeps one row per
  Stripe object, so nothing is counted twice.
* **Every load** ends with a summary (log and return value). Bad input fails at once; only
  transient errors (network, 5xx, rate limits) are retried.
* **Configuration:** Airflow Variable `stripe_revenue_config` (JSON); the API key is the password
  of the Stripe connection (default `stripe_default`; a restricted read-only key is enough).
  API calls are capped by the `stripe_api` pool.
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
    STRIPE_POOL,
)


@dag(
    dag_id="stripe_revenue",
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["finops", "stripe", "revenue"],
    doc_md=__doc__,
    params={
        "start_date": Param(None, type=["null", "string"], format="date", description="First day to reload."),
        "end_date": Param(None, type=["null", "string"], format="date", description="Last day to reload."),
        "full_refresh": Param(False, type="boolean", description="Reload all Stripe objects; the subscription-state and event history is kept."),
    },
)
def stripe_revenue():
    @task(outlets=[RAW_ASSETS["stripe_revenue"]], pool=STRIPE_POOL, **LOAD_TASK_LIMITS)
    def load_stripe_objects() -> dict:
        from include.load_summary import LoadReport
        from include.loaders import stripe
        from include.run_intent import stripe_intent
        from include.task_failures import retry_only_transient

        context = get_current_context()
        intent, params = stripe_intent(context, dict(context["params"]))
        report = LoadReport("stripe_revenue", intent, unit="range")
        with retry_only_transient("stripe_revenue load"):
            stripe.load(params, report=report)
        return report.finish()

    @task(outlets=[MART_ASSETS["stripe_revenue"]], pool=SQL_POOL)
    def build_revenue_tables() -> dict:
        from include.transform import run_transformations

        full_refresh = get_current_context()["params"]["full_refresh"]
        built = run_transformations("stripe", periods=None if full_refresh else "changed")
        # The cross-provider marts and their checks, until the finops_marts DAG (scheduled on the providers'
        # Assets) builds them.
        from include.reconciliation import run_checks

        marts = run_transformations("marts")["marts"]
        run_checks("marts", run_id=get_current_context()["run_id"])
        return {**built, "marts": marts}

    @task(pool=SQL_POOL)
    def check_figures() -> dict:
        """Reconciliation after the SQL build (include/reconciliation.py): fails with period, figures, difference."""
        from include.reconciliation import run_checks

        return run_checks("stripe", run_id=get_current_context()["run_id"])

    load_stripe_objects() >> build_revenue_tables() >> check_figures()


stripe_revenue()
