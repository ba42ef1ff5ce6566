"""The AWS CUR source and load task against a real S3 API (moto server), SQL on chdb."""

import glob
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from include import transform
from include.loaders import aws as aws_loader
from include.pipelines import LoadError, root_cause, run_pipeline
from include.run_intent import request_for
from include.sources.aws_cur import CurInputError, aws_cur_source
from include.sources.aws_cur.columns import map_to_json
from standins.sample_data.aws import Cur2Export, generate_cur2_month, write_cur2_period


def cents(values) -> Decimal:
    return sum((Decimal(repr(v)) for v in values), Decimal(0)).quantize(Decimal("0.01"))


def read_raw(data_dir):
    files = glob.glob(str(data_dir / "raw" / "aws_costs" / "cur_line_items" / "**" / "*.parquet"), recursive=True)
    return pq.read_table(files) if files else None


def sql_totals() -> dict:
    """Per billing period: (line items, unblended cost to the cent) as the SQL layer sees them."""
    transform.run_transformations("aws")
    _, rows = transform.query(
        "SELECT billing_period, sum(line_items), sum(unblended_cost) FROM finops.int_aws__cost_daily GROUP BY 1"
    )
    return {period: (int(n), Decimal(cost).quantize(Decimal("0.01"))) for period, n, cost in rows}


def expected(table) -> tuple[int, Decimal]:
    return table.num_rows, cents(table["line_item_unblended_cost"].to_pylist())


def test_map_to_json_handles_nulls_escapes_and_numbers():
    import pyarrow as pa

    maps = pa.array(
        [[("user:team", 'pay"ments')], None, [], [("a\\b", None)], [("k", "line\nbreak\x01\ttab")]],
        type=pa.map_(pa.string(), pa.string()),
    )
    as_json = map_to_json(maps).to_pylist()
    assert [json.loads(v) if v is not None else None for v in as_json] == [
        {"user:team": 'pay"ments'}, None, {}, {"a\\b": None}, {"k": "line\nbreak\x01\ttab"}
    ]
    plain = pa.array([[("user:team", "search")]], type=pa.map_(pa.string(), pa.string()))
    assert map_to_json(plain).to_pylist() == ['{"user:team":"search"}']
    numbers = pa.array([[("bundled", -1.25)]], type=pa.map_(pa.string(), pa.float64()))
    assert json.loads(map_to_json(numbers)[0].as_py()) == {"bundled": -1.25}
    # slices of a batch (arrow keeps the whole child arrays and offsets into them)
    assert map_to_json(maps.slice(1, 3)).to_pylist() == as_json[1:4]
    assert map_to_json(maps.slice(3)).to_pylist() == as_json[3:]


def test_source_reads_every_period_and_keeps_tags_as_json(s3_server, cur_bucket, local_data):
    export = Cur2Export(cur_bucket, "cur", "finops")
    totals = {}
    for period in ("2026-08", "2026-09"):
        table = generate_cur2_month(period, 3_000)
        write_cur2_period(s3_server.client(), export, period, table, rows_per_file=1_000)
        totals[period] = expected(table)

    source = aws_cur_source(cur_bucket, "cur", "finops", s3_server.credentials(), replace_by_period=False)
    # and one period ledger row per billing period read (include/loaders/period_loads.py)
    assert run_pipeline("aws_costs", source) == {"cur_line_items": 6_000, "cur_line_items_period_loads": 2}

    raw = read_raw(local_data)
    for period, (rows, total) in totals.items():
        month = raw.filter(pc.equal(raw["billing_period"], period))
        assert (month.num_rows, cents(month["line_item_unblended_cost"].to_pylist())) == (rows, total)
    assert raw.schema.field("resource_tags").type == "string"
    assert set(json.loads(raw["resource_tags"][0].as_py())) <= {"user:team", "user:environment"}


