"""The statements that materialize a model from its SELECT: a view, or a MergeTree table whose
structure is the model's YAML (columns, config.order_by, config.partition_by).

Tables are rebuilt so that readers never see a half-built table:
* full (periods None, or a table not partitioned by month): `<t>__next` is created from the YAML,
  filled, and swapped in with EXCHANGE TABLES;
* per month (periods given): `<t>__stage` (the live table's structure) is filled with those months
  only (the SELECT filters with in_periods), and each month is swapped in with REPLACE PARTITION; a
  month the SELECT no longer produces is emptied. No months: nothing runs.
Inserts name their columns, so the order of the SELECT's columns does not matter.

`engine` (include/transform/table_engine.py, the `table_engine` / `on_cluster` settings) gives the tables'
engine and the ON CLUSTER clause of every DDL statement; the default is one server's `ENGINE = MergeTree`.
"""

from __future__ import annotations

from include.transform.literals import quote_string
from include.transform.models import Model
from include.transform.table_engine import SINGLE_NODE, TableEngine


def table_structure(model: Model, engine: TableEngine = SINGLE_NODE) -> str:
    columns = ",\n".join(f"    {c.name} {c.data_type}" for c in model.columns)
    partition = f"\nPARTITION BY {model.partition_by}" if model.partition_by else ""
    return f"(\n{columns}\n)\nENGINE = {engine.engine}{partition}\nORDER BY ({', '.join(model.order_by)})"


def ensure_table(model: Model, engine: TableEngine = SINGLE_NODE) -> list[str]:
    """The table, created empty if missing, with the columns added to its YAML since it was created
    (in place, so per-month rebuilds keep working after an upgrade)."""
    table, on = model.relation, engine.on_cluster
    added = ",\n".join(
        f"    ADD COLUMN IF NOT EXISTS {c.name} {c.data_type} "
        + ("FIRST" if i == 0 else f"AFTER {model.columns[i - 1].name}")
        for i, c in enumerate(model.columns)
    )
    return [f"CREATE TABLE IF NOT EXISTS {table}{on} {table_structure(model, engine)}", f"ALTER TABLE {table}{on}\n{added}"]


def _insert(target: str, model: Model, select: str, months: list[str] | None = None, settings: str = "") -> str:
    names = ", ".join(c.name for c in model.columns)
    # a batch of a full rebuild keeps only its months, whatever the model's in_periods() filters on
    where = f"\nWHERE {model.partition_by} IN ({', '.join(quote_string(m) for m in months)})" if months else ""
    return f"INSERT INTO {target} ({names})\nSELECT {names} FROM\n(\n{select}\n){where}" + (
        f"\nSETTINGS {settings}" if settings else "")


def materialize(model: Model, select: str, periods: list[str] | None, replace_empty_setting: bool,
                engine: TableEngine = SINGLE_NODE, batches: list[tuple[list[str], str]] | None = None,
                settings: str = "") -> list[str]:
    """The statements that (re)build `model` from `select`. `batches`: a full rebuild of a partitioned table
    as (months, their SELECT) INSERTs into the new table (include/transform/month_batches.py). `settings`:
    a SETTINGS clause for the INSERTs (the embedded engine's memory bounds)."""
    table, on = model.relation, engine.on_cluster
    if model.materialized == "view":
        return [f"CREATE OR REPLACE VIEW {table}{on} AS\n{select}"]
    if periods is None or not model.partition_by:
        inserts = ([_insert(f"{table}__next", model, batch, months, settings) for months, batch in batches]
                   if batches else [_insert(f"{table}__next", model, select, settings=settings)])
        return [
            f"DROP TABLE IF EXISTS {table}__next{on}",
            f"CREATE TABLE {table}__next{on} {table_structure(model, engine)}",
            *inserts,
            f"EXCHANGE TABLES {table}__next AND {table}{on}",
            f"DROP TABLE {table}__next{on}",
        ]
    if not periods:
        return []
    setting = " SETTINGS allow_replace_partition_from_empty_source = 1" if replace_empty_setting else ""
    return [
        f"DROP TABLE IF EXISTS {table}__stage{on}",
        f"CREATE TABLE {table}__stage{on} AS {table}",
        _insert(f"{table}__stage", model, select, settings=settings),
        *(f"ALTER TABLE {table}{on} REPLACE PARTITION {quote_string(p)} FROM {table}__stage{setting}" for p in periods),
        f"DROP TABLE {table}__stage{on}",
    ]
