"""Project code imported by the DAGs: sources, loaders, SQL runner and settings."""

import os

# dlt reads these when it is first imported, so they are set before any module imports dlt.
# Telemetry off; and no lookup of dlt config in Airflow Variables (`dlt_secrets_toml`): sources get
# their configuration from Airflow connections and Variables explicitly.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("PROVIDERS__ENABLE_AIRFLOW_SECRETS", "false")
# dlt keeps its home (telemetry id, local state) under DLT_DATA_DIR; as root it would default to /var.
os.environ.setdefault(
    "DLT_DATA_DIR",
    os.path.join(os.environ.get("FINOPS_DATA_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")),
                 "dlt_home"),
)