def test_redeliveries_replace_the_period_and_totals_equal_the_newest(s3_server, aws_airflow):
    client = s3_server.client()
    august = generate_cur2_month("2026-08", 1_500)
    write_cur2_period(client, aws_airflow, "2026-08", august)
    for seed, rows in ((1, 2_000), (2, 2_400), (3, 1_800)):  # estimated, then finalized, then late credits
        september = generate_cur2_month("2026-09", rows, seed=seed)
        write_cur2_period(client, aws_airflow, "2026-09", september, rows_per_file=700)
        loaded = aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period()
        assert loaded["2026-09"] == rows
        assert sql_totals() == {"2026-08": expected(august), "2026-09": expected(september)}

    _, dupes = transform.query(
        "SELECT count() FROM (SELECT identity_line_item_id, identity_time_interval FROM finops.stg_aws__cur_line_items "
        "GROUP BY ALL HAVING count() > 1)"
    )
    assert dupes == [(0,)]
    # Only the newest delivery's files remain on disk.
    assert read_raw(aws_airflow and transform.run.settings.data_dir()).num_rows == 1_500 + 1_800


def test_only_changed_periods_are_reloaded(s3_server, aws_airflow, monkeypatch):
    client = s3_server.client()
    months = {p: generate_cur2_month(p, 800) for p in ("2026-07", "2026-08", "2026-09")}
    for period, table in months.items():
        write_cur2_period(client, aws_airflow, period, table)
    assert aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 15))).rows_by_period() == {"2026-07": 800, "2026-08": 800, "2026-09": 800}
    assert aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 16))).rows_by_period() == {"2026-07": 0, "2026-08": 0, "2026-09": 0}

    months["2026-09"] = generate_cur2_month("2026-09", 900, seed=9)
    write_cur2_period(client, aws_airflow, "2026-09", months["2026-09"])
    assert aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 17))).rows_by_period() == {"2026-07": 0, "2026-08": 0, "2026-09": 900}
    assert sql_totals() == {p: expected(t) for p, t in months.items()}

    # A closed month re-delivered (AWS's "refresh closed reports": late refunds, credits, support fees) is
    # reloaded however old it is...
    months["2026-07"] = generate_cur2_month("2026-07", 50, seed=9)
    write_cur2_period(client, aws_airflow, "2026-07", months["2026-07"])
    assert aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 18))).rows_by_period() == {"2026-07": 50, "2026-08": 0, "2026-09": 0}
    assert sql_totals() == {p: expected(t) for p, t in months.items()}
    # ... unless refresh_months freezes the months before the last N once loaded.
    monkeypatch.setenv("AIRFLOW_VAR_AWS_COSTS_CONFIG", json.dumps(
        {"bucket": aws_airflow.bucket, "prefix": "cur", "export_name": "finops", "refresh_months": 2}))
    write_cur2_period(client, aws_airflow, "2026-07", generate_cur2_month("2026-07", 70, seed=10))
    frozen = aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 19)))
    assert frozen.rows_by_period() == {"2026-07": 0, "2026-08": 0, "2026-09": 0}
    assert frozen.summary()["periods"]["2026-07"]["reason"] == "loaded before and older than the refresh window (from 2026-08)"
    assert sql_totals() == {p: expected(t) for p, t in months.items()}


def test_new_tag_key_in_a_later_month_loads_without_ddl(s3_server, aws_airflow):
    client = s3_server.client()
    write_cur2_period(client, aws_airflow, "2026-08", generate_cur2_month("2026-08", 500))
    aws_loader.load(request_for("aws_costs", run_date=date(2026, 8, 31))).rows_by_period()
    write_cur2_period(client, aws_airflow, "2026-09", generate_cur2_month("2026-09", 500, tag_keys_extra=("cost_center",)))
    aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period()
    transform.run_transformations("aws")
    _, rows = transform.query(
        "SELECT billing_period, countIf(JSONHas(resource_tags, 'user:cost_center')) FROM finops.stg_aws__cur_line_items "
        "GROUP BY 1 ORDER BY 1"
    )
    assert rows == [("2026-08", 0), ("2026-09", 500)]


