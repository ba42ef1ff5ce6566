"""
### Publish: generated dashboards and the anonymized copy

Runs after `finops_marts` has rebuilt the cross-provider marts (Asset `finops.marts`).

* **generate_dashboards:** Rill pages chosen from the data: per provider an overview, a metrics view
  and an explore, and a canvas per tag/label key worth a page (`include/rill_dashboards`, the same as
  `make dashboards`). Writes to `rill/generated/` or the `output_dir` of the Variable
  `finops_dashboards_config` (JSON: `chart_rules`, `output_dir`).
* **anonymized_copy:** the marts copied into their own database with money scaled by a secret factor
  and identifiers, names, free text and tag values replaced by keyed tokens (`include/anonymize`, the
  same as `make anonymize`). Configuration: Variable `finops_anonymize_config` (JSON: `database`,
  `target_conn_id`, `per_provider_factors`, `date_shift_years`, `keep_tag_values`); key: the password
  of the connection `finops_anonymize` or the Variable `finops_anonymize_key`. Skipped while no key is set.
"""

from __future__ import annotations

from airflow.sdk import Asset, dag, task

from include.dag_config import DEFAULT_ARGS, MARTS_ASSET, SQL_POOL, START_DATE

PUBLISH_ASSETS = {name: Asset(f"finops.publish.{name}") for name in ("dashboards", "anonymized")}


@dag(
    dag_id="finops_publish",
    schedule=MARTS_ASSET,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["finops", "rill", "publish"],
    doc_md=__doc__,
)
def finops_publish():
    @task(outlets=[PUBLISH_ASSETS["dashboards"]], pool=SQL_POOL)
    def generate_dashboards() -> dict:
        from include.rill_dashboards import run

        return run()

    @task(outlets=[PUBLISH_ASSETS["anonymized"]], pool=SQL_POOL)
    def anonymized_copy() -> dict:
        from airflow.exceptions import AirflowSkipException

        from include.anonymize import key_configured, run

        if not key_configured():
            raise AirflowSkipException("no anonymization key (connection finops_anonymize / Variable finops_anonymize_key)")
        return run()

    generate_dashboards() >> anonymized_copy()


finops_publish()
