"""Shared test setup: make `include` and `standins` importable and keep dlt quiet."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT,):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
# dlt's home for the whole session (tests that load data set their own, per test).
os.environ.setdefault("DLT_DATA_DIR", tempfile.mkdtemp(prefix="finops-tests-dlt-"))

# Stand-in servers, started once per test session on 127.0.0.1 with free ports.
pytest_plugins = [
    "tests.fixtures.s3",
    "tests.fixtures.azurite",
    "tests.fixtures.bigquery",
    "tests.fixtures.stripe",
    "tests.fixtures.local_data",
    "tests.fixtures.aws_airflow",
    "tests.fixtures.demo_marts",
    "tests.fixtures.dag_bag",
    "tests.xdist_demo_group",
]