def test_a_redelivered_period_without_line_items_empties_the_period(s3_server, aws_airflow):
    client = s3_server.client()
    august, september = generate_cur2_month("2026-08", 600, seed=1), generate_cur2_month("2026-09", 700, seed=2)
    write_cur2_period(client, aws_airflow, "2026-08", august)
    write_cur2_period(client, aws_airflow, "2026-09", september)
    assert aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period() == {
        "2026-08": 600, "2026-09": 700}
    assert sql_totals() == {"2026-08": expected(august), "2026-09": expected(september)}

    # AWS re-delivers September with no line item left (its one data file has none)
    write_cur2_period(client, aws_airflow, "2026-09", september.slice(0, 0))
    report = aws_loader.load(request_for("aws_costs", run_date=date(2026, 10, 1)))
    assert report.rows_by_period() == {"2026-08": 0, "2026-09": 0}
    assert report.summary()["periods"]["2026-09"]["status"] == "loaded"
    assert sql_totals() == {"2026-08": expected(august)}
    assert read_raw(transform.run.settings.data_dir()).num_rows == 600  # September's older files are pruned
    # loaded once: a later run finds it unchanged
    later = aws_loader.load(request_for("aws_costs", run_date=date(2026, 10, 2)))
    assert later.summary()["periods"]["2026-09"]["status"] == "unchanged"
    assert sql_totals() == {"2026-08": expected(august)}


def test_corrupt_file_fails_naming_it_and_keeps_the_previous_data(s3_server, aws_airflow):
    client = s3_server.client()
    good = generate_cur2_month("2026-09", 1_000)
    write_cur2_period(client, aws_airflow, "2026-09", good)
    aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period()
    before = sql_totals()

    keys = write_cur2_period(client, aws_airflow, "2026-09", generate_cur2_month("2026-09", 1_000, seed=5),
                             rows_per_file=400)
    client.put_object(Bucket=aws_airflow.bucket, Key=keys[1], Body=b"PAR1 truncated")
    with pytest.raises(LoadError, match=f"CurInputError: cannot read CUR data file s3://{aws_airflow.bucket}/{keys[1]}") as failure:
        aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period()
    assert isinstance(root_cause(failure.value.__cause__), CurInputError)
    assert sql_totals() == before == {"2026-09": expected(good)}


def test_manifest_naming_a_missing_file_fails_naming_it(s3_server, aws_airflow):
    client = s3_server.client()
    keys = write_cur2_period(client, aws_airflow, "2026-09", generate_cur2_month("2026-09", 600), rows_per_file=300)
    client.delete_object(Bucket=aws_airflow.bucket, Key=keys[0])
    with pytest.raises(LoadError, match=f"s3://{aws_airflow.bucket}/{keys[0]} listed in the manifest does not exist"):
        aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period()


def test_params_and_backfill_choose_the_periods(s3_server, aws_airflow):
    client = s3_server.client()
    for period in ("2026-06", "2026-07", "2026-08", "2026-09"):
        write_cur2_period(client, aws_airflow, period, generate_cur2_month(period, 300))
    assert aws_loader.load(request_for("aws_costs", {"billing_periods": ["2026-07"]})).rows_by_period() == {"2026-07": 300}
    # "to reload": asked again, the period is reloaded though AWS did not re-deliver it
    assert aws_loader.load(request_for("aws_costs", {"billing_periods": ["2026-07"]})).rows_by_period() == {"2026-07": 300}
    assert aws_loader.load(request_for("aws_costs", {"billing_periods": ["2026-07"], "full_refresh": True})).rows_by_period() == {"2026-07": 300}
    # A backfill run reloads the period of its logical date (include/run_intent.py picks which run);
    # a period AWS never delivered is skipped there, not failed.
    assert aws_loader.load(request_for("aws_costs", run_date=date(2026, 8, 10), run_type="backfill")).rows_by_period() == {"2026-08": 300}
    assert aws_loader.load(request_for("aws_costs", run_date=date(2026, 1, 10), run_type="backfill")).rows_by_period() == {}
    with pytest.raises(ValueError, match="2026-01"):
        aws_loader.load(request_for("aws_costs", {"billing_periods": ["2026-01"]})).rows_by_period()
    with pytest.raises(ValueError, match="YYYY-MM"):
        aws_loader.load(request_for("aws_costs", {"billing_periods": ["2026/07"]})).rows_by_period()
    assert set(sql_totals()) == {"2026-07", "2026-08"}


