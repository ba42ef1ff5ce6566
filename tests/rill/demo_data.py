"""Build the demo data the Rill tests run on: the real load tasks against the stand-ins, the SQL layer
on embedded ClickHouse, then the marts exported as parquet (what `rill start rill/` reads locally).

Same path as `make demo` without the Airflow scheduler: runners.demo generates the data and starts the
S3 / BigQuery / Azurite / Stripe stand-ins, the four load tasks (include.loaders.*) run on the `filesystem`
destination, then include.transform.run_transformations and include.reconciliation.run_checks for aws,
azure, gcp and stripe, then
include.transform.export.export_marts.
"""

from __future__ import annotations

import json
import os
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import pytest

MONTHS = 3
AWS_ROWS, GCP_ROWS, STRIPE_CUSTOMERS = 3_000, 150, 40


def build(data_dir: Path, workdir: Path, months: int = MONTHS) -> dict:
    """Load, transform and export into `data_dir`; returns the months, the export's {table: rows}, the
    expected totals and the finops_sql_config the SQL ran with."""
    from runners import demo, demo_allocation

    month_list = demo.demo_months(date.today(), months)
    data = demo.generate_sample_data(month_list, AWS_ROWS, GCP_ROWS, STRIPE_CUSTOMERS)
    env = {
        "FINOPS_DESTINATION": "filesystem",
        "FINOPS_DATA_DIR": str(data_dir),
        "DLT_DATA_DIR": str(data_dir / "dlt_home"),
        "RUNTIME__DLTHUB_TELEMETRY": "false",
    }
    with pytest.MonkeyPatch.context() as patch, ExitStack() as stack:
        for key, value in env.items():
            patch.setenv(key, value)
        for key, value in demo.start_standins(stack, data, workdir).items():
            patch.setenv(key, value)
        from include.clickhouse import clickhouse_client
        from include.loaders import aws, azure, gcp, stripe
        from include.run_intent import request_for
        from include.transform import run_transformations
        from include.transform.export import export_marts

        aws.load(request_for("aws_costs"), config=json.loads(os.environ["AIRFLOW_VAR_AWS_COSTS_CONFIG"]))
        azure.load(request_for("azure_costs"), config=json.loads(os.environ["AIRFLOW_VAR_AZURE_COSTS_CONFIG"]))
        gcp.load(request_for("gcp_costs"), config=json.loads(os.environ["AIRFLOW_VAR_GCP_COSTS_CONFIG"]))
        stripe.load(request_for("stripe_revenue"), config=json.loads(os.environ["AIRFLOW_VAR_STRIPE_REVENUE_CONFIG"]))
        from include.reconciliation import run_checks

        sql_config = demo_allocation.demo_sql_config(data)
        for target in ("aws", "azure", "gcp", "stripe", "marts"):
            run_transformations(target, config=sql_config)
            run_checks(target, run_id=f"demo__{target}")  # the check task after each build
        client = clickhouse_client("filesystem")
        try:
            exported = {table: outcome["rows"] for table, outcome in export_marts(client, data_dir).items()}
        finally:
            client.close()
    return {"months": month_list, "exported": exported, "expected": demo.expected_totals(data), "sql_config": sql_config}
