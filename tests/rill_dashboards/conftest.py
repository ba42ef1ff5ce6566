"""Fixtures: the demo marts, the pages generated from them (in a temporary folder), and both engines
with the hand-written models of rill/ (DuckDB over the parquet export, ClickHouse views over finops)."""

from __future__ import annotations

import pytest

from tests.helpers.chdb import chdb_client
from tests.rill import project as rill


@pytest.fixture(scope="session")
def marts(demo_marts):
    return demo_marts  # the session's one demo build (tests/fixtures/demo_marts.py)


@pytest.fixture(scope="session")
def generated(marts, tmp_path_factory):
    """{"dir": folder, "result": GenerateResult} of one generation with the default rules."""
    from include.rill_dashboards import generate

    out = tmp_path_factory.mktemp("generated")
    client = chdb_client(marts["data_dir"])
    try:
        result = generate(client, out, sql_config={})
    finally:
        client.close()
    return {"dir": out, "result": result}


@pytest.fixture
def duck(marts):
    with rill.duck_engine(marts["data_dir"]) as engine:
        yield engine


@pytest.fixture
def clickhouse(marts):
    with rill.clickhouse_engine(marts["data_dir"]) as engine:
        yield engine
