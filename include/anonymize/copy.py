"""Copy the marts into another database, anonymized on the way (columns.py says how, per column).

Each table is built as `<table>__next` in the target database with an `INSERT ... SELECT` that runs
on ClickHouse (chdb or the server), then swapped in with `EXCHANGE TABLES`: a reader sees the old
copy or the new one, never a half-built one, and the source is never written. Views of the source
become tables in the copy.
"""

from __future__ import annotations

import logging

from include.anonymize.columns import PROVIDER_COLUMNS, PROVIDER_VALUES, AnonymizeError, Settings, expression

log = logging.getLogger(__name__)


def table_columns(client, database: str, table: str) -> dict[str, str]:
    rows = client.query(
        "SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position",
        parameters={"db": database, "t": table},
    ).result_rows
    return dict(rows)


def exists(client, database: str, table: str) -> bool:
    rows = client.query("SELECT count() FROM system.tables WHERE database = {db:String} AND name = {t:String}",
                        parameters={"db": database, "t": table}).result_rows
    return bool(rows[0][0])


def check_providers(client, source: str, table: str, columns: dict[str, str], settings: Settings) -> None:
    """With a factor per provider, every row must belong to a provider we have a factor for."""
    if "all" in settings.factors:
        return
    column = next((c for c in PROVIDER_COLUMNS if c in columns), None)
    if column is None:
        return
    known = {name for names in PROVIDER_VALUES.values() for name in names}
    values = {str(v).lower() for (v,) in client.query(f"SELECT DISTINCT `{column}` FROM `{source}`.`{table}`").result_rows}
    if values - known:
        raise AnonymizeError(f"{source}.{table}.{column}: rows of unknown providers {sorted(values - known)}; "
                             f"factors exist for {sorted(PROVIDER_VALUES)}")


def copy_table(client, source: str, target: str, table: str, settings: Settings, parameters: dict,
               target_client=None) -> dict[str, str]:
    """Anonymize `source.table` into `target.table`; returns {column: kind of anonymization}.

    Without `target_client` the copy is one INSERT ... SELECT on the source's ClickHouse. With it (another
    server, e.g. the one public dashboards read), the anonymizing SELECT still runs on the source and only
    its anonymized rows are streamed (Arrow batches) into the target server.
    """
    columns = table_columns(client, source, table)
    if not columns:
        raise AnonymizeError(f"{source}.{table} does not exist or has no columns")
    check_providers(client, source, table, columns, settings)
    kinds, selects = {}, []
    for column, type_ in columns.items():
        sql, kind = expression(table, column, type_, columns, settings)
        kinds[column] = kind
        selects.append(f"CAST({sql} AS {type_}) AS `{column}`")
    query = f"SELECT {', '.join(selects)} FROM `{source}`.`{table}`"
    writer = target_client or client
    next_name = f"{table}__next"
    next_table = f"`{target}`.`{next_name}`"
    definition = ",\n    ".join(f"`{column}` {type_}" for column, type_ in columns.items())
    writer.command(f"DROP TABLE IF EXISTS {next_table}")
    writer.command(f"CREATE TABLE {next_table} (\n    {definition}\n) ENGINE = MergeTree ORDER BY tuple()")
    try:
        if target_client is None:
            client.command(f"INSERT INTO {next_table} {query}", parameters=parameters)
        else:
            stream_rows(client, target_client, query, parameters, target, next_name)
    except Exception as exc:
        writer.command(f"DROP TABLE IF EXISTS {next_table}")
        raise AnonymizeError(f"anonymizing {source}.{table} into {target}: {type(exc).__name__}: {exc}") from exc
    if exists(writer, target, table):
        writer.command(f"EXCHANGE TABLES {next_table} AND `{target}`.`{table}`")
        writer.command(f"DROP TABLE IF EXISTS {next_table}")
    else:
        writer.command(f"RENAME TABLE {next_table} TO `{target}`.`{table}`")
    return kinds


def stream_rows(client, target_client, query: str, parameters: dict, database: str, table: str) -> None:
    import pyarrow as pa

    with client.query_arrow_stream(query, parameters=parameters) as stream:
        for batch in stream:
            if batch.num_rows:
                target_client.insert_arrow(table, pa.Table.from_batches([batch]), database=database)
