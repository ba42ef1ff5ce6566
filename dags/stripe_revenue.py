"""
### Stripe revenue

Loads Stripe objects (balance transactions first: the ledger) through the official SDK into the
raw `stripe_revenue` dataset with dlt, rebuilds the revenue tables with the SQL of the Stripe layers,
and checks their figures. Its build task updates the Asset `finops.stripe`, which schedules
`finops_marts`.

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
    CHECK_TASK_CALLBACKS,
    DEFAULT_ARGS,
    LOAD_TASK_LIMITS,
    PROVIDER_ASSETS,
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
        from include.loaders import stripe
        from include.run_intent import from_context
        from include.task_failures import retry_only_transient

        request = from_context(get_current_context(), "stripe_revenue")
        with retry_only_transient("stripe_revenue load"):
            return stripe.load(request).finish()

    @task(outlets=[PROVIDER_ASSETS["stripe"]], pool=SQL_POOL)
    def build_revenue_tables() -> dict:
        from include.transform import run_transformations

        full_refresh = get_current_context()["params"]["full_refresh"]
        return run_transformations("stripe", periods=None if full_refresh else "changed")

    @task(pool=SQL_POOL, **CHECK_TASK_CALLBACKS)
    def check_figures() -> dict:
        """Reconciliation after the SQL build (include/reconciliation/): fails with period, figures, difference."""
        from include.reconciliation import run_checks

        return run_checks("stripe", run_id=get_current_context()["run_id"], periods="changed")

    load_stripe_objects() >> build_revenue_tables() >> check_figures()


stripe_revenue()
