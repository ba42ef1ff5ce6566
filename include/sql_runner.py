"""Run the SQL files of `include/sql` on ClickHouse: the server, or chdb over local parquet.

The SQL reads raw data only through views in the `finops_raw` database, named
`<dataset>__<table>` (for example `finops_raw.aws_costs__cur_line_items`). This module creates those
views for the active destination, which is the only place the two modes differ:

* filesystem: `file('<data>/raw/<dataset>/<table>/*.parquet', Parquet)` on chdb;
* clickhouse: the tables dlt loaded (`<database>.<dataset>___<table>`) on the server.

Every other statement is the same ClickHouse SQL in both modes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from include import settings

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent / "sql"
DLT_TABLE_SEPARATOR = "___"
RAW_FILE_FORMATS = {".parquet": "Parquet", ".jsonl": "JSONEachRow"}


class SqlFileError(RuntimeError):
    """A statement of a SQL file failed; the message names the file and the statement."""


@dataclass(frozen=True)
class RawTable:
    dataset: str
    table: str
    source_sql: str  # a table expression that reads the raw data

    @property
    def view_name(self) -> str:
        return f"{settings.RAW_DATABASE}.{self.dataset}__{self.table}"


def quote_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def discover_raw_tables_on_filesystem(raw_dir: Path) -> list[RawTable]:
    """Tables dlt wrote as files: `<raw>/<dataset>/<table>/[<partition>/]*.<ext>`."""
    tables = []
    for dataset_dir in sorted(p for p in raw_dir.glob("*") if p.is_dir()):
        for table_dir in sorted(p for p in dataset_dir.glob("*") if p.is_dir()):
            for extension, file_format in RAW_FILE_FORMATS.items():
                if any(table_dir.rglob(f"*{extension}")):
                    # `**/` matches any depth (zero included) in ClickHouse globs: every partition folder.
                    pattern = quote_string(str(table_dir / "**" / f"*{extension}"))
                    source = f"file({pattern}, {file_format})"
                    tables.append(RawTable(dataset_dir.name, table_dir.name, source))
                    break
    return tables


def discover_raw_tables_on_server(client, database: str) -> list[RawTable]:
    """Tables dlt loaded into `database` as `<dataset>___<table>`."""
    rows = client.query(
        "SELECT name FROM system.tables WHERE database = {db:String} AND name LIKE {pattern:String}",
        parameters={"db": database, "pattern": f"%{DLT_TABLE_SEPARATOR}%"},
    ).result_rows
    tables = []
    for (name,) in rows:
        dataset, _, table = name.partition(DLT_TABLE_SEPARATOR)
        tables.append(RawTable(dataset, table, f"`{database}`.`{name}`"))
    return tables


def attach_raw_views(client, raw_tables: Iterable[RawTable]) -> list[str]:
    """(Re)create one view per raw table in `finops_raw`; returns the view names."""
    client.command(f"CREATE DATABASE IF NOT EXISTS {settings.RAW_DATABASE}")
    names = []
    for raw in raw_tables:
        # Files written across schema changes (a new column in a later month) are read as the
        # union of their schemas; missing columns read as NULL/default.
        statement = (
            f"CREATE OR REPLACE VIEW {raw.view_name} AS SELECT * FROM {raw.source_sql}"
            + (" SETTINGS schema_inference_mode = 'union'" if raw.source_sql.startswith("file(") else "")
        )
        execute(client, statement, source="raw views")
        names.append(raw.view_name)
    return names


def sql_files(*folders: str) -> list[Path]:
    """The `.sql` files of each folder of include/sql, in name order, folders in the order given."""
    files = []
    for folder in folders:
        directory = SQL_DIR / folder
        if not directory.is_dir():
            raise FileNotFoundError(f"no SQL folder {directory}")
        files.extend(sorted(directory.glob("*.sql")))
    return files


def split_statements(text: str) -> list[str]:
    import sqlparse

    statements = []
    for statement in sqlparse.split(text):
        body = sqlparse.format(statement, strip_comments=True).strip().rstrip(";").strip()
        if body:
            statements.append(body)
    return statements


def execute(client, statement: str, source: str) -> None:
    try:
        client.command(statement)
    except Exception as exc:  # clickhouse-connect raises several types; all are reported the same way
        raise SqlFileError(f"{source}: {type(exc).__name__}: {exc}\n--- statement ---\n{statement}") from exc


def run_sql_files(client, files: Iterable[Path]) -> int:
    """Run every statement of every file in order; stop at the first failure. Returns statements run."""
    count = 0
    for path in files:
        relative = path.relative_to(SQL_DIR.parent.parent) if path.is_relative_to(SQL_DIR.parent.parent) else path
        statements = split_statements(path.read_text())
        log.info("running %s (%d statements)", relative, len(statements))
        for number, statement in enumerate(statements, start=1):
            execute(client, statement, source=f"{relative} statement {number}")
            count += 1
    return count


def clickhouse_client(destination: str | None = None, clickhouse_conn_id: str = settings.CLICKHOUSE_CONN_ID):
    """A clickhouse-connect client: chdb under the data dir (filesystem) or the server (clickhouse)."""
    import sys

    plugins = str(settings.PROJECT_ROOT / "plugins")
    if plugins not in sys.path:  # Airflow puts plugins/ on sys.path; scripts and tests may not
        sys.path.append(plugins)
    from finops_clickhouse import ClickHouseHook

    destination = destination or settings.destination_name()
    if destination == "filesystem":
        settings.chdb_dir().mkdir(parents=True, exist_ok=True)
        return ClickHouseHook(embedded_path=str(settings.chdb_dir())).get_conn()
    return ClickHouseHook(clickhouse_conn_id).get_conn()


def refresh_raw_views(client, destination: str, clickhouse_conn_id: str = settings.CLICKHOUSE_CONN_ID) -> list[str]:
    if destination == "filesystem":
        raw_tables = discover_raw_tables_on_filesystem(settings.raw_dir())
    else:
        from finops_clickhouse import ClickHouseHook

        database = ClickHouseHook(clickhouse_conn_id).connection_params()["database"]
        raw_tables = discover_raw_tables_on_server(client, database)
    return attach_raw_views(client, raw_tables)


def run_transformations(provider: str, destination: str | None = None) -> dict:
    """The SQL task of a provider DAG: raw views, shared schema, the provider's SQL, then the marts."""
    destination = destination or settings.destination_name()
    client = clickhouse_client(destination)
    try:
        views = refresh_raw_views(client, destination)
        statements = run_sql_files(client, sql_files("schema", provider, "marts"))
    finally:
        client.close()
    log.info("%s SQL on %s: %d raw views, %d statements", provider, destination, len(views), statements)
    return {"raw_views": views, "statements": statements}


def query(sql: str, destination: str | None = None, parameters: dict | None = None):
    """Run a read query on the active destination; returns (column names, rows)."""
    client = clickhouse_client(destination)
    try:
        result = client.query(sql, parameters=parameters)
        return list(result.column_names), result.result_rows
    finally:
        client.close()
