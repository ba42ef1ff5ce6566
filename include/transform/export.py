"""Export the tables the dashboards read from database `finops` as parquet, for Rill's local (DuckDB) mode.

DuckDB cannot read the embedded ClickHouse (chdb) storage, so after the marts have been built in the
`filesystem` mode the tables and views the Rill models read (DASHBOARD_TABLES, kept equal to
rill/models by tests/rill/test_mart_export.py) are written to `<data_dir>/marts/<table>.parquet` (see
rill/README.md). Each file is written to a temporary name in the same folder and moved into place with
os.replace, so a reader (a running `rill start`) sees the old file or the new one, never a half-written one.

A table is written only when it changed since its last export: beside each file,
`<table>.parquet.fingerprint` holds the row count and the sum of a hash of every row (and of the
column names and types) as they were when the file was written. Reading and hashing a table costs a
fraction of encoding it as parquet, and most runs change few of the tables (a GCP run does not change
the AWS line items; a restated month leaves the Stripe marts alone). The fingerprint is taken before
the file is written, so a table that changes during an export is written again by the next one.

The line-item-grain tables (MONTHLY_TABLES: `focus` and the `_tagged` line items, most of the bytes) are
written one file per month, `<table>/<YYYY-MM>.parquet` (Rill reads `<table>/*.parquet`), each with its own
fingerprint: a restated month rewrites that month's file only, and when the marts build knows which months
changed (`months`) only those are read at all. A month no longer in the table loses its file; a table
without rows is one `empty.parquet`, so its readers still see its columns. Each file is replaced atomically;
a reader during an export may see some months new and others not yet.

The bytes come from ClickHouse itself (`SELECT * ... FORMAT Parquet` through clickhouse-connect, on
chdb or a server), so types stay exact: Decimal(38, 10) money is parquet decimal128(38, 10), Date is
date32, DateTime64 a UTC timestamp, Map a parquet map, LowCardinality(String) a string.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from include import settings
from include.transform.literals import quote_string

log = logging.getLogger(__name__)

MARTS_FOLDER = "marts"
FINGERPRINT_SUFFIX = ".fingerprint"
# What the Rill models read (rill/models/*.yaml, `read_parquet('.../marts/<table>.parquet')`); the
# generated pages read those models too. tests/rill/test_mart_export.py fails when the two differ.
DASHBOARD_TABLES = (
    "budget_status",
    "commitment_coverage_monthly",
    "commitment_utilization_monthly",
    "container_cost_monthly",
    "cost_anomalies",
    "cost_forecast",
    "customer_margin_monthly",
    "focus",
    "focus_daily",
    "int_aws__cost_daily_tagged",
    "int_aws__cost_line_items_tagged",
    "int_gcp__cost_line_items_tagged",
    "int_stripe__mrr_monthly",
    "monthly_revenue",
    "reconciliation_checks",
    "showback_monthly",
    "tag_coverage_monthly",
    "unit_economics_monthly",
)
# Not exported by default: the build bookkeeping (include/transform/build_state.py), and the staging
# views (`stg_*`), which only pass the raw data through (newest completed load, deduplicated): they are
# as large as the raw parquet itself and nothing downstream of the models reads them. Pass `tables` to
# export them anyway.
EXCLUDED_TABLES = frozenset({"sql_build_state", "sql_build_log", "sql_view_state", "reconciliation_runs"})
STAGING_PREFIX = "stg_"
# Side tables of a rebuild in progress (`<table>__next`, `<table>__stage`): never exported.
TEMPORARY_TABLE = re.compile(r"__(next|stage)$")
TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Dashboard tables at line-item grain (and their daily rollups), exported one parquet file per month: {table: its
# 'YYYY-MM' column}.
MONTHLY_TABLES = {
    "focus": "x_BillingMonth",
    "focus_daily": "x_BillingMonth",
    "int_aws__cost_daily_tagged": "billing_period",
    "int_aws__cost_line_items_tagged": "billing_period",
    "int_gcp__cost_line_items_tagged": "invoice_month",
}
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# ClickHouse's Parquet writer holds a whole row group before writing it (default 1M rows or 512 MiB): a month of 1M
# line items peaked at +1.5 GiB; row groups of 128K rows / 64 MiB: +0.66 GiB, as fast, and DuckDB reads them in
# parallel all the same. No bloom filters (ClickHouse writes them by default): they serve point lookups, not the
# dashboards' aggregations, and cost a fifth of the export's time and bytes (a month of `focus` at the year
# benchmark's size: 5.0 s and 137 MiB with them, 4.1 s and 113 MiB without).
PARQUET_SETTINGS = {"output_format_parquet_row_group_size": 131_072,
                    "output_format_parquet_row_group_size_bytes": 64 * 1024 * 1024,
                    "output_format_parquet_write_bloom_filter": 0}
EMPTY_FILE = "empty.parquet"


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


def export_table(client, table: str, target: Path, database: str = settings.MART_DATABASE, where: str = "1 = 1") -> int:
    """Write `database.table` (its rows matching `where`) to `target` (parquet) atomically; returns the
    number of rows written."""
    if not TABLE_NAME.match(table):
        raise ValueError(f"{table!r} is not a table name")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        stream = client.raw_stream(f"SELECT * FROM `{database}`.`{table}` WHERE {where}", fmt="Parquet",
                                   settings=parquet_settings(client))
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


def parquet_settings(client) -> dict:
    """PARQUET_SETTINGS this engine knows (an older server lacks the bloom filter one), looked up once per client."""
    known = getattr(client, "_finops_parquet_settings", None)
    if known is None:
        from include.transform.statements import supported_settings

        known = client._finops_parquet_settings = supported_settings(client, PARQUET_SETTINGS)
    return known


def _parquet_rows(path: Path) -> int:
    if path.stat().st_size == 0:  # ClickHouse writes nothing for an empty result on some versions
        raise RuntimeError(f"ClickHouse returned no parquet data for {path.name}")
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def _columns(client, table: str, database: str) -> list[list[str]]:
    if not TABLE_NAME.match(table):
        raise ValueError(f"{table!r} is not a table name")
    columns = client.query(
        "SELECT groupArray((name, type)) FROM (SELECT name, type FROM system.columns "
        "WHERE database = {db:String} AND table = {t:String} ORDER BY position)",
        parameters={"db": database, "t": table},
    ).result_rows[0][0]
    return [list(c) for c in columns]


def _fingerprint(rows: int, row_hash, columns: list) -> str:
    return json.dumps({"rows": rows, "row_hash": str(row_hash), "columns": columns}, sort_keys=True)


def _row_hash(client) -> str:
    """The expression that hashes a whole row, asked once per client: cityHash64(tuple(*)) (tuple(*): a NULL column
    would make cityHash64(*) NULL and sum() would skip the row); where the engine cannot hash a tuple holding a NULL
    (ClickHouse 24.x: "Method getDataAt is not supported for Nullable"), the hash of the row's text."""
    if getattr(client, "_finops_row_hash", None) is None:
        try:
            client.query("SELECT cityHash64(tuple(CAST(NULL, 'Nullable(UInt8)')))")
            client._finops_row_hash = "cityHash64(tuple(*))"
        except Exception:  # clickhouse-connect raises several types; the engine answered that it cannot
            client._finops_row_hash = "cityHash64(toString(tuple(*)))"
    return client._finops_row_hash


