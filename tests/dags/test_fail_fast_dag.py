"""End to end through Airflow (`airflow dags test`): a manual run asking for a month AWS never
delivered fails at once, without retries, names the month, and alerts the configured webhook."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runners.demo import CUR_BUCKET, CUR_EXPORT, CUR_PREFIX, airflow_env
from standins.alert_sink import AlertSink
from standins.s3 import MotoS3Server
from standins.sample_data.aws import Cur2Export, generate_cur2_month, write_cur2_period

pytestmark = pytest.mark.timeout(300)
AIRFLOW = str(Path(sys.executable).parent / "airflow")


def test_a_missing_month_fails_at_once_and_alerts(tmp_path):
    with MotoS3Server() as s3, AlertSink(tmp_path / "alerts.jsonl", echo=lambda line: None) as sink:
        client = s3.client()
        client.create_bucket(Bucket=CUR_BUCKET)
        write_cur2_period(client, Cur2Export(CUR_BUCKET, CUR_PREFIX, CUR_EXPORT), "2026-09",
                          generate_cur2_month("2026-09", 50))
        creds = s3.credentials()
        env = airflow_env(tmp_path / "airflow", tmp_path / "data")
        env.update({
            "AIRFLOW_CONN_AWS_DEFAULT": json.dumps({
                "conn_type": "aws", "login": creds["aws_access_key_id"], "password": creds["aws_secret_access_key"],
                "extra": {"endpoint_url": creds["endpoint_url"], "region_name": creds["region_name"]}}),
            "AIRFLOW_VAR_AWS_COSTS_CONFIG": json.dumps({"bucket": CUR_BUCKET, "prefix": CUR_PREFIX,
                                                        "export_name": CUR_EXPORT}),
            "AIRFLOW_VAR_FINOPS_DESTINATION": "filesystem",
            "AIRFLOW_CONN_FINOPS_ALERTS": json.dumps({"conn_type": "http", "host": sink.url}),
        })
        subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True)
        result = subprocess.run([AIRFLOW, "dags", "test", "aws_costs", "2026-09-15", "-c",
                                 json.dumps({"billing_periods": ["2026-01"]})],
                                env=env, capture_output=True, text=True)
        log = result.stdout + result.stderr
        alerts = [json.loads(line) for line in sink.path.read_text().splitlines()] if sink.path.exists() else []

    assert "aws_costs load failed, not retried" in log and "2026-01" in log, log[-3000:]
    assert "AirflowFailException" in log
    assert "up_for_retry" not in log.lower(), "bad input must not be retried"
    assert len(alerts) == 1, log[-3000:]
    assert alerts[0]["task_id"] == "load_cur" and "2026-01" in alerts[0]["error"]
    assert os.path.exists(tmp_path / "airflow")
