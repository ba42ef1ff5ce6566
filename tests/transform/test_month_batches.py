"""A full rebuild of a month-partitioned table in batches of months (include/transform/month_batches.py), a
provider's line items or a marts table, gives the tables one statement gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from include import transform
from include.transform import month_batches as batching
from tests.helpers.transform import q
from tests.transform.raw import aws_line, gcp_row, write_aws_period, write_gcp_rows

TABLES = {"aws": ["int_aws__cost_line_items", "int_aws__cost_daily", "int_aws__cost_daily_by_tag"],
          "gcp": ["int_gcp__cost_line_items", "int_gcp__cost_daily", "int_gcp__commitment_line_items"],
          "marts": ["int_cloud_cost_inputs", "int_cloud_cost_daily", "int_cloud_cost_allocated", "int_cloud_cost_by_tag_key",
                    "commitment_coverage_monthly", "focus_daily", "cost_forecast"]}


def test_month_batches_are_consecutive_months_up_to_the_limit():
    rows = {"2026-03": 300, "2026-01": 100, "2026-02": 100, "2026-04": 50, "2026-05": 250}
    assert batching.month_batches(rows, limit=250) == [["2026-01", "2026-02"], ["2026-03"], ["2026-04"], ["2026-05"]]
    assert batching.month_batches(rows, limit=10_000) == [sorted(rows)]
    assert batching.month_batches({}, limit=10) == []


# at least the partitioned tables x (months - 1): AWS line items, commitment lines, daily, daily by tag, daily tag
# values, container daily (3 months); GCP line items, commitment lines, daily, daily by tag (2 months); the marts'
# six tables (2 months or more)
EXTRA_INSERTS = {"aws": 6 * 2, "gcp": 4 * 1, "marts": 6 * 1}


def daily_usage(period: str, first: date, days: int) -> list[dict]:
    rows = []
    for day in (first + timedelta(days=i) for i in range(days)):
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        rows.append(aws_line(period, "Usage", 10.0 + day.day, line_item_product_code="AmazonEC2", product="{}",
                             line_item_usage_start_date=start, line_item_usage_end_date=start + timedelta(days=1)))
    return rows


def rows(tables: list[str]) -> list[list[tuple]]:
    # allocation_version: the configuration's version, which forces the marts' second full rebuild below
    return [q(f"SELECT * EXCEPT (allocation_version) FROM finops.{table} ORDER BY ALL" if table == "int_cloud_cost_allocated"
              else f"SELECT * FROM finops.{table} ORDER BY ALL") for table in tables]


def full_rebuild(target: str, version: str) -> dict:
    """Every table of `target` rebuilt in full: a provider with periods None; the marts, which rebuild what changed,
    with another configuration fingerprint (the allocation version)."""
    return transform.run_transformations(target, config={"allocation": {"version": version, "rules": [], "shared": []}})


def test_a_full_rebuild_in_month_batches_equals_one_statement(data_dir, monkeypatch):
    for period, first, days in (("2026-07", date(2026, 7, 1), 31), ("2026-08", date(2026, 8, 1), 31),
                                ("2026-09", date(2026, 9, 1), 12)):
        write_aws_period(data_dir, period, daily_usage(period, first, days))
    write_gcp_rows(data_dir, [gcp_row(month, 5.0 + day, [("COMMITTED_USAGE_DISCOUNT", -1.0)], day=day)
                              for month in ("2026-08", "2026-09") for day in (1, 2, 3)])
    single = {}
    for provider, tables in TABLES.items():
        full_rebuild(provider, "one")  # creates the views: the next build with this configuration skips them
        # (the marts' views are created again by each of their full rebuilds: a new configuration)
        single[provider] = full_rebuild(provider, "two" if provider == "marts" else "one")["statements"], rows(tables)
        assert all(single[provider][1])  # every table has rows

    monkeypatch.setattr(batching, "BATCH_ROWS", 1)  # every month a batch of its own
    for provider, tables in TABLES.items():
        built = full_rebuild(provider, "three" if provider == "marts" else "one")
        # one INSERT per month (AWS 3, GCP 2) instead of one for each partitioned table but cost_forecast, whose
        # months read later months
        assert built["statements"] >= single[provider][0] + EXTRA_INSERTS[provider], (provider, built["statements"])
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
