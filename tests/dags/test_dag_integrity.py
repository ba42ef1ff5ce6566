"""Every DAG file imports cleanly and follows the project's rules (Astronomer-style integrity test)."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAGS_DIR = ROOT / "dags"
EXPECTED_DAG_IDS = {"aws_costs", "azure_costs", "gcp_costs", "stripe_revenue", "finops_marts", "finops_publish"}
PROVIDER_DAGS = {"aws_costs": "aws", "azure_costs": "azure", "gcp_costs": "gcp", "stripe_revenue": "stripe"}
HEAVY_MODULES = {"dlt", "pyarrow", "google", "stripe", "clickhouse_connect", "chdb", "pandas", "boto3"}


def test_every_dag_file_imports_without_errors(dag_bag):
    assert dag_bag.import_errors == {}
    assert set(dag_bag.dag_ids) == EXPECTED_DAG_IDS


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAG_IDS))
def test_dag_follows_project_rules(dag_bag, dag_id):
    dag = dag_bag.dags[dag_id]
    assert dag.tags and "finops" in dag.tags
    assert dag.owner and dag.owner != "airflow"
    assert dag.doc_md and len(dag.doc_md.strip()) > 100
    assert dag.schedule is not None
    assert dag.max_active_runs == 1
    for task in dag.tasks:
        assert task.retries >= 2, f"{dag_id}.{task.task_id} retries"
    assert any(task.outlets for task in dag.tasks), "DAGs publish Assets for downstream scheduling"


@pytest.mark.parametrize("path", sorted(DAGS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_dag_files_keep_heavy_imports_inside_tasks(path):
    """Top-level imports of a DAG file are parsed by every scheduler loop: keep them light."""
    tree = ast.parse(path.read_text())
    top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    names = {alias.name.split(".")[0] for node in top_level for alias in getattr(node, "names", [])}
    names |= {node.module.split(".")[0] for node in top_level if isinstance(node, ast.ImportFrom) and node.module}
    assert not names & HEAVY_MODULES


PARSE_CHECK = """
import importlib.util, pathlib, sys
sys.path[:0] = [ROOT]
import airflow.sdk  # what Airflow itself loads does not count
before = set(sys.modules)
for path in sorted(pathlib.Path(ROOT, "dags").glob("*.py")):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(" ".join(sorted(set(sys.modules) - before)))
"""


def test_dag_files_load_no_heavy_modules_when_parsed():
    """The scheduler parses DAG files in a loop: dlt, pyarrow, cloud SDKs load only inside tasks."""
    import subprocess

    code = f"ROOT = {str(ROOT)!r}\n" + PARSE_CHECK
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    loaded = result.stdout.split()
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY_MODULES - {"google"} or m.startswith("google.cloud"))
    assert heavy == []


def asset_names(assets) -> set[str]:
    return {asset.name for asset in assets}


@pytest.mark.parametrize("dag_id", sorted(PROVIDER_DAGS))
def test_provider_dags_load_build_check_and_publish_their_own_asset(dag_bag, dag_id):
    dag = dag_bag.dags[dag_id]
    load, build, check = dag.topological_sort()
    assert build.downstream_task_ids == {check.task_id} and load.downstream_task_ids == {build.task_id}
    assert asset_names(build.outlets) == {f"finops.{PROVIDER_DAGS[dag_id]}"}
    assert not check.outlets


@pytest.mark.parametrize("dag_id", [*sorted(PROVIDER_DAGS), "finops_marts"])
def test_a_failing_check_alerts_its_failed_checks_and_the_task_failure(dag_bag, dag_id):
    from include.alerts import FailureAlert
    from include.alerts.send import ReconciliationAlert

    checks = [t for t in dag_bag.dags[dag_id].tasks if t.task_id.startswith("check")]
    assert checks
    for check in checks:
        kinds = {type(callback) for callback in check.on_failure_callback}
        assert {FailureAlert, ReconciliationAlert} <= kinds, f"{dag_id}.{check.task_id}"


def test_marts_run_on_any_provider_asset_and_publish_runs_on_the_marts(dag_bag):
    from airflow.sdk.definitions.asset import AssetAny

    marts = dag_bag.dags["finops_marts"]
    condition = marts.timetable.asset_condition
    assert isinstance(condition, AssetAny)
    assert asset_names(condition.objects) == {"finops.aws", "finops.gcp", "finops.stripe", "finops.azure"}
    assert [t.task_id for t in marts.topological_sort()] == ["build_marts", "check_marts", "send_alerts"]
    assert asset_names(marts.get_task("build_marts").outlets) == {"finops.marts"}
    publish = dag_bag.dags["finops_publish"]
    assert publish.timetable.asset_condition.name == "finops.marts"


@pytest.mark.parametrize("dag_id", ["aws_costs", "azure_costs"])
def test_period_dags_take_billing_periods_and_full_refresh(dag_bag, dag_id):
    from airflow.sdk.definitions.param import ParamValidationError

    params = dag_bag.dags[dag_id].params
    assert params.get_param("billing_periods").resolve(["2026-09"]) == ["2026-09"]
    assert params.get_param("full_refresh").resolve(True) is True
    for bad in (["2026-13"], ["202609"]):
        with pytest.raises(ParamValidationError):
            params.get_param("billing_periods").resolve(bad)
