"""A full rebuild of a provider's line-item tables in batches of months (include/transform/month_batches.py)
gives the tables one statement gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from include import transform
from include.transform import month_batches as batching
from tests.helpers.transform import q
from tests.transform.raw import aws_line, gcp_row, write_aws_period, write_gcp_rows

TABLES = {"aws": ["int_aws__cost_line_items", "int_aws__cost_daily", "int_aws__cost_daily_by_tag"],
          "gcp": ["int_gcp__cost_line_items", "int_gcp__cost_daily", "int_gcp__commitment_line_items"]}


def test_month_batches_are_consecutive_months_up_to_the_limit():
    rows = {"2026-03": 300, "2026-01": 100, "2026-02": 100, "2026-04": 50, "2026-05": 250}
    assert batching.month_batches(rows, limit=250) == [["2026-01", "2026-02"], ["2026-03"], ["2026-04"], ["2026-05"]]
    assert batching.month_batches(rows, limit=10_000) == [sorted(rows)]
    assert batching.month_batches({}, limit=10) == []


def daily_usage(period: str, first: date, days: int) -> list[dict]:
    rows = []
    for day in (first + timedelta(days=i) for i in range(days)):
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        rows.append(aws_line(period, "Usage", 10.0 + day.day, line_item_product_code="AmazonEC2", product="{}",
                             line_item_usage_start_date=start, line_item_usage_end_date=start + timedelta(days=1)))
    return rows


def rows(tables: list[str]) -> list[list[tuple]]:
    return [q(f"SELECT * FROM finops.{table} ORDER BY ALL") for table in tables]


def test_a_full_rebuild_in_month_batches_equals_one_statement(data_dir, monkeypatch):
    for period, first, days in (("2026-07", date(2026, 7, 1), 31), ("2026-08", date(2026, 8, 1), 31),
                                ("2026-09", date(2026, 9, 1), 12)):
        write_aws_period(data_dir, period, daily_usage(period, first, days))
    write_gcp_rows(data_dir, [gcp_row(month, 5.0 + day, [("COMMITTED_USAGE_DISCOUNT", -1.0)], day=day)
                              for month in ("2026-08", "2026-09") for day in (1, 2, 3)])
    single = {}
    for provider, tables in TABLES.items():
        transform.run_transformations(provider, config={})  # creates the views: the next build skips them
        single[provider] = transform.run_transformations(provider, config={})["statements"], rows(tables)
        assert all(single[provider][1])  # every table has rows

    monkeypatch.setattr(batching, "BATCH_ROWS", 1)  # every month a batch of its own
    for provider, tables in TABLES.items():
        built = transform.run_transformations(provider, config={})
        # the tables over the raw data (AWS's line items and commitment lines, GCP's line items): one INSERT per
        # month (AWS 3, GCP 2) instead of one
        assert built["statements"] == single[provider][0] + {"aws": 2 * 2, "gcp": 1}[provider]
        assert rows(tables) == single[provider][1]


def test_an_engine_without_jemalloc_purge_builds_on_and_says_so_once(caplog):
    """SYSTEM JEMALLOC PURGE is a memory measure only: an engine that refuses it (a chdb built without jemalloc)
    logs one warning and the build goes on."""
    from include.transform.statements import release_memory

    class Refusing:
        calls = 0

        def command(self, sql):
            self.calls += 1
            raise RuntimeError("Code: 1. DB::Exception: jemalloc is not used. (SUPPORT_IS_DISABLED)")

    client = Refusing()
    with caplog.at_level("WARNING"):
        release_memory(client)
        release_memory(client)
    assert client.calls == 1
    assert len([r for r in caplog.records if "cannot give freed memory back" in r.getMessage()]) == 1
