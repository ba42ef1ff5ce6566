"""Fixtures of the Rill tests: the demo data built once per session, and one engine per mode.

* `rill_data`: the real load tasks against the stand-ins, the SQL layer on chdb, the marts exported
  as parquet (tests/rill/demo_data.py), in a temporary data dir.
* `duck`: DuckDB (Rill's local OLAP engine) with every model of rill/ created as a view, dev variant.
* `clickhouse`: the embedded ClickHouse of the same data dir with every model created as a view in
  database finops_rill, prod variant (what Rill does on the production ClickHouse).
"""

from __future__ import annotations

import pytest

from tests.rill import project as rill
from tests.rill.demo_data import build


@pytest.fixture(scope="session")
def rill_data(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("rill_data")
    workdir = tmp_path_factory.mktemp("rill_work")
    result = build(data_dir, workdir)
    result["data_dir"] = data_dir
    return result


@pytest.fixture
def duck(rill_data):
    with rill.duck_engine(rill_data["data_dir"]) as engine:
        yield engine


@pytest.fixture
def clickhouse(rill_data):
    with rill.clickhouse_engine(rill_data["data_dir"]) as engine:
        yield engine


@pytest.fixture(params=["duckdb", "clickhouse"])
def engine(request):
    return request.getfixturevalue("duck" if request.param == "duckdb" else "clickhouse")
