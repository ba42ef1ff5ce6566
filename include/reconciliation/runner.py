"""Run a target's reconciliation checks: evaluate, record, fail on a miss.

After a target's build (`run_checks("aws")`, ..., `run_checks("marts")`) every check of
`include.reconciliation.checks.CHECKS[target]` is evaluated per period (month) and currency, to the cent.
Each result is a row of `finops.reconciliation_checks` (one per check, period and run), which the Rill
dashboard `reconciliation` shows. A failed check fails the task with the period, both figures and the
difference. A configured tag key that matches no line item in a month is recorded as a warning (it does not
fail the task: the figures add up, but that key's cost would otherwise show as untagged without notice).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from include import settings
from include.reconciliation.checks import CHECKS, TOLERANCE, Check

log = logging.getLogger(__name__)

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


class ReconciliationError(RuntimeError):
    """A reconciliation check failed; the message names the check, period, figures and difference."""


def _values(client, sql: str) -> dict[tuple[str, str], Decimal]:
    return {(str(period), str(currency)): Decimal(str(value)) for period, currency, value in client.query(sql).result_rows}


def unmatched_tag_keys(client, provider: str, periods: list[str] | None = None) -> list[dict]:
    """Warnings: configured tag keys that match no line item of a month (finops.tag_key_coverage)."""
    if provider not in ("aws", "gcp", "azure"):
        return []
    rows = client.query(
        f"SELECT month, tag_key, total_line_items FROM {F}.tag_key_coverage WHERE provider = {{p:String}} AND matched = 0",
        parameters={"p": provider},
    ).result_rows
    return [{"check_name": "tag_key_matched", "period": month, "currency": "", "expected": Decimal(1),
             "actual": Decimal(0), "difference": Decimal(-1), "passed": False, "severity": "warning",
             "description": f"configured tag key {key!r} matches none of the {lines} line items of the month"}
            for month, key, lines in rows if periods is None or month in periods]


def evaluate(client, checks: list[Check], periods: list[str] | None = None) -> list[dict]:
    """Every check of `checks`, one result per check and period (all periods either side has)."""
    results = []
    for check in checks:
        if check.requires and not client.query(f"EXISTS TABLE {check.requires}").result_rows[0][0]:
            continue  # an input this deployment does not load (e.g. no AWS FOCUS export)
        try:
            expected, actual = _values(client, check.expected_sql), _values(client, check.actual_sql)
        except Exception as exc:  # a missing or broken table is a failed check, not a crash without figures
            results.append({"check_name": check.name, "period": "", "currency": "", "expected": Decimal(0),
                            "actual": Decimal(0),
                            "difference": Decimal(0), "passed": False, "severity": "error",
                            "description": f"{check.description}: query failed: {type(exc).__name__}: {exc}"[:2000]})
            continue
        for key in sorted(set(expected) | set(actual)):
            if periods is not None and key[0] not in periods:
                continue
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


def failure_message(provider: str, failed: list[dict]) -> str:
    lines = [f"{provider}: {len(failed)} reconciliation check(s) failed:"]
    for r in failed:
        lines.append(f"  {r['check_name']} period {r['period'] or '?'} {r['currency']}: expected {r['expected']}, "
                     f"actual {r['actual']}, difference {r['difference']} ({r['description']})")
    return "\n".join(lines)


def run_checks(target: str, destination: str | None = None, run_id: str | None = None,
               periods: list[str] | None = None) -> dict:
    """The check task after a target's build: evaluate, record in finops.reconciliation_checks (one row
    per check, period and run, under the provider it checks), fail on a miss.

    A provider target checks its raw data against its intermediate and daily tables; `marts` checks the
    cross-provider marts (FOCUS, daily cost, margin, showback) against each cloud's tables and warns about
    configured tag keys that match nothing (finops.tag_key_coverage)."""
    from include.clickhouse import clickhouse_client

    if target not in CHECKS:
        raise ValueError(f"target must be one of {sorted(CHECKS)}, got {target!r}")
    run_id = run_id or f"manual__{uuid.uuid4().hex[:12]}"
    results: dict[str, list[dict]] = {}
    client = clickhouse_client(destination)
    try:
        for provider, checks in CHECKS[target].items():
            results[provider] = evaluate(client, checks, periods)
            if target == "marts":
                results[provider] += unmatched_tag_keys(client, provider, periods)
            record(client, provider, results[provider], run_id)
        if (destination or settings.destination_name()) == "filesystem":
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
    return {"checks": len(everything), "failed": 0, "run_id": run_id}
