"""The local Airflow (`make airflow`) on PostgreSQL: a real scheduler runs a real backfill created with
`airflow backfill create`, and each billing period in the backfill's range is reloaded exactly once."""

import json
import os
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import psutil
import pytest

from runners.demo import CUR_BUCKET, CUR_EXPORT, CUR_PREFIX
from runners.local_airflow import _group_alive, running_airflow
from standins.ports import free_port
from standins.s3 import MotoS3Server
from standins.sample_data.aws import Cur2Export, generate_cur2_month, write_cur2_period

pytestmark = pytest.mark.timeout(480)

TERMINAL = ("success", "failed")
KEEP = bool(os.environ.get("FINOPS_KEEP_TEST_AIRFLOW"))  # keep the Airflow home (logs) to debug a failure


@pytest.fixture
def workdir():
    # not pytest's tmp_path: concurrent pytest sessions prune each other's old numbered folders
    path = Path(tempfile.mkdtemp(prefix="finops-local-airflow-"))
    yield path
    if not KEEP:
        shutil.rmtree(path, ignore_errors=True)


def wait_for(what: str, check, timeout: float, local):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        dead = local.stopped()
        assert not dead, f"{', '.join(dead)} stopped while waiting for {what} (logs: {local.logs})"
        time.sleep(2)
    raise AssertionError(f"timed out waiting for {what} (logs: {local.logs})")


def query(local, sql: str, *args) -> list[tuple]:
    conn = local.postgres.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()
    finally:
        conn.close()


def test_a_backfill_across_a_month_end_reloads_each_billing_period_once(workdir):
    periods = ["2026-08", "2026-09"]
    # 3 daily runs: the first starts mid-period (2026-08), the next two share 2026-09
    start, end = date(2026, 8, 31), date(2026, 9, 2)
    with MotoS3Server() as s3:
        client = s3.client()
        client.create_bucket(Bucket=CUR_BUCKET)
        for period in periods:
            write_cur2_period(client, Cur2Export(CUR_BUCKET, CUR_PREFIX, CUR_EXPORT), period,
                              generate_cur2_month(period, 300))
        creds = s3.credentials()
        env = {
            "AIRFLOW_CONN_AWS_DEFAULT": json.dumps({
                "conn_type": "aws", "login": creds["aws_access_key_id"], "password": creds["aws_secret_access_key"],
                "extra": {"endpoint_url": creds["endpoint_url"], "region_name": creds["region_name"]}}),
            "AIRFLOW_VAR_AWS_COSTS_CONFIG": json.dumps(
                {"bucket": CUR_BUCKET, "prefix": CUR_PREFIX, "export_name": CUR_EXPORT}),
            "AIRFLOW_VAR_FINOPS_DESTINATION": "filesystem",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # only the backfill's runs, no scheduled one
        }
        with running_airflow(workdir / "home", free_port(), workdir / "data", standins=False, extra_env=env) as local:
            wait_for("the DAG to be parsed", lambda: query(
                local, "SELECT 1 FROM serialized_dag WHERE dag_id = 'aws_costs'"), 180, local)
            # backfill runs start only on an unpaused DAG (the README says so too); a manual run at
            # noon on the 1st sits between two backfill runs of 2026-09 and must not change the owner
            local.cli(["dags", "unpause", "aws_costs"],
                      ["dags", "trigger", "aws_costs", "--logical-date", f"{start + timedelta(days=1)}T12:00:00+00:00"],
                      ["backfill", "create", "--dag-id", "aws_costs", "--from-date", start.isoformat(),
                       "--to-date", end.isoformat()], log_name="backfill_create")
            runs = wait_for("the backfill's runs to finish", lambda: (rows := query(
                local, "SELECT run_id, state FROM dag_run WHERE dag_id = 'aws_costs'"
            )) and len(rows) == (end - start).days + 2 and all(state in TERMINAL for _, state in rows) and rows,
                300, local)
            assert {state for _, state in runs} == {"success"}, runs
            summaries = {run_id: value if isinstance(value, dict) else json.loads(value) for run_id, value in query(
                local, "SELECT run_id, value FROM xcom WHERE dag_id = 'aws_costs' AND task_id = 'load_cur' "
                       "AND key = 'return_value' AND run_id LIKE 'backfill%%'")}
            postgres_pid = local.postgres.server.get_pid()

    # leaving the block stopped every component with its process group, then PostgreSQL
    for name, process in local.processes.items():
        assert process.poll() is not None and not _group_alive(process.pid), name
    assert not psutil.pid_exists(postgres_pid) or psutil.Process(postgres_pid).status() == psutil.STATUS_ZOMBIE

    assert len(summaries) == 3
    reloads = sorted(p for s in summaries.values() for p, e in s["periods"].items() if e["status"] == "loaded")
    assert reloads == periods, summaries
    by_day = {run_id.split("__")[1][:10]: s for run_id, s in summaries.items()}
    for day in (start, start + timedelta(days=1)):  # the backfill's first run in each period reloads it
        assert by_day[day.isoformat()]["loaded"] == 1 and by_day[day.isoformat()]["rows_loaded"] == 300
    (entry,) = by_day[end.isoformat()]["periods"].values()  # the next one skips it, naming who reloads it
    assert entry["status"] == "skipped" and f"backfill__{(end - timedelta(days=1)).isoformat()}" in entry["reason"]
