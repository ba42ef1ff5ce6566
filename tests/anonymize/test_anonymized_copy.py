"""The anonymized copy: nothing identifying or any amount of the marts is in it, while every relative
figure of the dashboards (shares, margin %, growth, rates) equals the original's."""

from __future__ import annotations

import hashlib
import hmac
import re
from decimal import Decimal

import pytest

from include.anonymize import AnonymizeError, anonymize, derived_factor, hmac_pads, target_database
from include.anonymize.columns import NOT_MONEY
from include.transform.export import dashboard_files
from tests.helpers.anonymize import TEST_KEY
from tests.rill import project as rill

# What identifies the business, chosen independently of include/anonymize/columns.py: (table, column).
IDENTIFYING = [
    ("int_aws__cost_line_items_tagged", c) for c in ("usage_account_id", "usage_account_name", "payer_account_id",
                                          "payer_account_name", "resource_id", "line_item_id", "invoice_id",
                                          "tag_team", "tag_environment")
] + [
    ("int_gcp__cost_line_items_tagged", c) for c in ("billing_account_id", "project_id", "project_name", "project_number",
                                          "resource_name", "row_key", "tag_team", "tag_env", "tag_app")
] + [("int_stripe__customer_mrr", "customer"), ("int_stripe__subscription_mrr", "subscription"),
     ("int_stripe__subscription_mrr", "customer")]
MAP_VALUES = [("int_aws__cost_line_items_tagged", "resource_tags"), ("int_aws__cost_line_items_tagged", "cost_category"),
              ("int_gcp__cost_line_items_tagged", "labels"), ("int_gcp__cost_line_items_tagged", "project_labels")]
SHORT = 5  # shorter values are matched as whole values (and JSON strings) only: "ml" is in "html"
RECORD_IDS = {"line_item_id", "resource_id", "row_key"}  # thousands of values: matched as whole values


def strings(client, sql: str) -> set[str]:
    return {str(v) for (v,) in client.query(sql).result_rows if v not in (None, "")}


def original_identifiers(client) -> tuple[set[str], set[str]]:
    """(every identifying value, those also searched inside longer strings)."""
    values, searched = set(), set()
    for table, column in IDENTIFYING:
        found = strings(client, f"SELECT DISTINCT toString(`{column}`) FROM finops.`{table}`")
        values |= found
        if column not in RECORD_IDS:
            searched |= found
    # a tag value that is part of a public service name ("search" in "Elasticsearch") is kept whole-value only
    public = strings(client, "SELECT DISTINCT service_name FROM finops.fct_cost_daily")
    for table, column in MAP_VALUES:
        found = strings(client, f"SELECT DISTINCT arrayJoin(mapValues(`{column}`)) FROM finops.`{table}`")
        values |= found
        searched |= found
    return values, {n for n in searched if not any(n in name for name in public)}


ATOM = re.compile(r"'((?:[^'\\]|\\.)*)'")


def leaks(client, database: str, tables, needles: tuple[set[str], set[str]]) -> list[str]:
    """`table: value` for every identifying value found in the copy: as a whole value of any column or
    map, inside any string (5 characters or more), or as a JSON string value ("dev")."""
    values, searched = needles
    inside = sorted({n for n in searched if len(n) >= SHORT} | {f'"{n}"' for n in searched if len(n) < SHORT})
    found = set()
    for table in tables:
        rows = client.query(f"SELECT DISTINCT toString(tuple(*)) FROM `{database}`.`{table}`").result_rows
        atoms = {atom for (row,) in rows for atom in ATOM.findall(row)}
        found |= {f"{table}: {v}" for v in atoms & values}
        for start in range(0, len(inside), 200):
            chunk = inside[start:start + 200]
            hits = client.query(f"SELECT DISTINCT toString(tuple(*)) FROM `{database}`.`{table}` "
                                "WHERE multiSearchAny(toString(tuple(*)), {n:Array(String)})", parameters={"n": chunk})
            found |= {f"{table}: {n}" for (row,) in hits.result_rows for n in chunk if contains(row, n)}
    return sorted(found)


def contains(row: str, needle: str) -> bool:
    """`needle` in the row's text; a number (an account id) only where digits do not go on either side, so an
    amount's digits (1333.3333333333) are not taken for account 333333333333."""
    if not needle.isdigit():
        return needle in row
    return re.search(rf"(?<![0-9.]){needle}(?![0-9])", row) is not None


