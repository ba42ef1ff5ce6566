"""Runs of one pipeline take turns and nothing runs unbounded: the DAGs' limits, and the loaders'
own lock for runs the scheduler does not see (two `airflow dags test`, a backfill and a manual run)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("dag_id", ["aws_costs", "gcp_costs", "stripe_revenue"])
def test_every_task_is_bounded_and_loads_take_turns_even_in_backfills(dag_bag, dag_id):
    dag = dag_bag.dags[dag_id]
    for task in dag.tasks:
        assert task.execution_timeout is not None, f"{dag_id}.{task.task_id} has no execution_timeout"
        if task.task_id.startswith("load"):
            # binds every run of the DAG, backfill runs included (max_active_runs does not)
            assert task.max_active_tis_per_dag == 1, f"{dag_id}.{task.task_id}"
        else:
            assert task.pool == "finops_sql", f"{dag_id}.{task.task_id}"


HOLD_LOCK = """
import sys, time
sys.path[:0] = [{root!r}, {plugins!r}]
from include.pipelines import pipeline_lock
with pipeline_lock("aws_costs"):
    print("locked", flush=True)
    time.sleep(float(sys.argv[1]))
"""


def _holder(seconds: float) -> subprocess.Popen:
    script = HOLD_LOCK.format(root=str(ROOT), plugins=str(ROOT / "plugins"))
    process = subprocess.Popen([sys.executable, "-c", script, str(seconds)], stdout=subprocess.PIPE, text=True,
                               env=os.environ.copy())
    assert process.stdout.readline().strip() == "locked"
    return process


def test_a_second_run_of_a_pipeline_waits_then_stops_with_a_clear_message(tmp_path, monkeypatch):
    from include.locks import PipelineBusyError
    from include.pipelines import pipeline_lock

    monkeypatch.setenv("FINOPS_DATA_DIR", str(tmp_path))
    holder = _holder(30)
    try:
        started = time.monotonic()
        with pytest.raises(PipelineBusyError, match=r"pipeline 'aws_costs' is in use by pid \d+ since .*gave up "
                                                     r"after waiting 1s.*take turns"):
            with _timeout_lock("aws_costs", 1):
                pass
        assert time.monotonic() - started >= 1
        # another pipeline is not blocked
        with pipeline_lock("gcp_costs"):
            pass
    finally:
        holder.kill()
        holder.wait()
    # the holder was SIGKILLed: its lock went with it, nothing left behind blocks the next run
    with _timeout_lock("aws_costs", 1):
        pass


def test_a_waiting_run_proceeds_when_the_first_finishes(tmp_path, monkeypatch):
    monkeypatch.setenv("FINOPS_DATA_DIR", str(tmp_path))
    holder = _holder(2)
    started = time.monotonic()
    with _timeout_lock("aws_costs", 60):
        waited = time.monotonic() - started
    holder.wait()
    assert 0.5 < waited < 30


def _timeout_lock(name: str, seconds: float):
    from include import settings
    from include.locks import exclusive_lock

    return exclusive_lock(settings.dlt_pipelines_dir() / f"{name}.lock", f"pipeline {name!r}", seconds)