def test_legacy_csv_cur_loads_into_the_same_raw_table_with_cur2_names(s3_server, aws_airflow, monkeypatch):
    from standins.sample_data.aws import write_legacy_period

    monkeypatch.setenv(
        "AIRFLOW_VAR_AWS_COSTS_CONFIG",
        json.dumps({"bucket": aws_airflow.bucket, "prefix": "legacy", "export_name": "finops-cur"}),
    )
    client = s3_server.client()
    august = generate_cur2_month("2026-08", 700)
    write_legacy_period(client, aws_airflow.bucket, "legacy", "finops-cur", "2026-08", august, rows_per_file=300)
    september = generate_cur2_month("2026-09", 900, tag_keys_extra=("cost_center",))
    write_legacy_period(client, aws_airflow.bucket, "legacy", "finops-cur", "2026-09", september)
    assert aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period() == {"2026-08": 700, "2026-09": 900}

    # A new assembly of September (the report was updated) replaces it.
    september = generate_cur2_month("2026-09", 950, seed=3, tag_keys_extra=("cost_center",))
    write_legacy_period(client, aws_airflow.bucket, "legacy", "finops-cur", "2026-09", september)
    assert aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period() == {"2026-08": 0, "2026-09": 950}
    assert sql_totals() == {"2026-08": expected(august), "2026-09": expected(september)}

    _, rows = transform.query(
        "SELECT billing_period, countIf(JSONHas(resource_tags, 'user:cost_center')), "
        "countIf(JSONExtractString(resource_tags, 'user:team') != ''), min(line_item_usage_start_date) "
        "FROM finops.stg_aws__cur_line_items GROUP BY 1 ORDER BY 1"
    )
    tagged = lambda t: sum(1 for tags in t["resource_tags"].to_pylist() if dict(tags or []).get("user:team"))  # noqa: E731
    assert [r[:3] for r in rows] == [("2026-08", 0, tagged(august)), ("2026-09", 950, tagged(september))]
    assert str(rows[0][3]).startswith("2026-08-01")


