"""Where the platform writes and which destination it loads into.

Everything here is read at task run time (never at DAG parse time): an Airflow Variable picks
the destination, paths come from the environment, credentials come only from Airflow connections.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Every Airflow connection, Variable and pool the project uses, named here and nowhere else.
# airflow_settings.yaml declares each of them (tests/test_project_files.py checks both ways).
# Connections
CLICKHOUSE_CONN_ID = "clickhouse_default"  # the ClickHouse server (destination `clickhouse`)
EMBEDDED_CLICKHOUSE_CONN_ID = "clickhouse_embedded"  # chdb (destination `filesystem`), see include/clickhouse.py
AWS_CONN_ID = "aws_default"
GCP_CONN_ID = "google_cloud_default"
AZURE_CONN_ID = "azure_cost_exports"  # the Microsoft Azure provider's type `wasb`: the FOCUS export's storage
STRIPE_CONN_ID = "stripe_default"
ALERT_CONN_ID = "finops_alerts"  # webhook (type http): failed tasks, budget/anomaly/reconciliation alerts
ALERT_EMAIL_CONN_ID = "finops_alerts_email"  # SMTP provider (type smtp): the same alerts by e-mail
ANONYMIZE_KEY_CONN_ID = "finops_anonymize"
# Variables
DESTINATION_VARIABLE = "finops_destination"
AWS_CONFIG_VARIABLE = "aws_costs_config"
GCP_CONFIG_VARIABLE = "gcp_costs_config"
AZURE_CONFIG_VARIABLE = "azure_costs_config"
STRIPE_CONFIG_VARIABLE = "stripe_revenue_config"
SQL_CONFIG_VARIABLE = "finops_sql_config"
DASHBOARDS_CONFIG_VARIABLE = "finops_dashboards_config"
ANONYMIZE_CONFIG_VARIABLE = "finops_anonymize_config"
ANONYMIZE_KEY_VARIABLE = "finops_anonymize_key"
ALERTS_CONFIG_VARIABLE = "finops_alerts_config"
# Pools. One slot: the SQL tasks of all DAGs take turns (the embedded engine's data folder is used
# by one process at a time; on a server it keeps rebuilds from competing).
SQL_POOL = "finops_sql"
# Caps concurrent calls to the Stripe API across runs and backfills.
STRIPE_POOL = "stripe_api"

CONNECTIONS = (CLICKHOUSE_CONN_ID, EMBEDDED_CLICKHOUSE_CONN_ID, AWS_CONN_ID, GCP_CONN_ID, AZURE_CONN_ID,
               STRIPE_CONN_ID, ALERT_CONN_ID, ALERT_EMAIL_CONN_ID, ANONYMIZE_KEY_CONN_ID)
VARIABLES = (DESTINATION_VARIABLE, AWS_CONFIG_VARIABLE, GCP_CONFIG_VARIABLE, AZURE_CONFIG_VARIABLE, STRIPE_CONFIG_VARIABLE,
             SQL_CONFIG_VARIABLE, DASHBOARDS_CONFIG_VARIABLE, ANONYMIZE_CONFIG_VARIABLE, ANONYMIZE_KEY_VARIABLE,
             ALERTS_CONFIG_VARIABLE)
POOLS = (SQL_POOL, STRIPE_POOL)

DESTINATIONS = ("filesystem", "clickhouse")

# Databases used by the SQL layer. Raw tables are exposed as views in RAW_DATABASE so that the same
# SQL files read them whether dlt wrote parquet files (filesystem) or ClickHouse tables.
RAW_DATABASE = "finops_raw"
MART_DATABASE = "finops"


def data_dir() -> Path:
    """Root of everything the filesystem destination writes (raw parquet, embedded ClickHouse)."""
    return Path(os.environ.get("FINOPS_DATA_DIR", PROJECT_ROOT / "data")).resolve()


def raw_dir() -> Path:
    return data_dir() / "raw"


def chdb_dir() -> Path:
    return data_dir() / "chdb"


def dlt_pipelines_dir() -> Path:
    return data_dir() / "dlt_pipelines"


def destination_name() -> str:
    """The destination chosen by the `finops_destination` Airflow Variable (default: filesystem)."""
    value = os.environ.get("FINOPS_DESTINATION")
    if value is None:
        from airflow.sdk import Variable

        value = Variable.get(DESTINATION_VARIABLE, default="filesystem")
    value = value.strip().lower()
    if value not in DESTINATIONS:
        raise ValueError(
            f"Airflow Variable {DESTINATION_VARIABLE!r} is {value!r}; expected one of {DESTINATIONS}"
        )
    return value


def variable_json(name: str, defaults: dict) -> dict:
    """A JSON Airflow Variable merged over `defaults` (configuration, never credentials)."""
    from airflow.sdk import Variable

    value = Variable.get(name, default=None, deserialize_json=True)
    if value is not None and not isinstance(value, dict):
        raise ValueError(f"Airflow Variable {name!r} must be a JSON object, got {type(value).__name__}")
    return {**defaults, **(value or {})}


def lock_timeout_seconds() -> float:
    """How long a run waits for another run of the same pipeline (or SQL on the same embedded
    database) to finish before it stops with an error; below the tasks' execution_timeout."""
    return float(os.environ.get("FINOPS_LOCK_TIMEOUT_SECONDS", 30 * 60))
