"""Google Cloud's FOCUS export table beside the billing export: loaded through the real load task (bqemulator), and
through the SQL the same bill gives the same BilledCost and EffectiveCost per month as its billing export, counted
once whichever input counts; late rows of an old month (Delta corrections) are picked up incrementally."""

import copy
import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from google.cloud import bigquery

from include import transform
from include.loaders import gcp as gcp_loader
from include.pipelines import LoadError, root_cause
from include.reconciliation import run_checks
from include.run_intent import request_for
from include.sources.gcp_billing import BillingExportError
from standins.sample_data.gcp import BILLING_ACCOUNT_ID, DETAILED_TABLE, generate_billing_rows, seed_bigquery
from standins.sample_data.gcp_focus import (
    FOCUS_TABLE,
    focus_row,
    focus_rows,
    focus_schema,
    month_totals,
    seed_focus_table,
)
from tests.helpers.transform import coverage_by_scope, forecast_as_of, utilization_by_commitment

D = Decimal
CENT = D("0.01")
MONTHS = ["2026-08", "2026-09"]
# the `team` label (resource label, else project label; in the FOCUS table's Tags) names the cost center and the customer
TEAM_ALLOCATION = {"allocation": {"version": "v1", "rules": [{"name": "data", "cost_center": "data",
                                                              "match": {"tags": {"team": "data"}}}]},
                   "customers": {"tag": "team", "mapping": {"checkout": "cus_checkout"}}}


def seed(client, dataset: str, rows: list[dict], billing: bool = True, focus: bool = True) -> None:
    if billing:
        seed_bigquery(client, dataset, DETAILED_TABLE, rows)
    if focus:
        seed_focus_table(client, dataset, focus_rows(rows))


def load(client, dataset: str, **params):
    table = f"{client.project}.{dataset}"
    config = {"exports": [{"billing_table": f"{table}.{DETAILED_TABLE}", "export_format": "billing_export"},
                          {"billing_table": f"{table}.{FOCUS_TABLE}", "export_format": "focus"}]}
    return gcp_loader.load(request_for("gcp_costs", run_date=date(2026, 10, 20), params=params or None),
                           config=config, client=client)


def by_month(sql: str) -> dict:
    _, rows = transform.query(sql)
    return {month: tuple(D(v).quantize(CENT) if not isinstance(v, int) else v for v in values)
            for month, *values in rows}


def expected(rows: list[dict]) -> dict:
    return {month: (total.quantize(CENT), total.quantize(CENT)) for month, total in month_totals(rows).items()}


CUD_CREDITS = ("COMMITTED_USAGE_DISCOUNT", "COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE")


def with_commitment_fees(rows: list[dict]) -> list[dict]:
    """The bill plus each month's commitment fees: a resource-based CUD's in the region of a row its credits cover,
    and a spend-based one (the sample bill has the credits, not the fees)."""
    fees = []
    for month in MONTHS:
        covered = next(r for r in rows if r["invoice"]["month"] == month.replace("-", "") and r["location"]["region"]
                       and any(c["type"] == "COMMITTED_USAGE_DISCOUNT" for c in r["credits"]))
        for sku, cost in (("Commitment v1: Cpu in Americas for 1 Year", 41.25),
                          ("Commitment - dollar based v1: GCE for 1 year", 15.5)):
            fee = copy.deepcopy(covered)
            fee.update(cost=cost, cost_at_list=cost, credits=[], labels=[], system_labels=[], resource=None,
                       sku={"description": sku, "id": f"FEE-{len(fees)}"}, usage={"amount": None})
            fees.append(fee)
    return rows + fees


