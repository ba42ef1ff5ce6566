"""Raw, normalized, rollup and FOCUS totals reconcile to the cent; a restated month changes only that
month, per-period rebuilds equal full rebuilds, and running the SQL twice gives the same state."""

import random
import shutil
from decimal import Decimal

from standins.sample_data.aws import generate_cur2_month
from tests.helpers.transform import cents, one, q, run
from tests.transform.raw import aws_line, gcp_row, write_aws_period, write_aws_table, write_gcp_rows

D = Decimal
MONTHS = ("2026-08", "2026-09")
PARTITIONED = {
    "int_aws__cost_line_items": "billing_period", "int_aws__cost_daily": "billing_period",
    "int_aws__cost_daily_by_tag": "billing_period", "int_gcp__cost_line_items": "invoice_month",
    "int_gcp__cost_daily": "invoice_month", "int_gcp__cost_daily_by_tag": "invoice_month",
}


def random_gcp_rows(month: str, count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        credits = [(kind, -round(rng.uniform(0, 2), 6))
                   for kind in rng.sample(["SUSTAINED_USAGE_DISCOUNT", "PROMOTION", "FREE_TIER", "DISCOUNT"],
                                          rng.randint(0, 2))]
        rows.append(gcp_row(month, round(rng.uniform(0, 40), 6), credits, day=rng.randint(1, 28),
                            project_id=rng.choice(["a", "b", "c"]), sku_id=f"sku-{i}"))
    return rows


def expected_gcp(rows) -> D:
    return sum((D(repr(r["cost"])) + sum((D(repr(c["amount"])) for c in __import__("json").loads(r["credits"])), D(0))
                for r in rows), D(0))


def test_raw_normalized_rollup_and_focus_totals_reconcile(data_dir):
    expected = {}
    for number, month in enumerate(MONTHS):
        table = generate_cur2_month(month, 1_200, seed=number)
        write_aws_table(data_dir, month, table)
        gcp = random_gcp_rows(month, 150, seed=number)
        write_gcp_rows(data_dir, gcp)
        expected[month] = (sum(D(repr(v)) for v in table["line_item_unblended_cost"].to_pylist()), table.num_rows,
                           expected_gcp(gcp), len(gcp))
    run("aws")
    run("gcp")

    for month, (aws_cost, aws_rows, gcp_cost, gcp_rows) in expected.items():
        where = f"WHERE billing_period = '{month}'"
        raw = one(f"SELECT sum(toDecimal128(toString(line_item_unblended_cost), 10)) FROM finops.stg_aws__cur_line_items {where}")
        aws_figures = [
            raw,
            one(f"SELECT sum(unblended_cost) FROM finops.int_aws__cost_line_items {where}"),
            one(f"SELECT sum(unblended_cost) FROM finops.int_aws__cost_daily {where}"),
            one(f"SELECT sum(billed_cost) FROM finops.fct_cost_daily WHERE provider = 'aws' AND month = '{month}'"),
            one(f"SELECT sum(BilledCost) FROM finops.focus WHERE x_Provider = 'aws' AND x_BillingMonth = '{month}'"),
            one(f"SELECT aws_billed_cost FROM finops.monthly_margin WHERE month = '{month}'"),
        ]
        assert {cents(v) for v in aws_figures} == {cents(aws_cost)}, (month, aws_figures)
        for key, total in q(f"SELECT tag_key, sum(unblended_cost) FROM finops.int_aws__cost_daily_by_tag {where} GROUP BY 1"):
            assert cents(total) == cents(aws_cost), (month, key)
        assert one(f"SELECT sum(line_items) FROM finops.int_aws__cost_daily {where}") == aws_rows
        assert one(f"SELECT count() FROM finops.focus WHERE x_Provider = 'aws' AND x_BillingMonth = '{month}'") == aws_rows

        where = f"WHERE invoice_month = '{month}'"
        gcp_figures = [
            one(f"SELECT sum(net_cost) FROM finops.int_gcp__cost_line_items {where}"),
            one(f"SELECT sum(net_cost) FROM finops.int_gcp__cost_daily {where}"),
            one(f"SELECT sum(billed_cost) FROM finops.fct_cost_daily WHERE provider = 'gcp' AND month = '{month}'"),
            one(f"SELECT sum(EffectiveCost) FROM finops.focus WHERE x_Provider = 'gcp' AND x_BillingMonth = '{month}'"),
            one(f"SELECT gcp_billed_cost FROM finops.monthly_margin WHERE month = '{month}'"),
        ]
        assert {cents(v) for v in gcp_figures} == {cents(gcp_cost)}, (month, gcp_figures)
        for key, total in q(f"SELECT tag_key, sum(net_cost) FROM finops.int_gcp__cost_daily_by_tag {where} GROUP BY 1"):
            assert cents(total) == cents(gcp_cost), (month, key)
        assert one(f"SELECT sum(line_items) FROM finops.int_gcp__cost_daily {where}") == gcp_rows


def state() -> dict:
    """Per derived table and month: rows and a checksum of every column, plus the active parts."""
    snapshot = {}
    for table, column in PARTITIONED.items():
        for month, rows, checksum in q(f"SELECT {column}, count(), groupBitXor(cityHash64(*)) FROM finops.{table} GROUP BY 1"):
            snapshot[(table, month)] = (rows, checksum)
    return snapshot


def parts(month: str) -> dict:
    rows = q(f"SELECT table, groupArraySorted(100)(name) FROM system.parts WHERE database = 'finops' AND active "
             f"AND partition = '{month}' GROUP BY table")
    return {table: names for table, names in rows if table in PARTITIONED}


def test_a_restated_month_changes_only_that_month(data_dir):
    for month in MONTHS:
        write_aws_period(data_dir, month, [aws_line(month, "Usage", 10.0 + i, day=1 + i) for i in range(5)])
        write_gcp_rows(data_dir, [gcp_row(month, 3.0 + i, [("PROMOTION", -0.5)], day=1 + i) for i in range(4)])
    run("aws")
    run("gcp")
    before, august_parts = state(), parts("2026-08")
    assert one("SELECT aws_billed_cost FROM finops.monthly_margin WHERE month = '2026-09'") == D("60")

    # AWS re-delivers September (late credits); GCP reloads invoice month 202609 (old rows cleaned up).
    write_aws_period(data_dir, "2026-09", [aws_line("2026-09", "Usage", 20.0, day=3),
                                           aws_line("2026-09", "Credit", -4.0, day=1)])
    for path in (data_dir / "raw" / "gcp_costs" / "billing_export").glob("*.parquet"):
        path.unlink()
    write_gcp_rows(data_dir, [gcp_row("2026-08", 3.0 + i, [("PROMOTION", -0.5)], day=1 + i) for i in range(4)])
    write_gcp_rows(data_dir, [gcp_row("2026-09", 7.0, [("FREE_TIER", -1.0)], day=2)])
    run("aws", periods=["2026-09"])
    run("gcp", periods=["2026-09"])
    after = state()

    assert parts("2026-08") == august_parts  # August's data parts were not even rewritten
    assert {k: v for k, v in after.items() if k[1] == "2026-08"} == {k: v for k, v in before.items() if k[1] == "2026-08"}
    assert one("SELECT aws_billed_cost FROM finops.monthly_margin WHERE month = '2026-09'") == D("16")
    assert one("SELECT gcp_billed_cost FROM finops.monthly_margin WHERE month = '2026-09'") == D("6")
    assert one("SELECT gcp_billed_cost FROM finops.monthly_margin WHERE month = '2026-08'") == D("16")

    # A per-period rebuild leaves exactly what a full rebuild builds; running again changes nothing.
    run("aws")
    run("gcp")
    assert state() == after
    run("gcp", periods=["2026-09"])
    assert state() == after
    assert q("SELECT name FROM system.tables WHERE database = 'finops' AND (name LIKE '%\\_\\_next' OR name LIKE '%\\_\\_stage')") == []


def test_a_period_gone_from_raw_is_emptied_and_nothing_listed_means_no_rebuild(data_dir):
    for month in MONTHS:
        write_aws_period(data_dir, month, [aws_line(month, "Usage", 5.0)])
    run("aws")
    shutil.rmtree(data_dir / "raw" / "aws_costs" / "cur_line_items" / "2026-08")
    run("aws", periods=[])  # nothing changed: no partition is touched
    assert one("SELECT count() FROM finops.int_aws__cost_daily WHERE billing_period = '2026-08'") == 1
    run("aws", periods=["2026-08"])
    assert q("SELECT DISTINCT billing_period FROM finops.int_aws__cost_line_items") == [("2026-09",)]
    assert q("SELECT DISTINCT billing_period FROM finops.int_aws__cost_daily") == [("2026-09",)]


def test_changed_mode_rebuilds_the_months_of_new_loads_only(data_dir):
    write_gcp_rows(data_dir, [gcp_row(month, 4.0, [("FREE_TIER", -1.0)]) for month in MONTHS])
    # a first run (and any run while a provider table is still empty) rebuilds everything
    assert run("gcp", periods=["2026-09"])["periods"] is None
    assert run("gcp", periods="changed")["periods"] == []  # nothing loaded since the last run
    august_parts = parts("2026-08")

    write_gcp_rows(data_dir, [gcp_row("2026-09", 2.5, day=9)])  # an incremental load: late September rows
    write_gcp_rows(data_dir, [gcp_row("2026-08", 100.0)], completed=False)  # still running: not counted
    assert run("gcp", periods="changed")["periods"] == ["2026-09"]
    assert parts("2026-08") == august_parts
    assert dict(q("SELECT month, gcp_billed_cost FROM finops.monthly_margin")) == {"2026-08": D("3"), "2026-09": D("5.5")}
    assert run("gcp", periods="changed")["periods"] == []

    # Explicit periods do not move the watermark: a later "changed" run still sees the newer load.
    write_gcp_rows(data_dir, [gcp_row("2026-08", 1.0, day=20)])
    run("gcp", periods=["2026-09"])
    assert run("gcp", periods="changed")["periods"] == ["2026-08"]
    assert dict(q("SELECT month, gcp_billed_cost FROM finops.monthly_margin")) == {"2026-08": D("4"), "2026-09": D("5.5")}
