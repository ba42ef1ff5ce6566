"""What a build skips: views whose statement and inputs did not change, marts tables none of whose
providers changed, and cost_forecast months no provider build touched; every skip leaves the same
tables a full rebuild gives (include/transform/change_plan.py, build_state.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from include import transform
from tests.helpers.transform import q
from tests.transform.raw import aws_line, gcp_row, write_aws_period, write_gcp_rows, write_stripe

FORECAST = "SELECT * FROM finops.cost_forecast ORDER BY provider, month, service_name, currency"
ANOMALIES = "SELECT * FROM finops.cost_anomalies ORDER BY ALL"
# the cross-provider tables rebuilt per month (allocation_version: full_marts_rows sets another one)
MONTHLY = ["SELECT * FROM finops.int_cloud_cost_inputs ORDER BY ALL",
           "SELECT * FROM finops.int_cloud_cost_daily ORDER BY ALL",
           "SELECT * EXCEPT allocation_version FROM finops.int_cloud_cost_allocated ORDER BY ALL",
           "SELECT * FROM finops.int_cloud_cost_by_tag_key ORDER BY ALL",
           "SELECT * FROM finops.commitment_coverage_monthly ORDER BY ALL"]


# the tables partitioned by month that the marts build rebuilds per month
PER_MONTH_TABLES = ("int_cloud_cost_inputs", "int_cloud_cost_daily", "int_cloud_cost_allocated", "int_cloud_cost_by_tag_key",
                    "commitment_coverage_monthly", "focus_daily", "cost_forecast")


def parts(table: str) -> dict[str, tuple[str, ...]]:
    """{partition: names of its active parts}: a rebuilt partition gets new parts."""
    rows = q(f"SELECT partition, groupArraySorted(100)(name) FROM system.parts WHERE database = 'finops' "
             f"AND table = '{table}' AND active GROUP BY partition")
    return {partition: tuple(names) for partition, names in rows}


def usage(period: str, first: date, days: int, cost) -> list[dict]:
    rows = []
    for i in range(days):
        day = first + timedelta(days=i)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        rows.append(aws_line(period, "Usage", float(cost(day)), line_item_product_code="AmazonEC2", product="{}",
                             line_item_usage_start_date=start, line_item_usage_end_date=start + timedelta(days=1)))
    return rows


def build(target: str, periods=None, config: dict | None = None) -> dict:
    return transform.run_transformations(target, periods=periods, config=config if config is not None else {})


def marts_rows() -> tuple[list, ...]:
    return q(FORECAST), q(ANOMALIES), *(q(sql) for sql in MONTHLY)


def full_marts_rows() -> tuple[list, ...]:
    """The marts tables as a full marts rebuild makes them (another configuration fingerprint forces one; the
    allocation version changes none but int_cloud_cost_allocated's allocation_version)."""
    build("marts", config={"allocation": {"version": "force-a-full-rebuild", "rules": [], "shared": []}})
    return marts_rows()


def test_nothing_changed_skips_views_and_marts_tables_and_keeps_them(data_dir):
    write_aws_period(data_dir, "2026-08", usage("2026-08", date(2026, 8, 1), 31, lambda d: 10 + d.day))
    write_aws_period(data_dir, "2026-09", usage("2026-09", date(2026, 9, 1), 12, lambda d: 20))
    first = build("aws", "changed")
    assert {"stg_aws__cur_line_items", "int_aws__cost_line_items_tagged"} <= set(first["models"])
    marts = build("marts")
    assert {"cost_forecast", "cost_anomalies", "focus", "fct_cost_daily"} <= set(marts["models"])
    forecast, anomalies = q(FORECAST), q(ANOMALIES)
    assert len(forecast) == 2

    again = build("aws", "changed")
    # no new load: no month to rebuild, every view as it was
    assert again["periods"] == [] and again["statements"] == 0
    assert not {"stg_aws__cur_line_items", "int_aws__cost_line_items_tagged"} & set(again["models"])
    quiet = build("marts")
    assert quiet["models"] == [] and quiet["statements"] == 0
    assert set(quiet["marts"]) <= {"reconciliation_checks"}  # no dashboard table read again
    assert (q(FORECAST), q(ANOMALIES)) == (forecast, anomalies)


def test_a_restated_month_rebuilds_its_forecast_month_and_equals_a_full_rebuild(data_dir):
    for period, first, days in (("2026-07", date(2026, 7, 1), 31), ("2026-08", date(2026, 8, 1), 31),
                                ("2026-09", date(2026, 9, 1), 12)):
        write_aws_period(data_dir, period, usage(period, first, days, lambda d: 10))
    build("aws", "changed")
    build("marts")
    parts_before = {table: parts(table) for table in PER_MONTH_TABLES}
    write_aws_period(data_dir, "2026-07", usage("2026-07", date(2026, 7, 1), 31, lambda d: 10 + d.day))
    assert build("aws", "changed")["periods"] == ["2026-07"]
    marts = build("marts")
    assert "cost_forecast" in marts["models"]
    # a month of these tables depends on that month only: the restated month's partition alone is written again;
    # the forecast's newest months are rebuilt too (whether a later month has data is part of a month's forecast)
    for table in PER_MONTH_TABLES:
        rebuilt = {month for month, part in parts(table).items() if part != parts_before[table][month]}
        assert rebuilt == ({"2026-07", "2026-08", "2026-09"} if table == "cost_forecast" else {"2026-07"}), table
    # the line-item dashboard tables: July's parquet file only is read and written again (export per month)
    for table in ("focus", "int_aws__cost_line_items_tagged"):
        assert (marts["marts"][table]["months"], marts["marts"][table]["rows"]) == (["2026-07"], 31), table
    july = q("SELECT cost_to_date FROM finops.cost_forecast WHERE month = '2026-07'")
    assert july == [(sum(10 + d for d in range(1, 32)),)]
    assert q("SELECT month, eligible_on_demand_cost FROM finops.commitment_coverage_monthly WHERE month = '2026-07'") \
        == [("2026-07", sum(10 + d for d in range(1, 32)))]  # the restated month's coverage, rebuilt alone
    assert marts_rows() == full_marts_rows()


def test_a_new_month_completes_the_previous_one_in_a_per_month_rebuild(data_dir):
    """A month's forecast depends on whether later data exists: adding September rebuilds August too."""
    write_aws_period(data_dir, "2026-08", usage("2026-08", date(2026, 8, 1), 20, lambda d: 10))
    build("aws", "changed")
    build("marts")
    assert q("SELECT elapsed_days FROM finops.cost_forecast WHERE month = '2026-08'") == [(20.0,)]
    write_aws_period(data_dir, "2026-09", usage("2026-09", date(2026, 9, 1), 3, lambda d: 10))
    assert build("aws", "changed")["periods"] == ["2026-09"]
    build("marts")
    assert q("SELECT month, elapsed_days FROM finops.cost_forecast ORDER BY month") == [("2026-08", 31.0),
                                                                                      ("2026-09", 3.0)]
    assert marts_rows() == full_marts_rows()


def test_a_changed_configuration_recreates_the_views_and_rebuilds_the_marts(data_dir):
    write_aws_period(data_dir, "2026-09", usage("2026-09", date(2026, 9, 1), 5, lambda d: 10))
    build("aws", "changed")
    build("marts")
    tags = {"tag_keys": {"aws": ["user:team", "user:cost-center"]}}
    # the daily tag rollup (a month-partitioned table) reads the tag keys: every month gets the new key
    rebuilt = build("aws", "changed", config=tags)
    assert rebuilt["periods"] is None and "int_aws__cost_line_items_tagged" in rebuilt["models"]
    assert "tag_cost_center" in {c for (c,) in q("SELECT name FROM system.columns WHERE database = 'finops' "
                                                "AND table = 'int_aws__cost_line_items_tagged'")}
    assert q("SELECT DISTINCT billing_period FROM finops.int_aws__cost_daily_by_tag WHERE tag_key = 'cost_center'") == [("2026-09",)]
    assert {"cost_forecast", "cost_anomalies"} <= set(build("marts", config=tags)["models"])
    # a setting no AWS model reads (a budget) leaves the AWS months alone
    budgets = {**tags, "budgets": [{"name": "aws", "month": "2026-09", "amount": "100", "currency": "USD",
                                    "scope": {"provider": "aws"}}]}
    assert build("aws", "changed", config=budgets)["periods"] == []


def test_a_dropped_view_is_created_again(data_dir):
    write_aws_period(data_dir, "2026-09", usage("2026-09", date(2026, 9, 1), 5, lambda d: 10))
    build("aws", "changed")
    build("marts")
    transform.query("DROP VIEW finops.fct_cost_daily")
    assert build("marts")["models"] == ["fct_cost_daily"]  # cost_anomalies (empty, but built) is not rebuilt
    assert q("SELECT sum(billed_cost) FROM finops.fct_cost_daily") == [(50,)]


def test_a_provider_build_creates_its_own_raw_views_again_only_when_their_files_changed(data_dir):
    write_aws_period(data_dir, "2026-08", usage("2026-08", date(2026, 8, 1), 5, lambda d: 10))
    write_gcp_rows(data_dir, [gcp_row("2026-08", 5.0)])
    first = build("aws", "changed")
    assert "finops_raw.aws_costs__cur_line_items" in first["raw_views"]
    assert all(view.startswith("finops_raw.aws_costs__") for view in first["raw_views"])  # not GCP's
    assert build("aws", "changed")["raw_views"] == []  # nothing loaded since: no schema inferred again
    gcp = build("gcp", "changed")
    assert "finops_raw.gcp_costs__billing_export" in gcp["raw_views"]
    assert all(view.startswith("finops_raw.gcp_costs__") for view in gcp["raw_views"])

    # a new load's files: the view is created again and reads them; so is a dropped view
    write_aws_period(data_dir, "2026-09", usage("2026-09", date(2026, 9, 1), 3, lambda d: 20))
    transform.query("DROP VIEW finops_raw.aws_costs___dlt_loads")
    again = build("aws", "changed")
    assert {"finops_raw.aws_costs__cur_line_items", "finops_raw.aws_costs___dlt_loads"} <= set(again["raw_views"])
    assert again["periods"] == ["2026-09"]
    assert q("SELECT billing_period, sum(net_unblended_cost) FROM finops.int_aws__cost_line_items GROUP BY 1 "
             "ORDER BY 1") == [("2026-08", 50), ("2026-09", 60)]


def test_a_model_an_upgrade_turned_from_a_view_into_a_table_is_built_in_full(data_dir):
    """int_cloud_cost_allocated, int_cloud_cost_daily, int_cloud_cost_inputs and int_cloud_cost_by_tag_key were views
    before 2026-12: the first build after the upgrade replaces each view with its table, all months."""
    for period in ("2026-08", "2026-09"):
        write_aws_period(data_dir, period, usage(period, date.fromisoformat(f"{period}-01"), 5, lambda d: 10))
    build("aws", "changed")
    build("marts")
    for name in ("int_cloud_cost_allocated", "int_cloud_cost_by_tag_key", "int_cloud_cost_daily"):
        transform.query(f"DROP TABLE finops.{name}")
        transform.query(f"CREATE VIEW finops.{name} AS SELECT 1 AS stale")  # as the older version left it
    assert {"int_cloud_cost_allocated", "int_cloud_cost_by_tag_key", "int_cloud_cost_daily"} <= set(build("marts")["models"])
    assert q("SELECT name, engine FROM system.tables WHERE database = 'finops' AND name IN "
             "('int_cloud_cost_allocated', 'int_cloud_cost_by_tag_key', 'int_cloud_cost_daily') ORDER BY name") == [
        ("int_cloud_cost_allocated", "MergeTree"), ("int_cloud_cost_by_tag_key", "MergeTree"),
        ("int_cloud_cost_daily", "MergeTree")]
    assert q("SELECT month, sum(total_cost) FROM finops.tag_coverage_monthly WHERE tag_key = 'team' GROUP BY month "
             "ORDER BY month") == [("2026-08", 50), ("2026-09", 50)]
    assert q("SELECT month, sum(billed_cost) FROM finops.int_cloud_cost_allocated GROUP BY month ORDER BY month") == [
        ("2026-08", 50), ("2026-09", 50)]
    assert q("SELECT sum(total_cost) FROM finops.showback_monthly") == [(100,)]
    assert marts_rows() == full_marts_rows()


def test_stripe_tables_are_rebuilt_after_a_new_load_only(data_dir):
    """Stripe's MRR and recognition tables are unpartitioned (rebuilt in full): skipped only when no load
    came since the last build and the SQL is the same."""
    subscriptions = [{"id": "sub_1", "customer": "cus_1", "currency": "usd", "start": date(2026, 8, 1),
                      "ended": None, "amount": 5_000}]
    write_stripe(data_dir, [{"id": "txn_1", "amount": 5_000, "currency": "usd", "created": date(2026, 8, 1)}],
                 subscriptions)
    first = build("stripe", "changed")
    assert "int_stripe__mrr_monthly" in first["models"]
    mrr = q("SELECT * FROM finops.int_stripe__mrr_monthly ORDER BY ALL")
    assert mrr
    again = build("stripe", "changed")
    assert again["statements"] == 0 and "int_stripe__mrr_monthly" not in again["models"]
    assert q("SELECT * FROM finops.int_stripe__mrr_monthly ORDER BY ALL") == mrr
    # a new load without balance transactions (no month to rebuild) still rebuilds the MRR tables
    write_stripe(data_dir, [], [dict(subscriptions[0], amount=7_000)])
    after_load = build("stripe", "changed")
    assert after_load["periods"] == [] and "int_stripe__mrr_monthly" in after_load["models"]
