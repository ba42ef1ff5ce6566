"""
### FinOps marts: the cross-provider tables

Builds the marts that combine providers (monthly costs, daily cost, FOCUS, unit economics, cost
anomalies and forecast) once, after any provider DAG has rebuilt its own tables, then checks their
figures. The provider DAGs build only their own layers.

* **Schedule:** the Assets `finops.aws`, `finops.gcp`, `finops.stripe` and `finops.azure` (any of
  them): updated by the build task of `aws_costs`, `gcp_costs`, `stripe_revenue` and `azure_costs`. Several provider runs finishing
  close together make one marts run.
* **build_marts:** rebuilds the marts from the providers' tables (the `finops_sql` pool: SQL tasks
  take turns). **check_marts:** reconciles the marts against the providers' tables per period and
  fails with the period, figures and difference when one does not add up; a failed check is alerted from
  its failure path (`ReconciliationAlert`). **send_alerts:** budgets at risk or over, cost anomalies and
  failed checks, each once per channel and again only when worse (include/alerts/), through the
  notifiers of the connections `finops_alerts` (webhook) and `finops_alerts_email` (SMTP).
* Updates the Asset `finops.marts`, which schedules `finops_publish` (dashboards, anonymized copy).
"""

from __future__ import annotations

from airflow.sdk import dag, get_current_context, task

from include.dag_config import CHECK_TASK_CALLBACKS, DEFAULT_ARGS, MARTS_ASSET, PROVIDER_ASSETS, SQL_POOL, START_DATE


@dag(
    dag_id="finops_marts",
    schedule=PROVIDER_ASSETS["aws"] | PROVIDER_ASSETS["gcp"] | PROVIDER_ASSETS["stripe"] | PROVIDER_ASSETS["azure"],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["finops", "marts"],
    doc_md=__doc__,
)
def finops_marts():
    @task(outlets=[MARTS_ASSET], pool=SQL_POOL)
    def build_marts() -> dict:
        from include.transform import run_transformations

        return run_transformations("marts")

    @task(pool=SQL_POOL, **CHECK_TASK_CALLBACKS)
    def check_marts() -> dict:
        """Reconciliation of the marts (include/reconciliation/): fails with period, figures, difference."""
        from include.reconciliation import run_checks

        return run_checks("marts", run_id=get_current_context()["run_id"], periods="changed")

    @task(pool=SQL_POOL)
    def send_alerts() -> dict:
        """Budget, anomaly and reconciliation alerts, new or worse ones only (include/alerts/send.py)."""
        from include.alerts.send import send_alerts as send

        context = get_current_context()
        return send(run_id=context["run_id"], context=context)

    build_marts() >> check_marts() >> send_alerts()


finops_marts()