def money_values(client, database: str, table: str) -> set[Decimal]:
    """Every distinct amount of a cent or more (smaller ones have too few digits to tell anything apart)."""
    columns = client.query("SELECT name, type FROM system.columns WHERE database = {d:String} AND table = {t:String}",
                           parameters={"d": database, "t": table}).result_rows
    # every money column's values as text in one array per row: one query per table (a view is planned once)
    parts = [f"arrayMap(x -> toString(x), `{column}`)" if type_.startswith("Array(") else f"[toString(`{column}`)]"
             for column, type_ in columns
             if "Decimal" in type_ and not type_.startswith("Map") and column not in NOT_MONEY]
    if not parts:
        return set()
    rows = client.query(f"SELECT DISTINCT arrayJoin(arrayConcat({', '.join(parts)})) AS v FROM `{database}`.`{table}` "
                        "WHERE v IS NOT NULL").result_rows
    return {value for (text,) in rows if abs(value := Decimal(text)) >= Decimal("0.01")}


# ------------------------------------------------------------------------------ nothing leaks
def test_no_original_identifier_name_or_tag_value_is_in_the_copy(client, anonymized):
    needles = original_identifiers(client)
    assert len(needles[0]) > 10_000 and {"111111111111", "platform", "ml"} <= needles[1]
    assert leaks(client, anonymized["database"], anonymized["tables"], needles) == []
    # the search finds them where they are: whole values, inside JSON, short tag values as JSON strings
    found = leaks(client, "finops", ["int_aws__cost_line_items_tagged", "focus"], needles)
    assert {"int_aws__cost_line_items_tagged: 111111111111", "focus: platform", 'focus: "ml"'} <= set(found)


def test_no_original_amount_is_in_the_copy(client, anonymized):
    checked = 0
    for table in anonymized["tables"]:
        original = money_values(client, "finops", table)
        copied = money_values(client, anonymized["database"], table)
        assert not original & copied, f"{table}: original amounts in the copy: {sorted(original & copied)[:5]}"
        checked += len(original)
    assert checked > 10_000


def test_an_email_anywhere_in_a_row_is_replaced(client, tmp_path):
    """PII the demo does not have: an email as account name, tag value, tag map value and description."""
    client.command("CREATE DATABASE IF NOT EXISTS pii_source")
    client.command("CREATE OR REPLACE TABLE pii_source.int_aws__cost_line_items_tagged ENGINE = MergeTree ORDER BY tuple() "
                   "AS SELECT * FROM finops.int_aws__cost_line_items_tagged LIMIT 20")
    client.command("ALTER TABLE pii_source.int_aws__cost_line_items_tagged UPDATE usage_account_name = 'jane.doe@example.com', "
                   "description = 'owner: jane.doe@example.com', tag_team = 'jane.doe@example.com', "
                   "resource_tags = map('user:owner', 'jane.doe@example.com') WHERE 1 SETTINGS mutations_sync = 1")
    result = anonymize(client, TEST_KEY, {"database": "pii_copy"}, source="pii_source", tables=["int_aws__cost_line_items_tagged"])
    rows = client.query("SELECT toString(tuple(*)) FROM pii_copy.int_aws__cost_line_items_tagged").result_rows
    assert len(rows) == 20 and result["tables"]["int_aws__cost_line_items_tagged"]["description"] == "free text"
    assert not any("@" in row or "jane" in row for (row,) in rows)


# --------------------------------------------------------------------------- never in place
@pytest.mark.parametrize("database", ["finops", "finops_raw", "system", "bad name"])
def test_the_copy_never_goes_into_the_source_or_a_system_database(database):
    with pytest.raises(AnonymizeError, match="own database"):
        target_database({"database": database}, "finops")


def test_the_source_is_untouched(client, anonymized, marts):
    """finops still holds what the SQL layer exported before the copy was made (data/marts parquet)."""
    import duckdb

    for table, column, money in (("int_aws__cost_line_items_tagged", "usage_account_id", "net_unblended_cost"),
                                 ("int_stripe__mrr_monthly", "currency", "mrr"), ("focus", "SubAccountId", "BilledCost")):
        parquet = [str(path) for path in dashboard_files(table, marts["data_dir"])]
        exported = duckdb.sql(f"SELECT count(*), sum({money}), min({column}), max({column}) "
                              f"FROM read_parquet({parquet})").fetchone()
        now = client.query(f"SELECT count(), sum({money}), min({column}), max({column}) FROM finops.{table}").result_rows[0]
        assert tuple(now) == tuple(exported), table


