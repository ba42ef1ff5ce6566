"""`astro dev start` with the ClickHouse of docker-compose.override.yml works without manual steps:
Airflow waits for a healthy server, and the server creates the databases and users on first start
with the same SQL as `make clickhouse-setup`."""

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from include.clickhouse_admin import setup_values, split_statements, statements

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docker" / "clickhouse" / "finops-setup.sh"
AIRFLOW_SERVICES = ("scheduler", "dag-processor", "triggerer", "api-server")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.override.yml").read_text())


def test_airflow_waits_for_a_healthy_clickhouse_whose_first_start_runs_the_setup():
    services = compose()["services"]
    for name in AIRFLOW_SERVICES:
        assert services[name]["depends_on"]["clickhouse"]["condition"] == "service_healthy", name
    clickhouse = services["clickhouse"]
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in clickhouse["volumes"]}
    assert (ROOT / mounts["/docker-entrypoint-initdb.d/finops-setup.sh"]).resolve() == SCRIPT
    assert (ROOT / mounts["/finops-setup"]).resolve() == ROOT / "include" / "clickhouse_admin" / "sql"
    assert ".finops-setup-done" in " ".join(clickhouse["healthcheck"]["test"])
    env = clickhouse["environment"]
    # the users it creates are the ones the Airflow containers log in as
    conn = yaml.safe_load(services["scheduler"]["environment"]["AIRFLOW_CONN_CLICKHOUSE_DEFAULT"])
    assert (conn["login"], conn["password"], conn["schema"]) == (
        "finops_loader", env["FINOPS_LOADER_PASSWORD"], env["FINOPS_LANDING_DATABASE"])


@pytest.mark.parametrize("password", ["change-me", "it's a \\ & | $HOME pass"])
def test_first_start_script_applies_the_same_statements_as_make_clickhouse_setup(tmp_path, password):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "clickhouse-client").write_text(f"#!/bin/sh\ncat >> {tmp_path}/applied.sql\n")
    (fake / "clickhouse-client").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "FINOPS_SETUP_DIR": str(ROOT / "include/clickhouse_admin/sql"),
           "FINOPS_SETUP_MARKER": str(tmp_path / "done"), "FINOPS_LOADER_PASSWORD": password,
           "FINOPS_DASHBOARD_PASSWORD": "dash", "FINOPS_LANDING_DATABASE": "landing"}
    subprocess.run(["bash", str(SCRIPT)], env=env, check=True, capture_output=True)
    applied = split_statements((tmp_path / "applied.sql").read_text())
    values = setup_values({"FINOPS_LOADER_PASSWORD": password, "FINOPS_DASHBOARD_PASSWORD": "dash"}, "landing")
    assert applied == [split_statements(s.sql)[0] for s in statements(values)]
    assert (tmp_path / "done").exists()


def test_first_start_script_refuses_an_empty_password(tmp_path):
    env = {**os.environ, "FINOPS_LOADER_PASSWORD": " ", "FINOPS_DASHBOARD_PASSWORD": "x",
           "FINOPS_SETUP_MARKER": str(tmp_path / "done")}
    result = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True)
    assert result.returncode == 1 and "FINOPS_LOADER_PASSWORD" in result.stderr
    assert not (tmp_path / "done").exists()