def table_fingerprint(client, table: str, database: str = settings.MART_DATABASE) -> str:
    """The row count, the sum of a hash of every row and a hash of the columns' names and types of
    `database.table`: equal fingerprints mean the same rows (as a multiset) in the same structure."""
    columns = _columns(client, table, database)
    rows, row_hash = client.query(f"SELECT count(), sum({_row_hash(client)}) FROM `{database}`.`{table}`").result_rows[0]
    return _fingerprint(rows, row_hash, columns)


def month_fingerprints(client, table: str, month_column: str, months: list[str] | None = None,
                       database: str = settings.MART_DATABASE) -> dict[str, str]:
    """{month: fingerprint of the table's rows of that month} (only `months` when given); a month value
    that is not 'YYYY-MM' fails, naming the table."""
    if months is not None and not months:
        return {}
    columns = _columns(client, table, database)
    where = "1 = 1" if months is None else f"`{month_column}` IN ({', '.join(quote_string(m) for m in months)})"
    rows = client.query(
        f"SELECT toString(`{month_column}`), count(), sum({_row_hash(client)}) FROM `{database}`.`{table}` "
        f"WHERE {where} GROUP BY 1").result_rows
    if bad := sorted(str(month) for month, _, _ in rows if not MONTH.match(str(month)))[:5]:
        raise ValueError(f"{database}.{table}: {month_column} is not 'YYYY-MM' in every row: {bad}; the table "
                         "cannot be exported per month")
    return {month: _fingerprint(count, row_hash, columns) for month, count, row_hash in rows}


