"""Run SQL statements one at a time; a failure names its source (model file and statement)."""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

# One pass over the SQL text: strings and quoted names are kept whole (a ';' or '--' inside them is text),
# comments are dropped, ';' ends a statement. (sqlparse did this before: 12 of a marts build's 25 s.)
_SQL_TOKEN = re.compile(
    r"""'(?:[^'\\]|\\.|'')*'"""           # string literal ('' and \' escapes)
    r"""|"(?:[^"\\]|\\.|"")*"|`(?:[^`\\]|\\.|``)*`"""  # quoted identifiers
    r"|(?P<comment>--[^\n]*|/\*.*?\*/)"   # comments
    r"|(?P<end>;)",
    re.DOTALL,
)


def split_statements(text: str) -> list[str]:
    """The statements of `text`, without comments, each stripped and without its ';'."""
    statements, parts, position = [], [], 0
    for token in _SQL_TOKEN.finditer(text):
        parts.append(text[position:token.start()])
        position = token.end()
        if token.group("comment") is not None:
            parts.append(" " if token.group("comment").startswith("/*") else "")
        elif token.group("end") is not None:
            statements.append("".join(parts))
            parts = []
        else:
            parts.append(token.group(0))
    statements.append("".join(parts) + text[position:])
    return [body for body in (statement.strip() for statement in statements) if body]


def execute(client, statement: str, source: str) -> None:
    from include.transform.errors import SqlFileError

    try:
        client.command(statement)
    except Exception as exc:  # clickhouse-connect raises several types; all are reported the same way
        raise SqlFileError(f"{source}: {type(exc).__name__}: {exc}\n--- statement ---\n{statement}") from exc


# The embedded engine runs in the SQL task's process, whose memory is the task's: its defaults suit a server.
EMBEDDED_MEMORY_SETTINGS = {
    # the Parquet reader's read-ahead across row groups and files (default 4 GiB)
    "input_format_parquet_memory_high_watermark": 256 * 1024 * 1024,
    # an INSERT's blocks (default about a million rows or 256 MiB, all columns at once), and the blocks its SELECT
    # reads (default 65,409 rows): a month of 1M CUR line items peaked at +1.3 GiB with 262,144-row insert blocks,
    # +0.8 GiB with these, as fast (measured on the year benchmark's data, include/sql/README.md "Memory")
    "min_insert_block_size_rows": 65_536,
    "min_insert_block_size_bytes": 32 * 1024 * 1024,
    "max_block_size": 16_384,
    # a GROUP BY larger than this spills to disk (line-level rollups: by resource and tag value)
    "max_bytes_before_external_group_by": 512 * 1024 * 1024,
}


def known_settings(client, names) -> set[str]:
    """The settings of `names` this engine has."""
    rows = client.query("SELECT name FROM system.settings WHERE has({names:Array(String)}, name)",
                        parameters={"names": sorted(names)}).result_rows
    return {name for (name,) in rows}


def supported_settings(client, wanted: dict) -> dict:
    """The settings of `wanted` this engine knows (an older server lacks some), with their values."""
    known = known_settings(client, wanted)
    return {name: value for name, value in wanted.items() if name in known}


def embedded_memory_settings(client) -> dict:
    """EMBEDDED_MEMORY_SETTINGS this engine knows."""
    return supported_settings(client, EMBEDDED_MEMORY_SETTINGS)


def memory_settings(client) -> str:
    """A SETTINGS clause's body with EMBEDDED_MEMORY_SETTINGS this engine knows."""
    return ", ".join(f"{name} = {value}" for name, value in embedded_memory_settings(client).items())


def release_memory(client) -> None:
    """Give the memory the embedded engine's allocator keeps after a statement back to the system: freed pages stay
    in the process otherwise, and the next large INSERT starts from there (a year's AWS rebuild climbed from 0.5 to
    2.4 GiB RSS over its month batches; with this, every batch starts near 0.5 GiB). Embedded (chdb) only: on a
    server the task's process holds no engine memory. An engine built without jemalloc (some platforms' chdb wheels)
    refuses the statement: then the build goes on without it, and says so once."""
    if getattr(client, "_finops_no_purge", False):
        return
    try:
        client.command("SYSTEM JEMALLOC PURGE")
    except Exception as exc:  # clickhouse-connect raises several types; memory only, never the data
        log.warning("the embedded engine cannot give freed memory back (%s): going on without it", exc)
        client._finops_no_purge = True


def server_supports(client, setting: str) -> bool:
    return setting in known_settings(client, [setting])