def utilization_by_hand(rows: list[dict]) -> dict[str, tuple]:
    """commitment_utilization_monthly's GCP figures from the export rows: per month and pool (spend-based per billing
    account, resource-based per region), the fees (purchased) and the covered on-demand cost -(CUD credits);
    realized savings = covered - fees; used, unused and utilization unknown; the pool's account and region."""
    pools: dict[tuple, list] = {}
    for row in rows:
        sku, region = row["sku"]["description"], row["location"]["region"] or ""
        types = {c["type"] for c in row["credits"]}
        if sku.startswith("Commitment"):
            spend = "dollar based" in sku
        elif types & set(CUD_CREDITS):
            spend = "COMMITTED_USAGE_DISCOUNT" not in types
        else:
            continue
        pool = f"gcp-cud/{BILLING_ACCOUNT_ID}/" + ("spend-based" if spend else f"resource-based/{region}")
        month = f"{row['invoice']['month'][:4]}-{row['invoice']['month'][4:]}"
        figures = pools.setdefault((month, pool, "" if spend else region), [D(0), D(0)])
        if sku.startswith("Commitment"):
            figures[0] += D(repr(row["cost"]))
        else:
            figures[1] -= sum((D(repr(c["amount"])) for c in row["credits"] if c["type"] in CUD_CREDITS), D(0))
    return {f"{month} {pool} Committed Use Discount": (
        fees.quantize(CENT), None, None, fees.quantize(CENT), covered.quantize(CENT), (covered - fees).quantize(CENT),
        None, BILLING_ACCOUNT_ID, region) for (month, pool, region), (fees, covered) in pools.items()}


