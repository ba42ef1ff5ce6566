"""Run SQL statements one at a time; a failure names its source (model file and statement)."""

from __future__ import annotations


def split_statements(text: str) -> list[str]:
    import sqlparse

    statements = []
    for statement in sqlparse.split(text):
        body = sqlparse.format(statement, strip_comments=True).strip().rstrip(";").strip()
        if body:
            statements.append(body)
    return statements


def execute(client, statement: str, source: str) -> None:
    from include.transform.errors import SqlFileError

    try:
        client.command(statement)
    except Exception as exc:  # clickhouse-connect raises several types; all are reported the same way
        raise SqlFileError(f"{source}: {type(exc).__name__}: {exc}\n--- statement ---\n{statement}") from exc


def server_supports(client, setting: str) -> bool:
    rows = client.query("SELECT count() FROM system.settings WHERE name = {name:String}",
                        parameters={"name": setting}).result_rows
    return bool(rows and rows[0][0])
