"""The SQL runner: errors name the file and the statement, configuration comes from the Airflow
Variable finops_sql_config, tag columns follow it, literals are escaped."""

import json
import shutil

import pytest

from include import sql_runner
from tests.sql.conftest import one, q, run
from tests.sql.raw import aws_line, write_aws_period


@pytest.fixture
def sql_copy(tmp_path, monkeypatch):
    """A copy of include/sql the test may break."""
    copy = tmp_path / "sql"
    shutil.copytree(sql_runner.SQL_DIR, copy)
    monkeypatch.setattr(sql_runner, "SQL_DIR", copy)
    return copy


def test_a_failing_statement_fails_naming_the_file_and_the_statement(data_dir, sql_copy):
    write_aws_period(data_dir, "2026-09", [aws_line("2026-09", "Usage", 1.0)])
    (sql_copy / "marts" / "99_broken.sql").write_text(
        "CREATE OR REPLACE VIEW finops.fine AS SELECT 1;\nCREATE OR REPLACE VIEW finops.broken AS SELECT nope FROM finops.aws_cost_daily;\n"
    )
    with pytest.raises(sql_runner.SqlFileError) as failure:
        run("aws")
    message = str(failure.value)
    assert "marts/99_broken.sql statement 2" in message
    assert "SELECT nope FROM finops.aws_cost_daily" in message
    assert "nope" in message.split("--- statement ---")[0]  # the server's error text


def test_a_template_error_names_the_file(data_dir, sql_copy):
    write_aws_period(data_dir, "2026-09", [aws_line("2026-09", "Usage", 1.0)])
    (sql_copy / "marts" / "99_broken.sql").write_text("SELECT {{ no_such_variable }}")
    with pytest.raises(sql_runner.SqlFileError, match=r"include/sql/marts/99_broken.sql: template error: .*no_such_variable"):
        run("aws")


def test_configuration_from_the_airflow_variable_drives_tag_columns(data_dir, monkeypatch):
    tags = {"user:team": "web", "user:cost-center": "cc-7", "aws:createdBy": "it's me"}
    write_aws_period(data_dir, "2026-09", [aws_line("2026-09", "Usage", 1.0, resource_tags=json.dumps(tags))])
    monkeypatch.setenv("AIRFLOW_VAR_FINOPS_SQL_CONFIG", json.dumps(
        {"tag_keys": {"aws": ["user:team", "user:cost-center", "aws:createdBy"]}, "anomaly": {"z_score": 4}}
    ))
    sql_runner.run_transformations("aws")  # no config argument: the Variable
    columns = {name for (name,) in q("SELECT name FROM system.columns WHERE database = 'finops' "
                                     "AND table = 'aws_costs_normalized' AND name LIKE 'tag\\_%'")}
    assert columns == {"tag_team", "tag_cost_center", "tag_aws_createdby"}
    assert q("SELECT tag_team, tag_cost_center, tag_aws_createdby FROM finops.aws_costs_normalized") == [
        ("web", "cc-7", "it's me")]
    assert dict(q("SELECT tag_key, tag_value FROM finops.aws_cost_daily_by_tag")) == {
        "team": "web", "cost_center": "cc-7", "aws_createdby": "it's me"}

    # an object names the columns; a key with quotes is passed as an escaped literal
    run("aws", config={"tag_keys": {"aws": {"owner": "user:te'am\\"}}})
    assert one("SELECT count() FROM finops.aws_costs_normalized WHERE tag_owner = ''") == 1


def test_periods_are_normalized():
    assert sql_runner.normalize_periods(None) is None
    assert sql_runner.normalize_periods({"2026-09": 10, "2026-08": 0}) == ["2026-09"]
    assert sql_runner.normalize_periods(["202609", "2026-09", "2026-10"]) == ["2026-09", "2026-10"]
    assert sql_runner.normalize_periods("2026-09, 2026-07") == ["2026-07", "2026-09"]
    assert sql_runner.normalize_periods([]) == []