def test_the_same_bill_as_billing_export_and_as_focus_table_gives_equal_billed_and_effective_cost(
        bigquery_client, billing_dataset, local_data):
    rows = with_commitment_fees(generate_billing_rows(MONTHS, rows_per_month=160, seed=11, detailed=True))
    seed(bigquery_client, billing_dataset, rows)
    report = load(bigquery_client, billing_dataset)
    assert report.tables == {"billing_export": len(rows), "focus_export": len(rows)}
    transform.run_transformations("gcp")
    want = expected(rows)  # by hand from the charges, independent of both projections
    assert set(want) == set(MONTHS)
    assert by_month("SELECT invoice_month, sum(net_cost), sum(net_cost) FROM finops.int_gcp__cost_line_items "
                    "GROUP BY 1") == want
    assert by_month("SELECT invoice_month, sum(BilledCost), sum(EffectiveCost) FROM finops.int_gcp__focus_line_items "
                    "GROUP BY 1") == want
    _, x_columns = transform.query("SELECT x_columns['x_CostType'], x_columns['x_Labels'], x_columns['x_ExportTime'] "
                                   "FROM finops.int_gcp__focus_line_items WHERE x_columns['x_Labels'] != '[]' LIMIT 1")
    assert x_columns[0][0] in ("regular", "tax", "adjustment") and json.loads(x_columns[0][1])[0]["Key"]
    assert run_checks("gcp")["failed"] == 0

    # counted once: the billing export by default, the FOCUS table when the configuration prefers it
    categories, allocated, tagged, as_of, coverage, utilization, credits = {}, {}, {}, {}, {}, {}, {}
    for preferred, counted_rows in (("billing_export", "int_gcp__cost_line_items"),
                                    ("focus_export", "int_gcp__focus_line_items")):
        transform.run_transformations("marts", config={**TEAM_ALLOCATION, "cost_inputs": {"gcp": preferred}}, export=False)
        assert by_month("SELECT month, sum(billed_cost), sum(effective_cost) FROM finops.int_cloud_cost_daily "
                        "WHERE provider = 'gcp' GROUP BY 1") == want
        assert by_month("SELECT month, sum(billed_cost), sum(billed_cost) FROM finops.monthly_cloud_costs "
                        "WHERE provider = 'gcp' GROUP BY 1") == want
        assert by_month("SELECT x_BillingMonth, sum(BilledCost), sum(EffectiveCost) FROM finops.focus "
                        "WHERE x_Provider = 'gcp' GROUP BY 1") == want
        _, inputs = transform.query("SELECT input, counted FROM finops.int_cloud_cost_inputs "
                                    "WHERE provider = 'gcp' AND month = '2026-09' ORDER BY input")
        assert inputs == [("billing_export", int(preferred == "billing_export")),
                          ("focus_export", int(preferred == "focus_export"))]
        _, line_items = transform.query("SELECT sum(line_items) FROM finops.int_cloud_cost_daily WHERE provider = 'gcp'")
        _, source_rows = transform.query(f"SELECT count() FROM finops.{counted_rows}")
        assert line_items == source_rows
        assert run_checks("marts")["failed"] == 0
        categories[preferred] = by_month("SELECT ServiceCategory, sum(BilledCost) FROM finops.focus "
                                         "WHERE x_Provider = 'gcp' GROUP BY 1")
        # allocation reads the same input: the bill to the cent, the same cost centers and customers either way
        assert by_month("SELECT month, sum(total_cost), sum(total_cost) FROM finops.showback_monthly "
                        "WHERE provider = 'gcp' GROUP BY 1") == want
        allocated[preferred] = by_month("SELECT concat(month, ' ', cost_center, ' ', customer_id), sum(billed_cost) "
                                        "FROM finops.int_cloud_cost_allocated WHERE provider = 'gcp' GROUP BY 1")
        # and so do the tag views: every line once per configured key, with the same tag values either way
        assert by_month("SELECT month, sum(billed_cost), sum(billed_cost) FROM finops.int_cloud_cost_daily_by_tag "
                        "WHERE provider = 'gcp' AND tag_key = 'team' GROUP BY 1") == {m: (b, b) for m, (b, _) in want.items()}
        tagged[preferred] = by_month("SELECT concat(month, ' ', tag_key, ' ', tag_value), sum(billed_cost) "
                                     "FROM finops.int_cloud_cost_by_tag_key WHERE provider = 'gcp' GROUP BY 1")
        # the month-end forecast too: the month's cost to date, as of the same time either way
        assert by_month("SELECT month, sum(cost_to_date), sum(cost_to_date) FROM finops.cost_forecast "
                        "WHERE provider = 'gcp' GROUP BY 1") == want
        as_of[preferred] = forecast_as_of("gcp")
        # and commitment coverage: the same covered and eligible on-demand cost per service, region and family
        coverage[preferred] = coverage_by_scope("gcp")
        # and commitment utilization: the same CUD pools, fees and covered cost from whichever input counts
        utilization[preferred] = utilization_by_commitment("gcp")
        # and the FOCUS rows' credits per type (x_CreditsByType), as the billing export's rows have them
        credits[preferred] = by_month(
            "SELECT concat(x_BillingMonth, ' ', kv.1), sum(kv.2) FROM finops.focus ARRAY JOIN "
            "JSONExtractKeysAndValues(ifNull(x_CreditsByType, '{}'), 'Decimal(38, 10)') AS kv "
            "WHERE x_Provider = 'gcp' GROUP BY 1")
    assert coverage["billing_export"] == coverage["focus_export"]
    assert utilization["billing_export"] == utilization["focus_export"] == utilization_by_hand(rows)
    assert credits["billing_export"] == credits["focus_export"]
    assert {key.split(" ")[1] for key in credits["focus_export"]} >= {"COMMITTED_USAGE_DISCOUNT"}
    assert {key.split(" ")[1].split("/")[2] for key in utilization["focus_export"]} == {"resource-based", "spend-based"}
    assert any(covered > 0 for covered, _ in coverage["focus_export"].values())
    assert any(family != "" for family in (key.split(" ")[-1] for key in coverage["focus_export"]))
    assert as_of["billing_export"] == as_of["focus_export"] and [m for m, *_ in as_of["focus_export"]] == list(MONTHS)
    assert categories["billing_export"] == categories["focus_export"]  # one category per service either way
    assert len(categories["focus_export"]) > 2
    assert allocated["billing_export"] == allocated["focus_export"]
    assert tagged["billing_export"] == tagged["focus_export"] and any(" team data" in key for key in tagged["focus_export"])
    assert {key.split(" ", 1)[1] for key in allocated["focus_export"]} >= {"data data", "unallocated cus_checkout"}

    # the native rows in finops.focus keep Google's x_ columns (the FOCUS table counts after the loop)
    _, native = transform.query(
        "SELECT x_ExportType, x_CorrectionHandling, HostProviderName, x_ProviderColumns, x_Credits "
        "FROM finops.focus WHERE x_Provider = 'gcp' AND x_ProviderColumns LIKE '%COMMITTED_USAGE_DISCOUNT%' LIMIT 1")
    export_type, correction_handling, host, provider_columns, credits = native[0]
    assert (export_type, correction_handling, host) == ("focus", "Delta", "Google Cloud")
    provider_columns = json.loads(provider_columns)
    assert {"x_Credits", "x_ExportTime", "x_Project", "x_ServiceId", "x_CostType"} <= set(provider_columns)
    amounts = [D(credit["Amount"]) for credit in json.loads(provider_columns["x_Credits"])]
    assert amounts and D(credits) == sum(amounts)


