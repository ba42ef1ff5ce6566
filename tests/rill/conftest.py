"""Fixtures of the Rill tests: the demo data built once per session, and one engine per mode.

* `rill_data`: the real load tasks against the stand-ins, the SQL layer on chdb, the marts exported
  as parquet (tests/rill/demo_data.py): the session's one build, shared with tests/anonymize and
  tests/rill_dashboards (tests/fixtures/demo_marts.py).
* `duck`: DuckDB (Rill's local OLAP engine) with every model of rill/ created as a view, dev variant.
* `clickhouse`: the embedded ClickHouse of the same data dir with every model created as a view in
  database finops_rill, prod variant (what Rill does on the production ClickHouse).
"""

from __future__ import annotations

import pytest

from tests.rill import project as rill


@pytest.fixture(scope="session")
def rill_data(demo_marts):
    return demo_marts  # the session's one demo build (tests/fixtures/demo_marts.py)


@pytest.fixture
def duck(rill_data):
    with rill.duck_engine(rill_data["data_dir"]) as engine:
        yield engine


@pytest.fixture
def clickhouse(rill_data):
    with rill.clickhouse_engine(rill_data["data_dir"]) as engine:
        yield engine


@pytest.fixture(params=["duckdb", "clickhouse"])
def engine(request, rill_data):  # rill_data: a test using only `engine` still reads the demo (its xdist group)
    return request.getfixturevalue("duck" if request.param == "duckdb" else "clickhouse")
