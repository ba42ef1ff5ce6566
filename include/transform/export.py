"""Export the derived tables and views of database `finops` as parquet, for Rill's local (DuckDB) mode.

DuckDB cannot read the embedded ClickHouse (chdb) storage, so after the marts have been built in the
`filesystem` mode every table and view of `finops` is written to `<data_dir>/marts/<table>.parquet`,
which the DuckDB models of rill/ read (see rill/README.md). Each file is written to a temporary name
in the same folder and moved into place with os.replace, so a reader (a running `rill start`) sees
the old file or the new one, never a half-written one.

The bytes come from ClickHouse itself (`SELECT * ... FORMAT Parquet` through clickhouse-connect, on
chdb or a server), so types stay exact: Decimal(38, 10) money is parquet decimal128(38, 10), Date is
date32, DateTime64 a UTC timestamp, Map a parquet map, LowCardinality(String) a string.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

from include import settings

log = logging.getLogger(__name__)

MARTS_FOLDER = "marts"
# Not exported by default: the build bookkeeping (include/transform/build_state.py), and the staging
# views (`stg_*`), which only pass the raw data through (newest completed load, deduplicated): they are
# as large as the raw parquet itself and nothing downstream of the models reads them. Pass `tables` to
# export them anyway.
EXCLUDED_TABLES = frozenset({"sql_build_state"})
STAGING_PREFIX = "stg_"
# Side tables of a rebuild in progress (`<table>__next`, `<table>__stage`): never exported.
TEMPORARY_TABLE = re.compile(r"__(next|stage)$")
TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def marts_dir(data_dir: Path | None = None) -> Path:
    return Path(data_dir or settings.data_dir()) / MARTS_FOLDER


def discover_tables(client, database: str = settings.MART_DATABASE) -> list[str]:
    """Tables and views of `database` to export: all but EXCLUDED_TABLES, staging views and rebuild side tables."""
    rows = client.query(
        "SELECT name FROM system.tables WHERE database = {db:String} AND NOT is_temporary ORDER BY name",
        parameters={"db": database},
    ).result_rows
    return [name for (name,) in rows
            if name not in EXCLUDED_TABLES and not name.startswith(STAGING_PREFIX) and not TEMPORARY_TABLE.search(name)]


def export_table(client, table: str, target: Path, database: str = settings.MART_DATABASE) -> int:
    """Write `database.table` to `target` (parquet) atomically; returns the number of rows written."""
    if not TABLE_NAME.match(table):
        raise ValueError(f"{table!r} is not a table name")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        stream = client.raw_stream(f"SELECT * FROM `{database}`.`{table}`", fmt="Parquet")
        try:
            with open(temporary, "wb") as handle:
                shutil.copyfileobj(stream, handle, length=1 << 20)
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()
        rows = _parquet_rows(temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return rows


def _parquet_rows(path: Path) -> int:
    if path.stat().st_size == 0:  # ClickHouse writes nothing for an empty result on some versions
        raise RuntimeError(f"ClickHouse returned no parquet data for {path.name}")
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def export_marts(client, data_dir: Path | None = None, tables: list[str] | None = None,
                 database: str = settings.MART_DATABASE) -> dict[str, int]:
    """Export `tables` (default: every data table and view of `database`) to `<data_dir>/marts/`.

    Returns {table: rows}. Parquet files of tables that no longer exist are left alone (a dashboard
    keeps its last good data); every listed table is rewritten on each call.
    """
    folder = marts_dir(data_dir)
    names = list(tables) if tables is not None else discover_tables(client, database)
    exported: dict[str, int] = {}
    for table in names:
        exported[table] = export_table(client, table, folder / f"{table}.parquet", database)
    log.info("exported %d tables of %s to %s: %s", len(exported), database, folder, exported)
    return exported


def main() -> int:
    """`python -m include.transform.export`: export the embedded ClickHouse of $FINOPS_DATA_DIR (./data) by hand."""
    from include.clickhouse import clickhouse_client

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    client = clickhouse_client("filesystem")
    try:
        exported = export_marts(client, settings.data_dir())
    finally:
        client.close()
    print(f"{len(exported)} tables of {settings.MART_DATABASE} -> {marts_dir()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