def fingerprint_path(target: Path) -> Path:
    return target.with_name(target.name + FINGERPRINT_SUFFIX)


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def export_if_changed(client, table: str, target: Path, database: str = settings.MART_DATABASE,
                      after_write: Callable[[], None] | None = None) -> dict:
    """Write `database.table` to `target` unless it is unchanged since the file was written (`after_write()` after writing).

    Returns {"written": bool, "rows": int, "seconds": float}."""
    started = time.perf_counter()
    fingerprint = table_fingerprint(client, table, database)
    stored = fingerprint_path(target)
    unchanged = target.exists() and stored.exists() and stored.read_text() == fingerprint
    if unchanged:
        rows = json.loads(fingerprint)["rows"]
    else:
        rows = export_table(client, table, target, database)
        _write_atomically(stored, fingerprint)
        if after_write:
            after_write()
    return {"written": not unchanged, "rows": rows, "seconds": round(time.perf_counter() - started, 3)}


def export_by_month(client, table: str, folder: Path, month_column: str, months: list[str] | None = None,
                    database: str = settings.MART_DATABASE, after_write: Callable[[], None] | None = None) -> dict:
    """Write each month of `database.table` whose rows changed to `folder/<YYYY-MM>.parquet` (`after_write()` after
    each); look only at `months` when given (None: every month, and the files of months the table no longer has are
    removed).

    Returns {"written": bool, "rows": rows of the months looked at, "months": months written or removed,
    "seconds": float}."""
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    if months is not None and not (folder / EMPTY_FILE).exists() and not any(folder.glob(f"*.parquet{FINGERPRINT_SUFFIX}")):
        months = None  # nothing exported yet (or from before per-month files): every month
    current = month_fingerprints(client, table, month_column, months, database)
    on_disk = {path.name.removesuffix(".parquet") for path in folder.glob("*.parquet") if MONTH.match(path.stem)}
    looked_at = on_disk if months is None else on_disk & set(months)
    changed = []
    for month, fingerprint in sorted(current.items()):
        target = folder / f"{month}.parquet"
        stored = fingerprint_path(target)
        if target.exists() and stored.exists() and stored.read_text() == fingerprint:
            continue
        export_table(client, table, target, database, where=f"`{month_column}` = {quote_string(month)}")
        _write_atomically(stored, fingerprint)
        changed.append(month)
        if after_write:
            after_write()
    for month in sorted(looked_at - set(current)):  # no rows left in that month
        (folder / f"{month}.parquet").unlink(missing_ok=True)
        fingerprint_path(folder / f"{month}.parquet").unlink(missing_ok=True)
        changed.append(month)
    empty = folder / EMPTY_FILE
    if any(MONTH.match(path.stem) for path in folder.glob("*.parquet")):
        empty.unlink(missing_ok=True)
        fingerprint_path(empty).unlink(missing_ok=True)
    else:  # no month at all: one file without rows keeps the columns readable
        columns = _fingerprint(0, 0, _columns(client, table, database))
        if not empty.exists() or not fingerprint_path(empty).exists() or fingerprint_path(empty).read_text() != columns:
            export_table(client, table, empty, database, where="0")
            _write_atomically(fingerprint_path(empty), columns)
            changed.append("empty")
    return {"written": bool(changed), "rows": sum(json.loads(f)["rows"] for f in current.values()),
            "months": changed, "seconds": round(time.perf_counter() - started, 3)}


