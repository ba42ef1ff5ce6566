"""Project code imported by the DAGs: sources, loaders, SQL runner and settings."""

import os

# dlt reads these when it is first imported, so they are set before any module imports dlt.
# Telemetry off; and no lookup of dlt config in Airflow Variables (`dlt_secrets_toml`): sources get
# their configuration from Airflow connections and Variables explicitly.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("PROVIDERS__ENABLE_AIRFLOW_SECRETS", "false")
