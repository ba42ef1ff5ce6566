"""GCP billing export totals: of the deduplicated raw table (on chdb), and of generated rows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from include.clickhouse import clickhouse_client
from include.transform.raw_views import refresh_raw_views

DEDUP_VIEW = """
SELECT * FROM finops_raw.gcp_costs__billing_export
LIMIT 1 BY row_key
"""


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def dedup_totals() -> tuple[int, Decimal, Decimal, Decimal]:
    """(rows, cost, credits, net cost) of the deduplicated raw table, computed on chdb."""
    client = clickhouse_client("filesystem")
    try:
        refresh_raw_views(client, "filesystem")
        row = client.query(
            f"""
            SELECT count(),
                   sum(toDecimal128(toString(cost), 9)),
                   sum(arraySum(arrayMap(c -> toDecimal128(JSONExtractFloat(c, 'amount'), 9),
                                         JSONExtractArrayRaw(ifNull(credits, '[]'))))),
                   sum(toDecimal128(toString(cost), 9) + toDecimal128(toString(credits_amount), 9))
            FROM ({DEDUP_VIEW})
            """
        ).result_rows[0]
    finally:
        client.close()
    q = Decimal("0.01")
    return int(row[0]), Decimal(row[1]).quantize(q), Decimal(row[2]).quantize(q), Decimal(row[3]).quantize(q)


def expected_totals(rows) -> tuple[int, Decimal, Decimal, Decimal]:
    def exact(values):
        return sum((Decimal(repr(float(v))) for v in values), Decimal(0))

    cost = exact(r["cost"] for r in rows)
    credits = exact(c["amount"] for r in rows for c in r["credits"])
    q = Decimal("0.01")
    return len(rows), cost.quantize(q), credits.quantize(q), (cost + credits).quantize(q)
