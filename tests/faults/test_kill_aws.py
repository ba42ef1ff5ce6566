"""SIGKILL the AWS load at every stage, rerun, and every billing period holds exactly its newest
delivery, to the cent: nothing lost, nothing doubled, no period credited with another's data."""

from __future__ import annotations

from datetime import date

import pytest

from include.loaders import aws as aws_loader
from include.run_intent import request_for
from tests.helpers.aws_cur import aws_period_totals, deliver
from tests.helpers.child_process import assert_killed, run_child

PERIODS = ("2026-08", "2026-09")


def assert_clean_working_folder(data_dir) -> None:
    """Nothing pending and no loaded package kept (only what recovery needs)."""
    pipeline_dir = data_dir / "dlt_pipelines" / "aws_costs"
    for stage in ("normalize/extracted", "load/new", "load/normalized", "load/loaded"):
        folder = pipeline_dir / stage
        assert not folder.exists() or not any(folder.iterdir()), f"{stage} still holds {list(folder.iterdir())}"
    for folder in (pipeline_dir, pipeline_dir / "schemas"):
        assert sorted(p.name for p in folder.iterdir() if p.is_file() and len(p.name) == 16) == [], folder


@pytest.mark.parametrize("point", ["download", "extract", "normalize", "load", "rename", "commit", "prune"])
def test_a_load_killed_at_any_stage_loses_and_doubles_nothing(point, s3_server, aws_airflow, local_data):
    deliver(s3_server, aws_airflow, seed=1, rows={"2026-08": 300, "2026-09": 360})
    aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period()
    newest = deliver(s3_server, aws_airflow, seed=2, rows={"2026-08": 330, "2026-09": 390})

    # August's re-delivery is committed, then the run dies in September's.
    assert_killed(run_child("aws", point, FAULT_PERIOD="2026-09"), point)

    rerun = aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period()
    assert aws_period_totals(local_data) == newest
    # September is loaded again, unless the killed run had completed its load (then dlt's state,
    # restored from the destination, says so and it is rightly skipped)
    assert set(rerun) == set(PERIODS) and rerun["2026-09"] in ((0, 390) if point in ("commit", "prune") else (390,))
    # exactly one load's files per period remain, and the working folder keeps nothing it does not need
    table_dir = local_data / "raw" / "aws_costs" / "cur_line_items"
    for period in PERIODS:
        assert len({p.name.split(".")[0] for p in (table_dir / period).iterdir()}) == 1, period
    assert_clean_working_folder(local_data)

    # Later runs: unchanged periods are skipped, and a re-delivery of August changes August only.
    assert aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period() == {"2026-08": 0, "2026-09": 0}
    newest.update(deliver(s3_server, aws_airflow, seed=3, rows={"2026-08": 270}))
    assert aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period() == {"2026-08": 270, "2026-09": 0}
    assert aws_period_totals(local_data) == newest


def test_a_killed_first_load_of_a_period_is_loaded_by_the_rerun(s3_server, aws_airflow, local_data):
    newest = deliver(s3_server, aws_airflow, seed=4, rows={"2026-08": 300, "2026-09": 300})
    assert_killed(run_child("aws", "normalize", FAULT_PERIOD="2026-08"), "normalize")
    assert aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period() == {"2026-08": 300, "2026-09": 300}
    assert aws_period_totals(local_data) == newest


def test_a_load_killed_while_saving_the_pipeline_state_leaves_nothing_behind(s3_server, aws_airflow, local_data):
    deliver(s3_server, aws_airflow, seed=5, rows={"2026-08": 300, "2026-09": 300})
    aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period()
    newest = deliver(s3_server, aws_airflow, seed=6, rows={"2026-09": 320})
    assert_killed(run_child("aws", "rename", FAULT_PERIOD="2026-09", FAULT_RENAME_FOLDER="aws_costs"), "rename")
    assert aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period() == {"2026-08": 0, "2026-09": 320}
    assert aws_period_totals(local_data)["2026-09"] == newest["2026-09"]
    assert_clean_working_folder(local_data)