def test_late_rows_of_an_old_month_are_loaded_incrementally_and_a_focus_only_month_counts(
        bigquery_client, billing_dataset, local_data):
    rows = generate_billing_rows(MONTHS, rows_per_month=80, seed=12, detailed=True)
    seed(bigquery_client, billing_dataset, rows)
    load(bigquery_client, billing_dataset)
    transform.run_transformations("gcp", periods="changed")

    # A correction of August appended weeks later (Delta): a later export time, in both exports; and a month
    # (October) that only the FOCUS table has.
    newest = max(datetime.fromisoformat(row["export_time"].replace("Z", "+00:00")) for row in rows)
    correction = copy.deepcopy(next(row for row in rows if row["invoice"]["month"] == "202608"))
    correction.update(cost=-12.5, credits=[], cost_type="adjustment", export_time=(newest + timedelta(days=3)).isoformat(),
                      adjustment_info={"id": "adj-1", "description": "usage correction", "mode": "MANUAL_ADJUSTMENT",
                                       "type": "GENERAL_ADJUSTMENT"})
    # and a batch that arrives late but is stamped before the newest one loaded (within lookback_days)
    late_batch = copy.deepcopy(next(row for row in rows if row["invoice"]["month"] == "202609"))
    late_batch.update(cost=3.25, credits=[], export_time=(newest - timedelta(days=1, minutes=-1)).isoformat())
    seed_bigquery(bigquery_client, billing_dataset, DETAILED_TABLE, [correction, late_batch])
    october = generate_billing_rows(["2026-10"], rows_per_month=40, seed=13, detailed=True)
    seed_focus_table(bigquery_client, billing_dataset, focus_rows([correction, late_batch, *october]))
    report = load(bigquery_client, billing_dataset)
    assert report.tables == {"billing_export": 2, "focus_export": 2 + len(october)}
    assert transform.run_transformations("gcp", periods="changed")["periods"] == ["2026-08", "2026-09", "2026-10"]
    transform.run_transformations("marts", config={"cost_inputs": {"gcp": "focus_export"}}, export=False)

    want = expected([*rows, correction, late_batch, *october])
    # every month allocated from the FOCUS table (October has nothing else): showback = the billed cost
    assert by_month("SELECT month, sum(total_cost), sum(total_cost) FROM finops.showback_monthly "
                    "WHERE provider = 'gcp' GROUP BY 1") == want
    assert by_month("SELECT month, sum(billed_cost), sum(billed_cost) FROM finops.monthly_cloud_costs "
                    "WHERE provider = 'gcp' GROUP BY 1") == want
    assert run_checks("marts")["failed"] == 0
    assert by_month("SELECT month, sum(billed_cost), sum(effective_cost) FROM finops.int_cloud_cost_daily "
                    "WHERE provider = 'gcp' GROUP BY 1") == want
    assert by_month("SELECT invoice_month, sum(net_cost), sum(net_cost) FROM finops.int_gcp__cost_line_items "
                    "GROUP BY 1") == {month: want[month] for month in MONTHS}
    _, inputs = transform.query("SELECT month, groupArray(input) FROM finops.int_cloud_cost_inputs "
                                "WHERE provider = 'gcp' AND counted = 1 GROUP BY month ORDER BY month")
    assert inputs == [("2026-08", ["focus_export"]), ("2026-09", ["focus_export"]), ("2026-10", ["focus_export"])]
    # the month-end forecast has every month, October (the FOCUS table's only) included (before, it read the
    # billing export only); August and September are over, so their forecast is their cost
    assert by_month("SELECT month, sum(cost_to_date), sum(cost_to_date) FROM finops.cost_forecast "
                    "WHERE provider = 'gcp' GROUP BY 1") == want
    assert by_month("SELECT month, sum(forecast), sum(forecast) FROM finops.cost_forecast "
                    "WHERE provider = 'gcp' AND month IN ('2026-08', '2026-09') GROUP BY 1") == {
        month: want[month] for month in ("2026-08", "2026-09")}
    _, corrected = transform.query("SELECT ChargeCategory, ChargeClass FROM finops.int_gcp__focus_line_items "
                                   "WHERE BilledCost = -12.5")
    assert corrected == [("Adjustment", "Correction")]
    assert run_checks("gcp")["failed"] == 0
    assert load(bigquery_client, billing_dataset).tables.get("focus_export", 0) == 0  # nothing new: nothing appended


