"""Concurrent loads of one pipeline, concurrent SQL builds on one embedded database, and a SQL build
killed half way: every run ends well (or waits its turn) and the numbers stay exact."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pytest

from include.loaders import aws as aws_loader
from include.run_intent import request_for
from tests.helpers.aws_cur import aws_period_totals, deliver
from tests.helpers.child_process import ROOT, assert_killed, run_child


def _start(job: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins")])}
    return subprocess.Popen([sys.executable, "-m", "tests.faults.child", job, "none"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(processes) -> list[tuple[int, str]]:
    results = []
    for process in processes:
        _, stderr = process.communicate(timeout=600)
        results.append((process.returncode, stderr[-3000:]))
    return results


def sql_totals() -> dict:
    from include import transform

    _, rows = transform.query(
        "SELECT billing_period, sum(line_items), sum(unblended_cost) FROM finops.int_aws__cost_daily GROUP BY 1 ORDER BY 1")
    from decimal import Decimal

    return {p: (int(n), Decimal(c).quantize(Decimal("0.01"))) for p, n, c in rows}


def test_four_concurrent_loads_of_one_pipeline_take_turns(s3_server, aws_airflow, local_data):
    newest = deliver(s3_server, aws_airflow, seed=1, rows={"2026-08": 240, "2026-09": 270})
    results = _finish([_start("aws") for _ in range(4)])
    assert [rc for rc, _ in results] == [0, 0, 0, 0], results
    assert aws_period_totals(local_data) == newest
    # nothing left behind that blocks or doubles later runs
    newest.update(deliver(s3_server, aws_airflow, seed=2, rows={"2026-09": 300}))
    assert aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period() == {"2026-08": 0, "2026-09": 300}
    assert aws_period_totals(local_data) == newest


def test_two_sql_builds_on_one_embedded_database_take_turns(s3_server, aws_airflow, local_data):
    newest = deliver(s3_server, aws_airflow, seed=3, rows={"2026-08": 200, "2026-09": 220})
    aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period()
    results = _finish([_start("sql-aws") for _ in range(2)])
    assert [rc for rc, _ in results] == [0, 0], results
    assert sql_totals() == newest


@pytest.mark.parametrize("statement", [6, 20], ids=["killed-at-statement-6", "killed-at-statement-20"])
def test_a_sql_build_killed_half_way_is_rebuilt_by_the_next_run(statement, s3_server, aws_airflow, local_data):
    from include import transform

    first = deliver(s3_server, aws_airflow, seed=4, rows={"2026-08": 200, "2026-09": 220})
    aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period()
    transform.run_transformations("aws", periods="changed")
    assert sql_totals() == first

    newest = {**first, **deliver(s3_server, aws_airflow, seed=5, rows={"2026-09": 260})}
    aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period()
    assert_killed(run_child("sql-aws", "sql", FAULT_STATEMENT=statement), "sql")
    transform.run_transformations("aws", periods="changed")  # what the DAG's SQL task runs
    assert sql_totals() == newest
