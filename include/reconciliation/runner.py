"""Run a target's reconciliation checks: evaluate, record, fail on a miss.

After a target's build (`run_checks("aws")`, ..., `run_checks("marts")`) every check of
`include.reconciliation.checks.CHECKS[target]` is evaluated per period (month) and currency, to the cent.
Each result is a row of `finops.reconciliation_checks` (one per check, period and run), which the Rill
dashboard `reconciliation` shows. A failed check fails the task with the period, both figures and the
difference. A configured tag key that matches no line item in a month is recorded as a warning (it does not
fail the task: the figures add up, but that key's cost would otherwise show as untagged without notice).

The DAGs check only what may have changed (`periods="changed"`): the months of the target's builds logged
(finops.sql_build_log) since its last completed check run (finops.reconciliation_runs), plus every month
whose newest result of a check failed, so a failure stays checked (and alerting) until it is fixed. Every
check compares a month's sums of that month's rows, so a month no build touched cannot have moved. Without
a previous check run, or after a build that may have changed anything (full rebuild, new SQL), every month.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from include import settings
from include.reconciliation.checks import CHECKS, TOLERANCE, Check
from include.transform.literals import quote_string

log = logging.getLogger(__name__)
# raw rows per query of an embedded check run (period_batches): a year of 4M GCP export rows in one query held
# about 1 GiB of engine memory (its deduplication keys), one month of 350K rows 40 MiB
CHECK_BATCH_ROWS = 2_000_000

F = settings.MART_DATABASE
TABLE = f"{F}.reconciliation_checks"

DDL = f"""CREATE TABLE IF NOT EXISTS {TABLE}
(
    run_id      String,
    checked_at  DateTime64(3, 'UTC'),
    provider    LowCardinality(String),
    check_name  LowCardinality(String),
    period      String,
    currency    String,
    expected    Decimal(38, 10),
    actual      Decimal(38, 10),
    difference  Decimal(38, 10),
    passed      UInt8,
    severity    LowCardinality(String),
    description String
)
ENGINE = MergeTree
ORDER BY (provider, check_name, period, currency, checked_at)"""
RUNS_TABLE = f"{F}.reconciliation_runs"
RUNS_DDL = f"""CREATE TABLE IF NOT EXISTS {RUNS_TABLE}
(
    target      LowCardinality(String),
    run_id      String,
    started_at  DateTime64(3, 'UTC'),
    finished_at DateTime64(3, 'UTC'),
    periods     Nullable(String)
)
ENGINE = MergeTree
ORDER BY (target, started_at)"""
CHANGED = "changed"


class ReconciliationError(RuntimeError):
    """A reconciliation check failed; the message names the check, period, figures and difference."""


def _values(client, sql: str, query_settings: dict | None = None) -> dict[tuple[str, str], Decimal]:
    rows = client.query(sql, settings=query_settings or None).result_rows
    return {(str(period), str(currency)): Decimal(str(value)) for period, currency, value in rows}


def unmatched_tag_keys(client, provider: str, periods: list[str] | None = None) -> list[dict]:
    """Warnings: configured tag keys that match no line item of a month (finops.tag_key_coverage); only of
    `periods` when given (the view reads the daily rollup by tag: the month filter is pushed into it). The view has a
    row per currency: a key is unmatched when it matches nothing in any of them."""
    if provider not in ("aws", "gcp", "azure") or (periods is not None and not periods):
        return []
    in_periods = "" if periods is None else " AND month IN {periods:Array(String)}"
    rows = client.query(
        f"SELECT month, tag_key, sum(total_line_items) FROM {F}.tag_key_coverage WHERE provider = {{p:String}}"
        f"{in_periods} GROUP BY month, tag_key HAVING max(matched) = 0 ORDER BY month, tag_key",
        parameters={"p": provider} if periods is None else {"p": provider, "periods": list(periods)},
    ).result_rows
    return [{"check_name": "tag_key_matched", "period": month, "currency": "", "expected": Decimal(1),
             "actual": Decimal(0), "difference": Decimal(-1), "passed": False, "severity": "warning",
             "description": f"configured tag key {key!r} matches none of the {lines} line items of the month"}
            for month, key, lines in rows]


def _exists(client, table: str) -> bool:
    return bool(client.query(f"EXISTS TABLE {table}").result_rows[0][0])


def _in_periods(sql: str, periods: list[str] | None, negate: bool = False) -> str:
    """A check query restricted to `periods` (`negate`: to every other period; ClickHouse pushes the filter on the
    grouping key down to the scan)."""
    if periods is None:
        return sql
    return (f"SELECT * FROM ({sql}) WHERE period {'NOT ' if negate else ''}IN "
            f"({', '.join(quote_string(p) for p in periods) or quote_string('')})")


def period_batches(rows_by_month: dict[str, int], periods: list[str] | None) -> list[tuple[list[str], bool]]:
    """How an embedded check run reads its months: (months, negate) queries, consecutive months of up to
    CHECK_BATCH_ROWS raw rows each, so a check holds a batch's keys (deduplication, distinct counts), not a year's: a
    year of GCP export rows took the task to 1.8 GiB in one query. Every period is still checked: with `periods`
    None a last query takes every period not in a batch (rows whose month is not a 'YYYY-MM' included)."""
    from include.transform.month_batches import month_batches

    months = sorted(rows_by_month) if periods is None else list(periods)
    batches = [(batch, False) for batch in month_batches({m: rows_by_month.get(m, 0) for m in months}, CHECK_BATCH_ROWS)]
    if periods is None:
        batches.append((months, True))
    return batches


def evaluate(client, checks: list[Check], periods: list[str] | None = None, embedded: bool = False,
             rows_by_month: dict[str, int] | None = None) -> list[dict]:
    """Every check of `checks`, one result per check and period (all periods either side has; only
    `periods` when given). `embedded`: the engine runs in this process (chdb), so its queries take the builds'
    memory settings, read the months in batches (`rows_by_month`: the raw rows per month, see period_batches) and
    its allocator gives freed memory back after each check: a year's GCP checks left the task at 1.9 GiB RSS
    otherwise."""
    from include.transform import statements

    results = []
    if periods is not None and not periods:
        return results
    query_settings = statements.embedded_memory_settings(client) if embedded else None
    batches = period_batches(rows_by_month, periods) if embedded and rows_by_month else [(periods, False)]
    for check in checks:
        if check.requires and not _exists(client, check.requires):
            continue  # an input this deployment does not load (e.g. no AWS FOCUS export)
        try:
            expected, actual = {}, {}
            for months, negate in batches:
                expected |= _values(client, _in_periods(check.expected_sql, months, negate), query_settings)
                actual |= _values(client, _in_periods(check.actual_sql, months, negate), query_settings)
            if embedded:  # batches reuse what the allocator keeps; what runs after the checks should not start there
                statements.release_memory(client)
        except Exception as exc:  # a missing or broken table is a failed check, not a crash without figures
            results.append({"check_name": check.name, "period": "", "currency": "", "expected": Decimal(0),
                            "actual": Decimal(0),
                            "difference": Decimal(0), "passed": False, "severity": "error",
                            "description": f"{check.description}: query failed: {type(exc).__name__}: {exc}"[:2000]})
            continue
        for key in sorted(set(expected) | set(actual)):
            want, got = expected.get(key, Decimal(0)), actual.get(key, Decimal(0))
            difference = got - want
            results.append({"check_name": check.name, "period": key[0], "currency": key[1], "expected": want,
                            "actual": got,
                            "difference": difference, "passed": abs(difference) < TOLERANCE, "severity": "error",
                            "description": check.description})
    return results


def record(client, provider: str, results: list[dict], run_id: str) -> None:
    client.command(f"CREATE DATABASE IF NOT EXISTS {settings.MART_DATABASE}")
    client.command(DDL)
    if not results:
        return
    now = datetime.now(UTC)
    client.insert(
        TABLE,
        [[run_id, now, provider, r["check_name"], r["period"], r["currency"], r["expected"], r["actual"],
          r["difference"], int(r["passed"]), r["severity"], r["description"]] for r in results],
        column_names=["run_id", "checked_at", "provider", "check_name", "period", "currency", "expected", "actual",
                      "difference", "passed", "severity", "description"],
    )


def failing_periods(client, target: str) -> set[str] | None:
    """The months whose newest result of one of `target`'s checks failed (None: a check failed without a
    period, e.g. its query broke, so every month is checked)."""
    if not _exists(client, TABLE):
        return set()
    rows = client.query(
        f"SELECT DISTINCT period FROM (SELECT provider, check_name, period, currency, argMax(passed, checked_at) AS ok "
        f"FROM {TABLE} WHERE severity = 'error' AND (provider, check_name) IN {{checks:Array(Tuple(String, String))}} "
        f"GROUP BY provider, check_name, period, currency) WHERE ok = 0",
        parameters={"checks": [(provider, check.name) for provider, checks in CHECKS[target].items() for check in checks]},
    ).result_rows
    periods = {period for (period,) in rows}
    return None if "" in periods else periods


def changed_periods(client, target: str) -> list[str] | None:
    """What a "changed" check run of `target` checks (None: every month): the months of the target's builds
    logged since its last completed check run started, and the months a check of it still fails in."""
    from include.transform.build_state import LOG_TABLE

    if not _exists(client, RUNS_TABLE) or not _exists(client, LOG_TABLE):
        return None
    last = client.query(f"SELECT max(started_at) FROM {RUNS_TABLE} WHERE target = {{t:String}} HAVING count() > 0",
                        parameters={"t": target}).result_rows
    if not last:
        return None
    builds = client.query(
        f"SELECT changed_periods FROM {LOG_TABLE} WHERE target = {{t:String}} AND built_at >= {{since:DateTime64(3, 'UTC')}}",
        parameters={"t": target, "since": last[0][0]},
    ).result_rows
    if any(changed is None for (changed,) in builds):
        return None
    failing = failing_periods(client, target)
    if failing is None:
        return None
    return sorted({month for (changed,) in builds for month in json.loads(changed)} | failing)


def record_run(client, target: str, run_id: str, started_at, periods: list[str] | None) -> None:
    client.command(RUNS_DDL)
    client.command(
        f"INSERT INTO {RUNS_TABLE} (target, run_id, started_at, finished_at, periods) VALUES ("
        f"{quote_string(target)}, {quote_string(run_id)}, {quote_string(started_at)}, now64(3), "
        f"{'NULL' if periods is None else quote_string(json.dumps(periods))})"
    )


def raw_rows_by_month(client, target: str) -> dict[str, int] | None:
    """A provider target's raw rows per month, as its staging reads them (None for the marts: they check tables)."""
    from include.transform.build_state import raw_rows_by_month as provider_rows
    from include.transform.models import PROVIDERS
    from include.transform.raw_views import raw_columns

    return provider_rows(client, target, raw_columns(client)) if target in PROVIDERS else None