def export_marts(client, data_dir: Path | None = None, tables: list[str] | None = None,
                 database: str = settings.MART_DATABASE, force: bool = False,
                 months: dict[str, list[str] | None] | None = None,
                 after_write: Callable[[], None] | None = None) -> dict[str, dict]:
    """Export `tables` (default: the DASHBOARD_TABLES `database` has) to `<data_dir>/marts/`, each only when
    it changed since its last export (`force`: every one). A MONTHLY_TABLES table is written per month,
    looking only at `months[table]` when given (the months the marts build says changed). `after_write()` runs
    after each file written (the embedded engine gives its memory back there).

    Returns {table: {"written": bool, "rows": int, "seconds": float}} and logs a line per table.
    Parquet files of tables that no longer exist are left alone (a dashboard keeps its last good data).
    """
    folder = marts_dir(data_dir)
    if tables is None:
        existing = set(discover_tables(client, database))
        names = [table for table in DASHBOARD_TABLES if table in existing]
        if missing := [table for table in DASHBOARD_TABLES if table not in existing]:
            # reconciliation_checks before the first check task; any mart on a new data folder
            log.info("not built yet, not exported: %s", ", ".join(missing))
    else:
        names = list(tables)
    exported: dict[str, dict] = {}
    for table in names:
        if table in MONTHLY_TABLES:
            target = folder / table
            if force:
                for stored in target.glob(f"*{FINGERPRINT_SUFFIX}"):
                    stored.unlink()
            exported[table] = outcome = export_by_month(client, table, target, MONTHLY_TABLES[table],
                                                        None if force else (months or {}).get(table), database,
                                                        after_write)
            _remove_single_file(folder / f"{table}.parquet")
            log.info("%s %s.%s -> %s/: %s (%d rows looked at), %.2f s", "wrote" if outcome["written"] else "unchanged, skipped",
                     database, table, target, ", ".join(outcome["months"]) or "no month changed", outcome["rows"],
                     outcome["seconds"])
            continue
        target = folder / f"{table}.parquet"
        if force:
            fingerprint_path(target).unlink(missing_ok=True)
        exported[table] = outcome = export_if_changed(client, table, target, database, after_write)
        log.info("%s %s.%s -> %s: %d rows, %.2f s", "wrote" if outcome["written"] else "unchanged, skipped",
                 database, table, target, outcome["rows"], outcome["seconds"])
    written = [table for table, outcome in exported.items() if outcome["written"]]
    log.info("exported %d of %d tables of %s to %s (%s)", len(written), len(exported), database, folder,
             ", ".join(written) or "nothing changed")
    return exported


def _remove_single_file(path: Path) -> None:
    """The one-file export of a table now written per month (before 2026-12): nothing reads it any more."""
    path.unlink(missing_ok=True)
    fingerprint_path(path).unlink(missing_ok=True)


def dashboard_files(table: str, data_dir: Path | None = None) -> list[Path]:
    """The parquet file(s) holding the export of `table`: one file, or a MONTHLY_TABLES table's month files."""
    folder = marts_dir(data_dir)
    if table in MONTHLY_TABLES:
        return sorted((folder / table).glob("*.parquet"))
    return [folder / f"{table}.parquet"]


def is_exported(table: str, data_dir: Path | None = None) -> bool:
    """Whether `table` has its parquet file(s) under the data dir's marts folder."""
    files = dashboard_files(table, data_dir)
    return bool(files) and all(path.exists() for path in files)


def main(argv: list[str] | None = None) -> int:
    """`python -m include.transform.export [--force]`: export the embedded ClickHouse of $FINOPS_DATA_DIR (./data) by hand."""
    import argparse

    from include.clickhouse import clickhouse_client

    parser = argparse.ArgumentParser(description="Export the dashboards' tables as parquet (only those that changed).")
    parser.add_argument("--force", action="store_true", help="write every table, changed or not")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    client = clickhouse_client("filesystem")
    try:
        exported = export_marts(client, settings.data_dir(), force=args.force)
    finally:
        client.close()
    written = sum(outcome["written"] for outcome in exported.values())
    print(f"{written} of {len(exported)} tables of {settings.MART_DATABASE} written -> {marts_dir()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
