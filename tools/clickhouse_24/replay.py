"""`make compat`: the statements the SQL tests sent to chdb 4.4 (tests/helpers/statement_log.py), replayed on chdb
2.1.1, i.e. ClickHouse 24.8, the oldest server the SQL supports (include/sql/README.md, Compatibility).

    python tools/clickhouse_24/replay.py LOG_DIR [--jobs 2]

Runs in its own venv (tools/clickhouse_24/requirements.txt: chdb 2.1.1 and nothing else). Replaying every test's log
takes hours, so it picks the fewest tests whose statements, literals aside, are all the statements of every test (a
greedy cover), and replays each of those in a fresh process and session, in order, as the test ran them. What only
exists on the embedded engine is replaced: the raw views over the parquet files (`finops_raw.*`) become tables holding
the same rows, as a server has raw tables (their `**` globs written out: 24.8 matches no folder with `**`); and the
settings a build adds only when the engine has them (ENGINE_DEPENDENT_SETTINGS) are dropped where 24.8 lacks them;
statements the build sends to the embedded engine only (EMBEDDED_ONLY), and those that failed on chdb 4.4 too (a
test of an error), are not replayed; where the build chose a form by asking the engine (CAPABILITY_PROBES), the
form it would choose on 24.8 is replayed; a DROP TABLE drops at once (SYNC: see for_server). Every error is printed with its
test and statement; the exit status is 1 if there was one. A crash of chdb 2.1.1 itself (seen on some DROP TABLE
sequences a server runs) is reported as CRASH, inconclusive from that statement on, and does not fail the run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

_RAW_VIEW = re.compile(r"CREATE OR REPLACE VIEW (finops_raw\.\S+) AS SELECT \* FROM file\('([^']*)', (\w+)\)(.*)$", re.S)
_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|\b\d+(?:\.\d+)?\b")
# Settings a build adds only when the engine has them (include/transform/statements.py asks system.settings): the log
# holds chdb 4.4's answer; on 24.8 the build would leave out those 24.8 does not know.
ENGINE_DEPENDENT_SETTINGS = ("input_format_parquet_memory_high_watermark", "min_insert_block_size_rows",
                             "min_insert_block_size_bytes", "max_block_size", "max_bytes_before_external_group_by",
                             "allow_replace_partition_from_empty_source")


# Statements a build sends to the embedded engine only (include/transform/statements.py release_memory)
EMBEDDED_ONLY = {"SYSTEM JEMALLOC PURGE"}
# What a build asks the engine before it chooses a form (include/transform/export.py _row_hash): the probe, and the
# form chosen where the engine refuses it: the log holds chdb 4.4's choice, so on 24.8 the other is replayed.
CAPABILITY_PROBES = {"SELECT cityHash64(tuple(CAST(NULL, 'Nullable(UInt8)')))":
                     ("cityHash64(tuple(*))", "cityHash64(toString(tuple(*)))")}


def _files_glob(pattern: str) -> str:
    """A raw view's `<folder>/**/*.<ext>` as 24.8 expands it: `**` matches no folder there, so the depth the files
    are at (partitioned tables one folder deeper) is written out."""
    folder, _, name = pattern.partition("/**/")
    if not _:
        return pattern
    depths = {len(path.relative_to(folder).parts) - 1 for path in Path(folder).rglob(name)}
    if len(depths) > 1:
        raise ValueError(f"files at several depths under {folder}")
    return folder + "/" + "*/" * (depths.pop() if depths else 0) + name


def for_server(sql: str, parameters: dict | None, unknown_settings: set[str]) -> str:
    """The statement as a ClickHouse 24.8 server would get it (see the module's docstring), parameters inlined."""
    raw_view = _RAW_VIEW.match(sql)
    if raw_view:  # a server has raw tables: one holding the files' rows
        table, pattern, file_format, settings = raw_view.groups()
        return (f"CREATE OR REPLACE TABLE {table} ENGINE = MergeTree ORDER BY tuple() AS SELECT * FROM "
                f"file('{_files_glob(pattern)}', {file_format}){settings}")
    if re.match(r"DROP TABLE\b", sql) and not sql.rstrip().endswith("SYNC"):
        # chdb 2.1.1 crashes on a later CREATE / DROP of a view while an Atomic database still holds a table it
        # drops lazily (a server does not); dropped at once, the statement is the same (replay() accepts the
        # UNFINISHED the embedded engine answers: it has no background pool to finish the drop in)
        return sql.rstrip() + " SYNC"
    for name in unknown_settings:
        sql = re.sub(r"\b" + name + r"\s*=\s*[^,\s)]+\s*,?", "", sql)
    sql = re.sub(r"SETTINGS\s*,", "SETTINGS ", sql)
    sql = re.sub(r",\s*$", "", sql.rstrip())
    sql = re.sub(r"SETTINGS\s*$", "", sql.rstrip())
    for name, value in (parameters or {}).items():
        sql = re.sub(r"\{" + re.escape(name) + r":([^}]*)\}", lambda found, value=value: _literal(value, found[1]), sql)
    return sql


def _literal(value, kind: str) -> str:
    """A query parameter's value as a literal of its declared type."""
    kind = kind.strip()
    if kind.startswith("Tuple("):
        return "(" + ",".join(_literal(item, item_kind) for item, item_kind in zip(value, _types(kind[6:-1]), strict=True)) + ")"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_literal(item, kind[len("Array("):-1]) for item in value) + "]"
    if re.match(r"(U?Int|Float|Decimal)", kind):
        return str(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _types(listed: str) -> list[str]:
    """The types of 'String, Tuple(String, UInt8)': split at the commas outside parentheses."""
    types, depth, start = [], 0, 0
    for at, char in enumerate(listed):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and not depth:
            types.append(listed[start:at])
            start = at + 1
    return [*types, listed[start:]]


def statements(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def covering_logs(logged: dict[Path, list[dict]]) -> list[Path]:
    """The fewest logs (greedy) holding every distinct statement (literals aside) that changes something."""
    def shapes(log: Path) -> set[str]:
        return {re.sub(r"\s+", " ", _LITERAL.sub("?", s["sql"])) for s in logged[log]
                if not s["sql"].lstrip().upper().startswith(("SELECT", "SHOW", "DESCRIBE", "EXISTS", "EXPLAIN"))}

    remaining = {log: shapes(log) for log in logged}
    chosen: list[Path] = []
    covered: set[str] = set()
    while remaining:
        log = max(sorted(remaining), key=lambda candidate: len(remaining[candidate] - covered))
        if not remaining[log] - covered:
            break
        chosen.append(log)
        covered |= remaining.pop(log)
    return chosen


def replay(log: Path) -> list[dict]:
    """Every statement of one test's log on a fresh chdb session; the errors."""
    from chdb import session

    folder = tempfile.mkdtemp(prefix="clickhouse_24_")
    errors = []
    try:
        engine = session.Session(folder)
        names = ",".join(f"'{name}'" for name in ENGINE_DEPENDENT_SETTINGS)
        known = set(engine.query(f"SELECT name FROM system.settings WHERE name IN ({names})", "CSV").bytes()
                    .decode().replace('"', "").split())
        unknown = set(ENGINE_DEPENDENT_SETTINGS) - known
        rewrites = []
        for probe, rewrite in CAPABILITY_PROBES.items():
            try:
                engine.query(probe, "CSV")
            except Exception:  # refused: the build would have chosen the other form
                rewrites.append(rewrite)
        for number, statement in enumerate(statements(log), start=1):
            if statement.get("failed") or statement["sql"].strip() in EMBEDDED_ONLY | set(CAPABILITY_PROBES):
                continue
            sql = for_server(statement["sql"], statement.get("parameters"), unknown)
            for chosen, instead in rewrites:
                sql = sql.replace(chosen, instead)
            print(number, file=sys.stderr, flush=True)  # the statement a crash of the engine stopped at
            try:
                engine.query(sql, "CSV")
            except Exception as error:  # chdb raises its own error types; each is a finding, but one:
                if sql.startswith("DROP TABLE") and "(UNFINISHED)" in str(error):
                    continue  # the embedded engine finishes a SYNC drop "after restart": gone from the catalog now
                errors.append({"statement": number, "error": str(error).splitlines()[0][:400], "sql": sql[:400]})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log_dir", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--all", action="store_true", help="replay every log, not the fewest that cover them")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # a worker: replay one log, print its errors
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(replay(args.one)), flush=True)
        os._exit(0)  # not chdb's teardown at exit: it is not what is checked
    logs = sorted(args.log_dir.glob("*.jsonl"))
    if not logs:
        print(f"no statement logs in {args.log_dir}", file=sys.stderr)
        return 1
    import chdb

    logged = {log: statements(log) for log in logs}  # each log read once here (a worker reads its own)
    chosen = logs if args.all else covering_logs(logged)
    print(f"chdb {chdb.__version__}: replaying {len(chosen)} of {len(logs)} tests' statements "
          f"({sum(len(logged[log]) for log in chosen)} statements)", flush=True)

    def worker(log: Path) -> tuple[Path, list[dict]]:
        # a process per log: chdb holds one session per process
        done = subprocess.run([sys.executable, __file__, str(args.log_dir), "--one", str(log)],
                              capture_output=True, text=True)
        if done.returncode:
            started = done.stderr.split()
            number = int(started[-1]) if started and started[-1].isdigit() else 0
            sql = logged[log][number - 1]["sql"][:400] if number else ""
            return log, [{"statement": number, "crash": True, "sql": sql,
                          "error": f"chdb 2.1.1 crashed (exit status {done.returncode}): inconclusive from here on"}]
        return log, json.loads(done.stdout.strip().splitlines()[-1])

    failed = crashed = 0
    with ThreadPoolExecutor(args.jobs) as pool:
        for log, errors in pool.map(worker, chosen):
            refused = [error for error in errors if not error.get("crash")]
            state = "FAIL" if refused else "CRASH" if errors else "ok  "
            print(f"{state} {log.stem} ({len(logged[log])} statements)", flush=True)
            for error in errors:
                print(f"     statement {error['statement']}: {error['error']}\n       {error['sql'][:300]}")
            failed += bool(refused)
            crashed += bool(errors) and not refused
    # a crash of the embedded engine (chdb 2.1.1 has crashed on DROP TABLE sequences a server runs) is not a refusal:
    # reported, not failed; the statements after it in that test were not checked
    print(f"{failed} of {len(chosen)} replayed tests had a statement ClickHouse 24.8 refused; "
          f"{crashed} stopped early where chdb 2.1.1 crashed (inconclusive)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