# -------------------------------------------------------------------------- tokens are stable
def test_tokens_are_the_keyed_hmac_and_the_same_in_every_table(client, anonymized):
    db = anonymized["database"]
    account = client.query("SELECT usage_account_id FROM finops.int_aws__cost_daily LIMIT 1").result_rows[0][0]
    expected = "acct_" + hmac.new(TEST_KEY, account.encode(), hashlib.sha256).hexdigest()[:16]
    for table, column in (("int_aws__cost_daily", "usage_account_id"), ("fct_cost_daily", "account_id"),
                          ("int_aws__cost_line_items_tagged", "usage_account_id"), ("focus", "SubAccountId")):
        assert expected in strings(client, f"SELECT DISTINCT toString({column}) FROM {db}.{table}"), (table, column)
    # a join on the tokens gives the original join's result (scaled): per account, fct_cost_daily = int_aws__cost_daily
    joined = client.query(f"SELECT count(), sum(abs(a.c - b.c)) FROM (SELECT usage_account_id AS id, sum(net_unblended_cost) AS c "
                          f"FROM {db}.int_aws__cost_daily GROUP BY id) AS a INNER JOIN (SELECT account_id AS id, sum(billed_cost) AS c "
                          f"FROM {db}.fct_cost_daily WHERE provider = 'aws' GROUP BY id) AS b ON a.id = b.id").result_rows[0]
    original = client.query("SELECT uniqExact(usage_account_id) FROM finops.int_aws__cost_daily").result_rows[0][0]
    assert joined[0] == original and joined[1] < Decimal("0.000001")


def test_another_key_gives_other_tokens_and_factors():
    assert derived_factor(TEST_KEY, "all") != derived_factor(b"another-key-0123456789", "all")
    assert hmac_pads(TEST_KEY) != hmac_pads(b"another-key-0123456789")
    factor = derived_factor(TEST_KEY, "all")
    assert Decimal("0.2") <= factor < Decimal(4) and not Decimal("0.8") <= factor <= Decimal("1.25")


# --------------------------------------------------- the dashboards' relative figures are true
@pytest.fixture
def both(anonymized, marts):
    """The whole Rill project on DuckDB twice: over the original parquet and over the copy's
    (`finops_data_dir` = <data dir>/anonymized, the one setting)."""
    import duckdb

    engines = {}
    for name, data_dir in (("original", marts["data_dir"]), ("copy", marts["data_dir"] / "anonymized")):
        connection = duckdb.connect()
        rill.duckdb_models(connection, data_dir)
        engines[name] = rill.DuckEngine(connection)
    yield engines
    for engine in engines.values():
        engine.connection.close()


@pytest.mark.parametrize("view", sorted(rill.load_project().metrics_views))
def test_every_dashboard_measure_is_scaled_or_unchanged(both, view):
    """Money measures are the original × the factor; counts, ratios (margin %, savings and churn rates,
    shares) equal the original; per month too, so growth is unchanged."""
    factor = float(derived_factor(TEST_KEY, "all"))
    metrics = rill.spec(view)
    original = rill.time_series(both["original"], view, "month")
    copy = rill.time_series(both["copy"], view, "month")
    assert [row[0] for row in original] == [row[0] for row in copy]
    for index, measure in enumerate(metrics["measures"], start=1):
        # money (sums, and money per month or per customer) is shown as currency; counts and ratios are not
        money = measure.get("format_preset", "").startswith("currency")
        for before, after in zip([r[index] for r in original], [r[index] for r in copy], strict=True):
            if before is None:
                assert after is None, measure["name"]
                continue
            expected = float(before) * factor if money else float(before)
            assert float(after) == pytest.approx(expected, rel=1e-6, abs=1e-6), (view, measure["name"])


def test_shares_margin_and_growth_equal_the_originals(both):
    def shares(engine):
        rows = rill.measure_totals(engine, "focus_costs", "service_category")
        total = sum(float(v["effective_cost"]) for v in rows.values())
        return {k: float(v["effective_cost"]) / total for k, v in rows.items()}

    def margin_and_growth(engine):
        months = rill.measure_totals(engine, "unit_economics", "month")
        ordered = [float(months[m]["total_revenue"]) for m in sorted(months)]
        return {m: v["gross_margin_pct"] for m, v in months.items()}, [b / a for a, b in zip(ordered, ordered[1:], strict=False)]

    assert shares(both["copy"]) == pytest.approx(shares(both["original"]), rel=1e-9)
    (margin, growth), (margin_before, growth_before) = margin_and_growth(both["copy"]), margin_and_growth(both["original"])
    assert len(growth) >= 2 and margin == pytest.approx(margin_before, rel=1e-9)
    assert growth == pytest.approx(growth_before, rel=1e-9)