def test_auto_detects_the_focus_table_and_a_wrong_export_format_fails_naming_the_table(
        bigquery_client, billing_dataset, local_data):
    rows = generate_billing_rows(["2026-09"], rows_per_month=20, seed=14, detailed=True)
    seed(bigquery_client, billing_dataset, rows)
    focus_table = f"{bigquery_client.project}.{billing_dataset}.{FOCUS_TABLE}"
    billing_table = f"{bigquery_client.project}.{billing_dataset}.{DETAILED_TABLE}"

    def run(name: str, export_format: str):  # a full read each time, so each run loads the table it picked
        return gcp_loader.load(request_for("gcp_costs", {"full_refresh": True}, run_date=date(2026, 9, 30)),
                               config={"billing_table": name, "export_format": export_format}, client=bigquery_client)

    with pytest.raises(BillingExportError, match=rf"{re.escape(focus_table)} is configured as export_format "
                                                 r"'billing_export' but has the columns of the 'focus' export"):
        run(focus_table, "billing_export")
    with pytest.raises(BillingExportError, match=rf"{re.escape(billing_table)} is configured as export_format 'focus'"):
        run(billing_table, "focus")
    assert list(run(focus_table, "auto").tables) == ["focus_export"]
    # a dataset: the table of the format asked for is found by its name (auto: the billing export)
    dataset = f"{bigquery_client.project}.{billing_dataset}"
    assert list(run(dataset, "focus").tables) == ["focus_export"]
    assert list(run(dataset, "auto").tables) == ["billing_export"]
    with pytest.raises(BillingExportError, match=rf"GCP dataset {re.escape(dataset)}_none has no|not found"):
        run(f"{dataset}_none", "focus")