def failure_message(provider: str, failed: list[dict]) -> str:
    lines = [f"{provider}: {len(failed)} reconciliation check(s) failed:"]
    for r in failed:
        lines.append(f"  {r['check_name']} period {r['period'] or '?'} {r['currency']}: expected {r['expected']}, "
                     f"actual {r['actual']}, difference {r['difference']} ({r['description']})")
    return "\n".join(lines)


def run_checks(target: str, destination: str | None = None, run_id: str | None = None,
               periods: list[str] | str | None = None) -> dict:
    """The check task after a target's build: evaluate, record in finops.reconciliation_checks (one row
    per check, period and run, under the provider it checks), fail on a miss.

    A provider target checks its raw data against its intermediate and daily tables; `marts` checks the
    cross-provider marts (FOCUS, daily cost, margin, showback) against each cloud's tables and warns about
    configured tag keys that match nothing (finops.tag_key_coverage). `periods`: None every month, a list
    of `YYYY-MM` months, or "changed" (what the DAGs pass: see the module's docstring)."""
    from include.clickhouse import clickhouse_client

    if target not in CHECKS:
        raise ValueError(f"target must be one of {sorted(CHECKS)}, got {target!r}")
    if isinstance(periods, str) and periods != CHANGED:
        raise ValueError(f"periods must be None, a list of months or {CHANGED!r}, got {periods!r}")
    run_id = run_id or f"manual__{uuid.uuid4().hex[:12]}"
    results: dict[str, list[dict]] = {}
    client = clickhouse_client(destination)
    try:
        client.command(f"CREATE DATABASE IF NOT EXISTS {settings.MART_DATABASE}")
        started_at = client.query("SELECT toString(now64(3))").result_rows[0][0]
        if periods == CHANGED:
            periods = changed_periods(client, target)
            log.info("%s: checking %s", target, "every month" if periods is None else (
                ", ".join(periods) if periods else "no month (no build changed any since the last check run)"))
        embedded = (destination or settings.destination_name()) == "filesystem"
        # batching needs the raw rows per month only when more than one month is checked (a scan of the raw files)
        rows_by_month = raw_rows_by_month(client, target) if embedded and (periods is None or len(periods) > 1) else None
        for provider, checks in CHECKS[target].items():
            results[provider] = evaluate(client, checks, periods, embedded, rows_by_month)
            if target == "marts":
                results[provider] += unmatched_tag_keys(client, provider, periods)
            record(client, provider, results[provider], run_id)
        record_run(client, target, run_id, started_at, periods)
        if embedded:
            from include.transform.export import export_marts

            export_marts(client, settings.data_dir(), tables=["reconciliation_checks"])
    finally:
        client.close()
    everything = [r for rows in results.values() for r in rows]
    failed = {provider: [r for r in rows if not r["passed"] and r["severity"] == "error"]
              for provider, rows in results.items()}
    for provider, rows in results.items():
        for warning in (r for r in rows if r["severity"] == "warning"):
            log.warning("%s %s: %s", provider, warning["period"], warning["description"])
    log.info("%s reconciliation (run %s): %d checks, %d failed", target, run_id, len(everything),
             sum(map(len, failed.values())))
    if any(failed.values()):
        raise ReconciliationError("\n".join(failure_message(provider, rows) for provider, rows in failed.items() if rows))
    return {"checks": len(everything), "failed": 0, "run_id": run_id, "periods": periods}
