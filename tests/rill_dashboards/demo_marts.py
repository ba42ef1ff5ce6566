"""The demo's marts, built once per test session for tests/rill_dashboards and tests/anonymize.

The real load tasks against the stand-ins, the SQL layer on chdb and the parquet export
(tests/rill/demo_data.py), in a temporary data dir of its own.
"""

from __future__ import annotations

_built: dict[str, dict] = {}


def demo_marts(tmp_path_factory) -> dict:
    if "marts" not in _built:
        from tests.rill.demo_data import build

        data_dir = tmp_path_factory.mktemp("demo_marts")
        result = build(data_dir, tmp_path_factory.mktemp("demo_marts_work"))
        result["data_dir"] = data_dir
        _built["marts"] = result
    return _built["marts"]


def chdb_client(data_dir):
    import clickhouse_connect

    return clickhouse_connect.get_client(dsn=f"chdb://{data_dir / 'chdb'}")
