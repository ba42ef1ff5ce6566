"""`finops.alert_log`: every alert sent, per event and channel, so that an event alerts once and again
only when it gets worse, across runs and restarts. A row is written only after the channel took the
alert (a failed send is tried again by the next run); a level-0 row marks an event that is over (a
budget back on track, a check that passes), so its next occurrence alerts again.

Created idempotently on chdb and on a server alike; not a model (the marts' rebuilds never touch it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from include import settings

TABLE = f"{settings.MART_DATABASE}.alert_log"
DDL = f"""CREATE TABLE IF NOT EXISTS {TABLE}
(
    alert_key  String,
    kind       LowCardinality(String),
    channel    LowCardinality(String),
    level      UInt8,
    measure    Decimal(38, 10),
    sent_at    DateTime64(6, 'UTC'),
    run_id     String,
    subject    String
)
ENGINE = MergeTree
ORDER BY (alert_key, channel, sent_at)"""
COLUMNS = ["alert_key", "kind", "channel", "level", "measure", "sent_at", "run_id", "subject"]


def ensure(client) -> None:
    client.command(f"CREATE DATABASE IF NOT EXISTS {settings.MART_DATABASE}")
    client.command(DDL)


def last_sent(client) -> dict[tuple[str, str], tuple[int, Decimal]]:
    """{(alert key, channel): (level, measure)} of the newest row of each."""
    rows = client.query(f"SELECT alert_key, channel, argMax(level, sent_at), argMax(measure, sent_at) "
                        f"FROM {TABLE} GROUP BY alert_key, channel").result_rows
    return {(key, channel): (int(level), Decimal(measure)) for key, channel, level, measure in rows}


def record(client, event, channel: str, run_id: str, level: int | None = None) -> None:
    client.insert(TABLE, [[event.key, event.kind, channel, event.level if level is None else level, event.measure,
                           datetime.now(UTC), run_id, event.subject]], column_names=COLUMNS)