# ------------------------------------------------------------------------------------ options
def test_per_provider_factors_refuse_columns_that_mix_providers(client, anonymized):
    with pytest.raises(AnonymizeError, match=r"unit_economics_monthly\.cloud_billed_cost mixes providers"):
        anonymize(client, TEST_KEY, {"database": "per_provider", "per_provider_factors": True},
                  tables=["unit_economics_monthly"])
    result = anonymize(client, TEST_KEY, {"database": "per_provider", "per_provider_factors": True},
                       tables=["fct_cost_daily", "int_aws__cost_daily"])
    aws = float(derived_factor(TEST_KEY, "aws"))
    gcp = float(derived_factor(TEST_KEY, "gcp"))
    for provider, factor in (("aws", aws), ("gcp", gcp)):
        before = client.query(f"SELECT sum(billed_cost) FROM finops.fct_cost_daily WHERE provider = '{provider}'").result_rows[0][0]
        after = client.query(f"SELECT sum(billed_cost) FROM per_provider.fct_cost_daily WHERE provider = '{provider}'").result_rows[0][0]
        assert float(after) == pytest.approx(float(before) * factor, rel=1e-6)
    assert result["tables"]["int_aws__cost_daily"]["net_unblended_cost"] == "money"


def test_dates_shift_by_whole_years(client):
    anonymize(client, TEST_KEY, {"database": "shifted", "date_shift_years": 3}, tables=["fct_cost_daily", "int_aws__cost_daily"])
    rows = client.query("SELECT o.m, s.m, o.d, s.d FROM (SELECT min(month) AS m, min(usage_date) AS d FROM finops.fct_cost_daily) AS o, "
                        "(SELECT min(month) AS m, min(usage_date) AS d FROM shifted.fct_cost_daily) AS s").result_rows[0]
    assert int(rows[1][:4]) == int(rows[0][:4]) + 3 and rows[1][4:] == rows[0][4:]
    assert rows[3].year == rows[2].year + 3 and (rows[3].month, rows[3].day) == (rows[2].month, rows[2].day)
    daily = {str(d): c for d, c in client.query("SELECT usage_date, count() FROM shifted.int_aws__cost_daily GROUP BY 1").result_rows}
    assert len(daily) == client.query("SELECT uniqExact(usage_date) FROM finops.int_aws__cost_daily").result_rows[0][0]


def test_rerunning_replaces_the_copy(client, anonymized):
    again = anonymize(client, TEST_KEY, {}, tables=["monthly_margin"])
    assert again["database"] == anonymized["database"]
    assert client.query("SELECT count() FROM finops_anonymized.monthly_margin").result_rows == \
        client.query("SELECT count() FROM finops.monthly_margin").result_rows
    assert client.query("SELECT count() FROM system.tables WHERE database = 'finops_anonymized' "
                        "AND name LIKE '%__next'").result_rows[0][0] == 0


def test_a_missing_key_is_a_clear_error(monkeypatch):
    from include.anonymize import secret_key

    monkeypatch.delenv("AIRFLOW_VAR_FINOPS_ANONYMIZE_KEY", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_FINOPS_ANONYMIZE", raising=False)
    with pytest.raises(AnonymizeError, match="finops_anonymize"):
        secret_key()
    monkeypatch.setenv("AIRFLOW_VAR_FINOPS_ANONYMIZE_KEY", "short")
    with pytest.raises(AnonymizeError, match="at least 16 bytes"):
        secret_key()
    monkeypatch.setenv("AIRFLOW_CONN_FINOPS_ANONYMIZE", '{"conn_type": "generic", "password": "a-long-enough-secret-key"}')
    assert secret_key() == b"a-long-enough-secret-key"


def test_a_copy_to_another_server_streams_anonymized_rows_and_never_overwrites_the_source(client, anonymized):
    """`target_conn_id`: the anonymizing query runs on the source, its rows are streamed to the target
    (here the same engine, which also proves the guard: its `finops` is the source itself)."""
    with pytest.raises(AnonymizeError, match="own database"):
        anonymize(client, TEST_KEY, {"database": "finops"}, tables=["monthly_margin"], target_client=client)
    anonymize(client, TEST_KEY, {"database": "streamed"}, tables=["int_aws__cost_line_items_tagged", "monthly_margin"],
              target_client=client)
    for table in ("int_aws__cost_line_items_tagged", "monthly_margin"):
        same = client.query(f"SELECT count() FROM (SELECT * FROM streamed.{table} EXCEPT SELECT * FROM finops_anonymized.{table})")
        assert same.result_rows[0][0] == 0, table
        assert client.query(f"SELECT count() FROM streamed.{table}").result_rows == \
            client.query(f"SELECT count() FROM finops.{table}").result_rows
