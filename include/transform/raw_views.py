"""The raw views `finops_raw.<dataset>__<table>`: the only place the two engines differ.

* filesystem: `file('<data>/raw/<dataset>/<table>/**/*.parquet', Parquet)` on chdb;
* clickhouse: the tables dlt loaded (`<database>.<dataset>___<table>`) on the server.
Models read them only through `source(dataset, table)` in staging.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from include import settings
from include.transform import build_state
from include.transform.literals import quote_string
from include.transform.statements import execute

DLT_TABLE_SEPARATOR = "___"
RAW_FILE_FORMATS = {".parquet": "Parquet", ".jsonl": "JSONEachRow"}


@dataclass(frozen=True)
class RawTable:
    dataset: str
    table: str
    source_sql: str  # a table expression that reads the raw data
    # what the view reads, beyond its statement: files' path, size and modification time; a table's columns
    source_state: str = ""

    @property
    def view_name(self) -> str:
        return f"{settings.RAW_DATABASE}.{self.dataset}__{self.table}"


def discover_raw_tables_on_filesystem(raw_dir: Path) -> list[RawTable]:
    """Tables dlt wrote as files: `<raw>/<dataset>/<table>/[<partition>/]*.<ext>`."""
    tables = []
    for dataset_dir in sorted(p for p in raw_dir.glob("*") if p.is_dir()):
        for table_dir in sorted(p for p in dataset_dir.glob("*") if p.is_dir()):
            for extension, file_format in RAW_FILE_FORMATS.items():
                files = sorted(table_dir.rglob(f"*{extension}"))
                if files:
                    # `**/` matches any depth (zero included) in ClickHouse globs: every partition folder.
                    pattern = quote_string(str(table_dir / "**" / f"*{extension}"))
                    source = f"file({pattern}, {file_format})"
                    tables.append(RawTable(dataset_dir.name, table_dir.name, source, _files_fingerprint(files)))
                    break
    return tables


def _files_fingerprint(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def discover_raw_tables_on_server(client, database: str) -> list[RawTable]:
    """Tables dlt loaded into `database` as `<dataset>___<table>` (with their columns: a view's columns are
    those of its table when it was created, so a column dlt adds later needs the view created again)."""
    rows = client.query(
        "SELECT table, groupArray(concat(name, ' ', type)) FROM (SELECT table, name, type FROM system.columns "
        "WHERE database = {db:String} AND table LIKE {pattern:String} ORDER BY table, position) GROUP BY table "
        "ORDER BY table",
        parameters={"db": database, "pattern": f"%{DLT_TABLE_SEPARATOR}%"},
    ).result_rows
    tables = []
    for name, columns in rows:
        if DLT_TABLE_SEPARATOR not in name:  # LIKE's `_` matches any character
            continue
        dataset, _, table = name.partition(DLT_TABLE_SEPARATOR)
        tables.append(RawTable(dataset, table, f"`{database}`.`{name}`", ",".join(columns)))
    return tables


def attach_raw_views(client, raw_tables: Iterable[RawTable], skip_unchanged: bool = False) -> list[str]:
    """(Re)create one view per raw table in `finops_raw`; returns the names of the views created.
    `skip_unchanged`: a view whose statement and files are those it was created from is not created again (on
    files, CREATE infers the schema from every file's footer: seconds for a year of loads); needs the bookkeeping
    tables of build_state."""
    client.command(f"CREATE DATABASE IF NOT EXISTS {settings.RAW_DATABASE}")
    existing = build_state.unchanged_views(client, settings.RAW_DATABASE) if skip_unchanged else {}
    names, created = [], {}
    for raw in raw_tables:
        # Files written across schema changes (a new column in a later month) are read as the
        # union of their schemas; missing columns read as NULL/default.
        statement = (
            f"CREATE OR REPLACE VIEW {raw.view_name} AS SELECT * FROM {raw.source_sql}"
            + (" SETTINGS schema_inference_mode = 'union'" if raw.source_sql.startswith("file(") else "")
        )
        fingerprint = build_state.fingerprint([statement, raw.source_state])
        if existing.get(raw.view_name) == fingerprint:
            continue
        execute(client, statement, source="raw views")
        names.append(raw.view_name)
        created[raw.view_name] = fingerprint
    if skip_unchanged:
        build_state.record_views(client, created)
    return names


def refresh_raw_views(client, destination: str, datasets: Iterable[str] | None = None, skip_unchanged: bool = False,
                      clickhouse_conn_id: str = settings.CLICKHOUSE_CONN_ID) -> list[str]:
    """The raw views of `datasets` (None: every dataset loaded), created again where their data changed."""
    if destination == "filesystem":
        raw_tables = discover_raw_tables_on_filesystem(settings.raw_dir())
    else:
        from include.clickhouse import server_database

        database = server_database(clickhouse_conn_id)
        raw_tables = discover_raw_tables_on_server(client, database)
    if datasets is not None:
        wanted = set(datasets)
        raw_tables = [raw for raw in raw_tables if raw.dataset in wanted]
    return attach_raw_views(client, raw_tables, skip_unchanged)


def raw_columns(client) -> dict[str, dict[str, str]]:
    """Columns (name -> type) of every view in `finops_raw`, keyed `<dataset>__<table>`."""
    rows = client.query(
        "SELECT table, name, type FROM system.columns WHERE database = {db:String} ORDER BY table, position",
        parameters={"db": settings.RAW_DATABASE},
    ).result_rows
    columns: dict[str, dict[str, str]] = {}
    for table, name, type_ in rows:
        columns.setdefault(table, {})[name] = type_
    return columns
