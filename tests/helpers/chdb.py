"""A clickhouse-connect client on the embedded ClickHouse (chdb) of a data folder."""

from __future__ import annotations


def chdb_client(data_dir):
    import clickhouse_connect

    return clickhouse_connect.get_client(dsn=f"chdb://{data_dir / 'chdb'}")
