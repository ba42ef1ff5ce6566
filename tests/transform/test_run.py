"""The transformation run: errors name the file and the statement, configuration comes from the Airflow
Variable finops_sql_config, tag columns follow it, literals are escaped; models are checked (YAML, refs,
layers) and built in the order their refs give; the marts build when a provider never loaded."""

import json
import shutil

import pytest

from include import transform
from include.transform import models as model_files
from include.transform.config import parse_periods
from tests.helpers.transform import one, q, run
from tests.transform.raw import aws_line, write_aws_period


@pytest.fixture
def sql_copy(tmp_path, monkeypatch):
    """A copy of include/sql the test may break."""
    copy = tmp_path / "sql"
    shutil.copytree(model_files.SQL_DIR, copy)
    monkeypatch.setattr(model_files, "SQL_DIR", copy)
    return copy


def add_model(sql_dir, relative: str, sql: str, materialized: str = "view") -> None:
    """A model file and its YAML (a view, or a one-column table)."""
    path = sql_dir / relative
    path.write_text(sql)
    columns = "" if materialized == "view" else "\n    columns:\n      - name: x\n        data_type: UInt8"
    order = "" if materialized == "view" else "\n      order_by: [x]"
    path.with_suffix(".yml").write_text(
        f"version: 2\nmodels:\n  - name: {path.stem}\n    config:\n      materialized: {materialized}{order}{columns}\n")


def test_a_failing_statement_fails_naming_the_file_and_the_statement(data_dir, sql_copy):
    write_aws_period(data_dir, "2026-09", [aws_line("2026-09", "Usage", 1.0)])
    add_model(sql_copy, "marts/broken.sql", "SELECT nope FROM {{ ref('int_aws__cost_daily') }}", "table")
    with pytest.raises(transform.SqlFileError) as failure:
        run("aws")
    message = str(failure.value)
    assert "include/sql/marts/broken.sql statement 3" in message  # DROP __next, CREATE __next, INSERT
    assert "SELECT x FROM\n(\nSELECT nope FROM finops.int_aws__cost_daily\n)" in message
    assert "nope" in message.split("--- statement ---")[0]  # the server's error text


def test_a_template_error_names_the_file(data_dir, sql_copy):
    write_aws_period(data_dir, "2026-09", [aws_line("2026-09", "Usage", 1.0)])
    add_model(sql_copy, "marts/broken.sql", "SELECT {{ no_such_variable }}")
    with pytest.raises(transform.SqlFileError, match=r"include/sql/marts/broken.sql: template error: .*no_such_variable"):
        run("aws")


def test_configuration_from_the_airflow_variable_drives_tag_columns(data_dir, monkeypatch):
    tags = {"user:team": "web", "user:cost-center": "cc-7", "aws:createdBy": "it's me"}
    write_aws_period(data_dir, "2026-09", [aws_line("2026-09", "Usage", 1.0, resource_tags=json.dumps(tags))])
    monkeypatch.setenv("AIRFLOW_VAR_FINOPS_SQL_CONFIG", json.dumps(
        {"tag_keys": {"aws": ["user:team", "user:cost-center", "aws:createdBy"]}, "anomaly": {"z_score": 4}}
    ))
    transform.run_transformations("aws")  # no config argument: the Variable
    columns = {name for (name,) in q("SELECT name FROM system.columns WHERE database = 'finops' "
                                     "AND table = 'int_aws__cost_line_items_tagged' AND name LIKE 'tag\\_%'")}
    assert columns == {"tag_team", "tag_cost_center", "tag_aws_createdby"}
    assert q("SELECT tag_team, tag_cost_center, tag_aws_createdby FROM finops.int_aws__cost_line_items_tagged") == [
        ("web", "cc-7", "it's me")]
    assert dict(q("SELECT tag_key, tag_value FROM finops.int_aws__cost_daily_by_tag")) == {
        "team": "web", "cost_center": "cc-7", "aws_createdby": "it's me"}

    # an object names the columns; a key with quotes is passed as an escaped literal
    run("aws", config={"tag_keys": {"aws": {"owner": "user:te'am\\"}}})
    assert one("SELECT count() FROM finops.int_aws__cost_line_items_tagged WHERE tag_owner = ''") == 1


def test_periods_take_only_the_shapes_the_dags_pass():
    assert parse_periods(None) is None
    assert parse_periods("changed") == "changed"
    assert parse_periods(["2026-10", "2026-09", "2026-10"]) == ["2026-09", "2026-10"]
    assert parse_periods([]) == []
    for wrong in ({"2026-09": 10}, "2026-09", ["202609"], ["2026-13"], [202609]):
        with pytest.raises(transform.SqlConfigError, match="periods"):
            parse_periods(wrong)


@pytest.mark.parametrize(("relative", "sql", "problem"), [
    ("marts/reads_staging.sql", "SELECT * FROM {{ ref('stg_aws__cur_line_items') }}", "a marts model may not read stg_aws__cur_line_items"),
    ("marts/reads_nothing_known.sql", "SELECT * FROM {{ ref('no_such_model') }}", "ref\\('no_such_model'\\) names no model"),
    ("staging/aws/stg_aws__reads_int.sql", "SELECT * FROM {{ ref('int_aws__cost_daily') }}", "a staging model may not read"),
], ids=["mart-reads-staging", "unknown-ref", "staging-reads-intermediate"])
def test_refs_must_name_a_model_of_a_layer_below(sql_copy, relative, sql, problem):
    add_model(sql_copy, relative, sql)
    with pytest.raises(transform.ModelError, match=problem):
        model_files.load_models()


def test_every_model_has_its_yaml(sql_copy):
    (sql_copy / "marts" / "undocumented.sql").write_text("SELECT 1 AS x")
    with pytest.raises(transform.ModelError, match=r"include/sql/marts/undocumented.sql: no YAML beside it"):
        model_files.load_models()


def test_build_order_follows_the_refs():
    models = model_files.load_models()
    for target in transform.TARGETS:
        order = [m.name for m in model_files.select_models(models, target)]
        for position, name in enumerate(order):
            assert models[name].refs & set(order) <= set(order[:position]), (target, name)
    assert "int_cloud_cost_daily" in order and order.index("int_cloud_cost_daily") < order.index("monthly_cloud_costs")


def test_the_marts_build_when_a_provider_never_loaded(data_dir):
    """Only AWS loaded: the GCP and Stripe tables the marts read exist, empty; nothing fails."""
    write_aws_period(data_dir, "2026-09", [aws_line("2026-09", "Usage", 1.25)])
    run("aws")
    assert q("SELECT month, aws_billed_cost, gcp_billed_cost, revenue FROM finops.monthly_margin") == [
        ("2026-09", 1.25, 0, 0)]
    assert one("SELECT count() FROM finops.int_gcp__cost_daily") == 0
    assert one("SELECT count() FROM finops.int_stripe__mrr_monthly") == 0