def test_legacy_csv_columns_are_read_as_their_manifest_types_not_guessed(s3_server, aws_airflow, monkeypatch):
    """Account ids with leading zeros and tag values that look like numbers or like arrow's null spellings stay
    the text the CSV holds; a column empty in the file's first blocks and filled later loads; so do ZIP files."""
    import pyarrow as pa

    from include.sources.aws_cur import legacy
    from standins.sample_data.aws import write_legacy_period

    monkeypatch.setenv("AIRFLOW_VAR_AWS_COSTS_CONFIG",
                       json.dumps({"bucket": aws_airflow.bucket, "prefix": "legacy", "export_name": "cur"}))
    monkeypatch.setattr(legacy, "CSV_BLOCK_BYTES", 64 << 10)  # many blocks from a small file
    client = s3_server.client()

    def text(table, name, values):
        return table.set_column(table.schema.get_field_index(name), name, pa.array(values, pa.string()))

    rows = 1200
    september = generate_cur2_month("2026-09", rows)
    september = text(september, "bill_payer_account_id", ["000999999999"] * rows)
    september = text(september, "line_item_usage_account_id", ["012345678901", "210987654321"] * (rows // 2))
    arn = "arn:aws:ec2:us-east-1:012345678901:reserved-instances/r-1"
    september = text(september, "reservation_reservation_a_r_n", [""] * (rows - 3) + [arn] * 3)
    tags = pa.array([[("user:cost_center", ["0042", "NA", "null"][i % 3])] for i in range(rows)],
                    pa.map_(pa.string(), pa.string()))
    september = september.set_column(september.schema.get_field_index("resource_tags"), "resource_tags", tags)
    write_legacy_period(client, aws_airflow.bucket, "legacy", "cur", "2026-09", september, rows_per_file=700)
    august = generate_cur2_month("2026-08", 500)
    write_legacy_period(client, aws_airflow.bucket, "legacy", "cur", "2026-08", august, compression="ZIP")

    loaded = aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period()
    assert loaded == {"2026-08": 500, "2026-09": rows}
    assert sql_totals() == {"2026-08": expected(august), "2026-09": expected(september)}
    _, found = transform.query(
        "SELECT DISTINCT bill_payer_account_id, line_item_usage_account_id, "
        "JSONExtractString(resource_tags, 'user:cost_center') FROM finops.stg_aws__cur_line_items "
        "WHERE billing_period = '2026-09' ORDER BY 2, 3")
    assert found == sorted({("000999999999", ["012345678901", "210987654321"][i % 2], ["0042", "NA", "null"][i % 3])
                            for i in range(rows)}, key=lambda r: r[1:])
    _, arns = transform.query("SELECT count() FROM finops.stg_aws__cur_line_items "
                              f"WHERE reservation_reservation_a_r_n = '{arn}'")
    assert arns == [(3,)]


def test_flat_tag_columns_become_json_with_one_value_per_row():
    import pyarrow as pa

    from include.sources.aws_cur.columns import flat_columns_to_json

    team = pa.array(["payments", None, "", 'se"arch', None], pa.string())
    env = pa.array([None, "prod", "dev", "", None], pa.string())
    result = [json.loads(v) for v in flat_columns_to_json({"user:team": team, "user:env": env}).to_pylist()]
    assert result == [{"user:team": "payments"}, {"user:env": "prod"}, {"user:env": "dev"}, {"user:team": 'se"arch'}, {}]


def test_a_column_with_the_wrong_type_fails_naming_file_and_column(s3_server, aws_airflow):
    import pyarrow as pa

    client = s3_server.client()
    good = generate_cur2_month("2026-09", 500)
    write_cur2_period(client, aws_airflow, "2026-09", good)
    aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period()
    before = sql_totals()

    bad = generate_cur2_month("2026-09", 500, seed=4)
    bad = bad.set_column(bad.schema.get_field_index("line_item_unblended_cost"), "line_item_unblended_cost",
                         bad["line_item_usage_start_date"])
    keys = write_cur2_period(client, aws_airflow, "2026-09", bad)
    with pytest.raises(LoadError, match=f"s3://{aws_airflow.bucket}/{keys[0]}: column line_item_unblended_cost has "
                                        r"type timestamp\[.*\], expected a number"):
        aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period()
    assert sql_totals() == before

    # Decimal or integer money is fine: read as float64 like every other delivery.
    decimal = generate_cur2_month("2026-09", 500, seed=6)
    as_decimal = pc.cast(decimal["line_item_unblended_cost"], pa.decimal128(20, 10))
    decimal = decimal.set_column(decimal.schema.get_field_index("line_item_unblended_cost"),
                                 "line_item_unblended_cost", as_decimal)
    write_cur2_period(client, aws_airflow, "2026-09", decimal)
    assert aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period() == {"2026-09": 500}
    assert sql_totals()["2026-09"][1] == cents(pc.cast(as_decimal, pa.float64()).to_pylist())



def _as_aws_text(table, name):
    """A double column as AWS writes a `string` one: the number's text, '' where there is none."""
    import pyarrow as pa

    text = pc.if_else(pc.is_null(table[name]), "", pc.cast(table[name], pa.string()))
    return table.set_column(table.schema.get_field_index(name), name, text)


# AWS's CUR 2.0 table dictionary types these `string` (table-dictionary-cur2-line-item.html, -pricing.html,
# -reservation.html), and AWS writes them as text in the parquet files.
CUR2_TEXT_NUMBERS = ("line_item_blended_rate", "line_item_unblended_rate", "line_item_net_unblended_rate",
                     "pricing_public_on_demand_rate")


def test_a_cur2_delivery_with_the_rates_as_text_loads_them_as_numbers(s3_server, aws_airflow, local_data):
    """A CUR 2.0 file typed as AWS's table dictionary types it (rates and reserved units `string`) loads: the
    rates are read as the numbers they spell, '' as no value; the costs are untouched."""
    import pyarrow as pa

    table = generate_cur2_month("2026-09", 400)
    rates = table["pricing_public_on_demand_rate"].to_pylist()
    for name in CUR2_TEXT_NUMBERS:
        table = _as_aws_text(table, name)
    units = pa.array(["", " 2.5 "] * 200, pa.string())  # spaces around a number are no harm either
    table = table.append_column("reservation_total_reserved_units", units)
    table = table.append_column("reservation_total_reserved_normalized_units", pa.array([""] * 400, pa.string()))
    write_cur2_period(s3_server.client(), aws_airflow, "2026-09", table)

    assert aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period() == {"2026-09": 400}
    assert sql_totals() == {"2026-09": expected(table)}
    raw = read_raw(local_data)
    assert raw.schema.field("pricing_public_on_demand_rate").type == "double"
    assert raw["pricing_public_on_demand_rate"].to_pylist() == rates
    assert raw["reservation_total_reserved_units"].to_pylist() == [None, 2.5] * 200
    assert raw["reservation_total_reserved_normalized_units"].null_count == 400


def test_legacy_athena_parquet_rates_as_text_are_read_as_numbers():
    """Legacy CUR's Athena parquet types the rates string too; its batches go through the same conversion."""
    import pyarrow as pa

    from include.sources.aws_cur.legacy import prepare_legacy_batch

    batch = pa.record_batch({"line_item_unblended_rate": pa.array(["0.0104", "", None]),
                             "line_item_unblended_cost": pa.array([1.04, 0.0, 0.0])})
    table = prepare_legacy_batch(batch, "2026-09", "s3://b/cur.parquet", 65_537)
    assert table["line_item_unblended_rate"].to_pylist() == [0.0104, None, None]
    bad = pa.record_batch({"line_item_unblended_rate": pa.array(["0.0104", "N/A"])})
    with pytest.raises(CurInputError, match=r"^CUR data file s3://b/cur.parquet: column line_item_unblended_rate "
                                            r"row 65538 is 'N/A', expected a number$"):
        prepare_legacy_batch(bad, "2026-09", "s3://b/cur.parquet", 65_537)


def test_a_new_column_in_a_later_legacy_month_loads_without_breaking_earlier_months(s3_server, aws_airflow,
                                                                                      monkeypatch):
    import pyarrow as pa

    from standins.sample_data.aws import write_legacy_period

    monkeypatch.setenv("AIRFLOW_VAR_AWS_COSTS_CONFIG",
                       json.dumps({"bucket": aws_airflow.bucket, "prefix": "legacy", "export_name": "cur"}))
    client = s3_server.client()
    august = generate_cur2_month("2026-08", 400)
    write_legacy_period(client, aws_airflow.bucket, "legacy", "cur", "2026-08", august)
    aws_loader.load(request_for("aws_costs", run_date=date(2026, 8, 31))).rows_by_period()
    september = generate_cur2_month("2026-09", 400)
    september = september.append_column("product_instance_family", pa.array(["general purpose"] * 400))
    write_legacy_period(client, aws_airflow.bucket, "legacy", "cur", "2026-09", september)
    aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period()
    assert sql_totals() == {"2026-08": expected(august), "2026-09": expected(september)}
    _, rows = transform.query("SELECT billing_period, countIf(product_instance_family = 'general purpose') "
                               "FROM finops.stg_aws__cur_line_items GROUP BY 1 ORDER BY 1")
    assert rows == [("2026-08", 0), ("2026-09", 400)]


# ------------------------------------------------------------- a delivery is checked before it replaces a period
def _raw_totals(data_dir) -> dict:
    from tests.helpers.aws_cur import aws_period_totals

    return aws_period_totals(data_dir)


def _without(table, *names):
    return table.drop_columns(list(names))


def _with_value(table, name, row, value):
    import pyarrow as pa

    values = table[name].to_pylist()
    values[row] = value
    return table.set_column(table.schema.get_field_index(name), name, pa.array(values, table.schema.field(name).type))


BAD_DELIVERIES = {
    "no cost column": (lambda t: _without(t, "line_item_unblended_cost"),
                       r"{key}: required column line_item_unblended_cost is missing"),
    "no type and usage start columns": (
        lambda t: _without(t, "line_item_line_item_type", "line_item_usage_start_date"),
        r"{key}: required column line_item_line_item_type is missing"),
    "a NaN cost": (lambda t: _with_value(t, "line_item_unblended_cost", 7, float("nan")),
                   r"{key}: column line_item_unblended_cost row 8 is nan, expected a finite number"),
    "an infinite amount": (lambda t: _with_value(t, "line_item_usage_amount", 0, float("inf")),
                           r"{key}: column line_item_usage_amount row 1 is inf, expected a finite number"),
    "a usage date of another month": (
        lambda t: _with_value(t, "line_item_usage_start_date", 11, datetime(2026, 7, 3, tzinfo=UTC)),
        r"{key}: column line_item_usage_start_date row 12 is 2026-07-03 00:00:00\+00:00, outside billing period "
        r"2026-09"),
    "an empty usage date": (lambda t: _with_value(t, "line_item_usage_start_date", 4, None),
                            r"{key}: column line_item_usage_start_date row 5 is empty"),
    "a rate that is not a number": (
        lambda t: _with_value(_as_aws_text(t, "pricing_public_on_demand_rate"), "pricing_public_on_demand_rate", 6,
                              "0.0104 USD"),
        r"{key}: column pricing_public_on_demand_rate row 7 is '0.0104 USD', expected a number"),
}


@pytest.mark.parametrize("case", sorted(BAD_DELIVERIES))
def test_a_bad_delivery_is_rejected_naming_object_column_and_row_and_the_period_keeps_its_data(
        case, s3_server, aws_airflow, local_data):
    client = s3_server.client()
    good = generate_cur2_month("2026-09", 400)
    write_cur2_period(client, aws_airflow, "2026-09", good)
    aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period()
    before = _raw_totals(local_data)
    assert before == {"2026-09": expected(good)}

    mutate, message = BAD_DELIVERIES[case]
    keys = write_cur2_period(client, aws_airflow, "2026-09", mutate(generate_cur2_month("2026-09", 400, seed=8)))
    with pytest.raises(LoadError, match=message.format(key=f"s3://{aws_airflow.bucket}/{keys[0]}")):
        aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period()
    assert _raw_totals(local_data) == before


def test_a_manifest_listing_a_file_twice_is_rejected(s3_server, aws_airflow, local_data):
    client = s3_server.client()
    good = generate_cur2_month("2026-09", 600)
    write_cur2_period(client, aws_airflow, "2026-09", good, rows_per_file=300)
    aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period()

    keys = write_cur2_period(client, aws_airflow, "2026-09", generate_cur2_month("2026-09", 600, seed=3),
                             rows_per_file=300)
    manifest_key = aws_airflow.manifest_key("2026-09")
    manifest = json.loads(client.get_object(Bucket=aws_airflow.bucket, Key=manifest_key)["Body"].read())
    manifest["dataFiles"].append(manifest["dataFiles"][0])
    client.put_object(Bucket=aws_airflow.bucket, Key=manifest_key, Body=json.dumps(manifest).encode())
    with pytest.raises(LoadError, match=f"manifest s3://{aws_airflow.bucket}/{manifest_key} lists data file "
                                        f"s3://{aws_airflow.bucket}/{keys[0]} more than once"):
        aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period()
    assert _raw_totals(local_data) == {"2026-09": expected(good)}


def test_rows_at_the_period_bounds_and_earlier_refunds_are_accepted(s3_server, aws_airflow, local_data):
    """Tax and fee rows stamped at the end of the period, and refunds or credits of earlier usage,
    are part of a valid delivery."""
    table = generate_cur2_month("2026-09", 300)
    table = _with_value(table, "line_item_usage_start_date", 0, datetime(2026, 10, 1, tzinfo=UTC))
    table = _with_value(table, "line_item_line_item_type", 1, "Refund")
    table = _with_value(table, "line_item_usage_start_date", 1, datetime(2026, 6, 15, tzinfo=UTC))
    write_cur2_period(s3_server.client(), aws_airflow, "2026-09", table)
    assert aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30))).rows_by_period() == {"2026-09": 300}
    assert _raw_totals(local_data) == {"2026-09": expected(table)}