@pytest.mark.parametrize("case", ["missing_charge_period_end", "text_cost", "empty_account"])
def test_a_bad_focus_table_is_rejected_naming_table_column_and_row(bigquery_client, billing_dataset, local_data, case):
    rows = [focus_row(row) for row in generate_billing_rows(["2026-09"], rows_per_month=10, seed=15, detailed=True)]
    schema = focus_schema()
    bad = rows[3]
    if case == "missing_charge_period_end":
        schema = [field for field in schema if field.name != "ChargePeriodEnd"]
        rows = [{k: v for k, v in row.items() if k != "ChargePeriodEnd"} for row in rows]
        message = r"GCP FOCUS export table .*gcp_billing_export_focus_\w+: required column ChargePeriodEnd is missing"
    elif case == "text_cost":
        schema = [bigquery.SchemaField("BilledCost", "STRING") if field.name == "BilledCost" else field
                  for field in schema]
        for row in rows:
            row["BilledCost"] = None
        bad["BilledCost"] = "12,50 USD"
        message = r"column BilledCost holds text '12,50 USD', not a number, in the row with x_ExportTime .*SubAccountId"
    else:
        bad["BillingAccountId"] = None
        message = r"required column BillingAccountId is empty in the row with x_ExportTime .*SubAccountId"
    table_id = seed_focus_table(bigquery_client, billing_dataset, rows, schema=schema)
    with pytest.raises((BillingExportError, LoadError)) as failure:
        gcp_loader.load(request_for("gcp_costs", run_date=date(2026, 9, 30)),
                        config={"billing_table": table_id, "export_format": "focus"}, client=bigquery_client)
    error = str(failure.value)
    cause = failure.value.__cause__ if isinstance(failure.value, LoadError) else failure.value
    assert isinstance(root_cause(cause), BillingExportError), error
    assert table_id in error and re.search(message, error), error
    if case != "missing_charge_period_end":
        assert f"SubAccountId {bad['SubAccountId']!r}" in error and f"SkuId {bad['SkuId']!r}" in error
    assert not list((local_data / "raw" / "gcp_costs").glob("focus_export/*.parquet"))  # nothing of it written


def test_an_invoice_month_reload_replaces_exactly_that_month_of_the_focus_table(
        bigquery_client, billing_dataset, local_data):
    import pyarrow.parquet as pq

    rows = generate_billing_rows(MONTHS, rows_per_month=60, seed=16, detailed=True)
    table_id = seed_focus_table(bigquery_client, billing_dataset, focus_rows(rows))

    def run(**params):
        return gcp_loader.load(request_for("gcp_costs", params or None, run_date=date(2026, 10, 20)),
                               config={"billing_table": table_id}, client=bigquery_client)

    def raw_rows() -> dict:
        table = pq.read_table(sorted((local_data / "raw" / "gcp_costs" / "focus_export").glob("*.parquet")))
        counts: dict = {}
        for month, key in zip(table["invoice_month"].to_pylist(), table["row_key"].to_pylist(), strict=True):
            counts.setdefault(month, set()).add(key)
        return {month: len(keys) for month, keys in counts.items()}

    run()
    assert raw_rows() == {"202608": sum(r["invoice"]["month"] == "202608" for r in rows),
                          "202609": sum(r["invoice"]["month"] == "202609" for r in rows)}
    bigquery_client.query(f"DELETE FROM `{table_id}` WHERE ChargeCategory = 'Tax' "
                          "AND BillingPeriodStart >= TIMESTAMP '2026-09-01'").result()
    taxes = sum(r["invoice"]["month"] == "202609" and r.get("cost_type") == "tax" for r in rows)
    assert taxes
    run(invoice_months=["202609"])
    assert raw_rows() == {"202608": sum(r["invoice"]["month"] == "202608" for r in rows),
                          "202609": sum(r["invoice"]["month"] == "202609" for r in rows) - taxes}


def test_start_month_keeps_the_focus_table_to_its_billing_periods(bigquery_client, billing_dataset, local_data):
    rows = generate_billing_rows(["2026-09"], rows_per_month=40, seed=15, detailed=True)
    # August's last hour, exported on September 1: not a part of what start_month 2026-09 loads
    august = dict(rows[0], usage_start_time="2026-09-01T05:00:00Z", usage_end_time="2026-09-01T06:00:00Z",
                  export_time="2026-09-01T09:12:00.000000Z", invoice={"month": "202608"})
    seed(bigquery_client, billing_dataset, [*rows, august], billing=False)
    table = f"{bigquery_client.project}.{billing_dataset}.{FOCUS_TABLE}"
    report = gcp_loader.load(request_for("gcp_costs", run_date=date(2026, 10, 20)), client=bigquery_client,
                             config={"billing_table": table, "export_format": "focus", "start_month": "202609"})
    assert report.tables == {"focus_export": len(rows)}  # August's row not among them
