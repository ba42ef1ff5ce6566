"""The table engine and ON CLUSTER settings (`table_engine`, `on_cluster` of finops_sql_config): the
single-node DDL the runner has always sent, the rendered cluster DDL, and bad values refused."""

from __future__ import annotations

import pytest

from include.transform.config import sql_config
from include.transform.errors import SqlConfigError
from include.transform.materialize import ensure_table, materialize
from include.transform.models import load_models
from include.transform.table_engine import SINGLE_NODE, TableEngine, table_engine


@pytest.fixture(scope="module")
def daily():
    return load_models()["int_aws__cost_daily"]  # a table partitioned by month


def test_default_is_one_server_with_plain_mergetree():
    assert sql_config({})["table_engine"] == SINGLE_NODE == TableEngine("MergeTree", "")
    assert SINGLE_NODE.on_cluster == ""


def test_single_node_ddl(daily):
    create, alter = ensure_table(daily)
    assert create.startswith("CREATE TABLE IF NOT EXISTS finops.int_aws__cost_daily (\n")
    assert "\nENGINE = MergeTree\nPARTITION BY billing_period\nORDER BY (" in create
    assert alter.startswith("ALTER TABLE finops.int_aws__cost_daily\n    ADD COLUMN IF NOT EXISTS")
    full = materialize(daily, "SELECT 1", None, False)
    assert [s.split("\n")[0] for s in full] == [
        "DROP TABLE IF EXISTS finops.int_aws__cost_daily__next",
        "CREATE TABLE finops.int_aws__cost_daily__next (",
        f"INSERT INTO finops.int_aws__cost_daily__next ({', '.join(c.name for c in daily.columns)})",
        "EXCHANGE TABLES finops.int_aws__cost_daily__next AND finops.int_aws__cost_daily",
        "DROP TABLE finops.int_aws__cost_daily__next",
    ]
    assert materialize(daily, "SELECT 1", ["2026-09"], True) == [
        "DROP TABLE IF EXISTS finops.int_aws__cost_daily__stage",
        "CREATE TABLE finops.int_aws__cost_daily__stage AS finops.int_aws__cost_daily",
        full[2].replace("__next", "__stage"),
        "ALTER TABLE finops.int_aws__cost_daily REPLACE PARTITION '2026-09' FROM finops.int_aws__cost_daily__stage"
        " SETTINGS allow_replace_partition_from_empty_source = 1",
        "DROP TABLE finops.int_aws__cost_daily__stage",
    ]


def test_cluster_ddl(daily):
    engine = sql_config({"table_engine": "ReplicatedMergeTree", "on_cluster": "{cluster}"})["table_engine"]
    on = " ON CLUSTER '{cluster}'"
    create, alter = ensure_table(daily, engine)
    assert create.startswith(f"CREATE TABLE IF NOT EXISTS finops.int_aws__cost_daily{on} (\n")
    assert "\nENGINE = ReplicatedMergeTree\nPARTITION BY billing_period\n" in create
    assert alter.startswith(f"ALTER TABLE finops.int_aws__cost_daily{on}\n")
    full = materialize(daily, "SELECT 1", None, False, engine)
    assert [s.split("\n")[0] for s in full] == [
        f"DROP TABLE IF EXISTS finops.int_aws__cost_daily__next{on}",
        f"CREATE TABLE finops.int_aws__cost_daily__next{on} (",
        f"INSERT INTO finops.int_aws__cost_daily__next ({', '.join(c.name for c in daily.columns)})",  # no ON CLUSTER
        f"EXCHANGE TABLES finops.int_aws__cost_daily__next AND finops.int_aws__cost_daily{on}",
        f"DROP TABLE finops.int_aws__cost_daily__next{on}",
    ]
    assert "ENGINE = ReplicatedMergeTree" in full[1]
    monthly = materialize(daily, "SELECT 1", ["2026-09", "2026-10"], False, engine)
    assert monthly[1] == f"CREATE TABLE finops.int_aws__cost_daily__stage{on} AS finops.int_aws__cost_daily"
    assert monthly[3:5] == [f"ALTER TABLE finops.int_aws__cost_daily{on} REPLACE PARTITION '{m}' FROM "
                            "finops.int_aws__cost_daily__stage" for m in ("2026-09", "2026-10")]
    view = load_models()["fct_cost_daily"]
    assert materialize(view, "SELECT 1", None, False, engine) == [f"CREATE OR REPLACE VIEW finops.fct_cost_daily{on} AS\nSELECT 1"]


def test_shared_merge_tree_without_on_cluster(daily):
    engine = table_engine("SharedMergeTree", "")
    assert "\nENGINE = SharedMergeTree\n" in ensure_table(daily, engine)[0]
    assert " ON CLUSTER" not in "\n".join(materialize(daily, "SELECT 1", None, False, engine))


@pytest.mark.parametrize(("engine", "cluster", "message"), [
    ("ReplacingMergeTree", "", "table_engine 'ReplacingMergeTree' must be one of"),
    ("ReplicatedMergeTree('/x', '{replica}')", "", "must be one of"),
    ("MergeTree", "prod; DROP TABLE x", "on_cluster 'prod; DROP TABLE x' must be a cluster name"),
    ("MergeTree", "{cluster", "must be a cluster name"),
    ("MergeTree", 3, "must be a cluster name"),
])
def test_bad_settings_are_refused(engine, cluster, message):
    with pytest.raises(SqlConfigError, match=message.replace("(", r"\(").replace("'", "'")):
        sql_config({"table_engine": engine, "on_cluster": cluster})


def test_every_cluster_statement_parses_on_clickhouse(data_dir):
    """chdb has no cluster to run them on; its parser (the server's) must accept every statement of a
    full and a per-month build of every table and view, in the ReplicatedMergeTree + ON CLUSTER form."""
    from include.clickhouse import clickhouse_client

    engine = table_engine("ReplicatedMergeTree", "{cluster}")
    statements = []
    for model in load_models().values():
        statements += materialize(model, "SELECT 1 AS x", None, True, engine)
        if model.materialized == "table":
            statements += ensure_table(model, engine)
            statements += materialize(model, "SELECT 1 AS x", ["2026-09"], True, engine)
    ddl = [s for s in statements if not s.startswith("INSERT")]
    assert all("ON CLUSTER '{cluster}'" in s for s in ddl)
    client = clickhouse_client("filesystem")
    try:
        for statement in sorted(set(ddl)):
            assert client.query(f"EXPLAIN AST {statement}").result_rows, statement
    finally:
        client.close()
