"""AWS's Data Exports FOCUS 1.2 export beside CUR 2.0: detected, loaded through the real load task (S3 stand-in),
and through the SQL the same bill gives the same BilledCost and EffectiveCost per month as its CUR, counted once."""

import re
from datetime import date
from decimal import Decimal

import pyarrow as pa
import pytest

from include import transform
from include.loaders import aws as aws_loader
from include.pipelines import LoadError, root_cause
from include.reconciliation import run_checks
from include.run_intent import request_for
from include.sources.aws_cur import CurInputError
from standins.sample_data.aws import PAYER, PRODUCTS, Cur2Export, write_cur2_period
from standins.sample_data.aws_focus import RI_ARN, SP_ARN, bill_totals, cur2_table, focus_table, generate_charges
from tests.helpers.transform import coverage_by_scope, forecast_as_of, utilization_by_commitment

D = Decimal
CENT = D("0.01")
MONTHS = ("2026-08", "2026-09")
# the `team` tag (CUR resource tag / FOCUS Tags key user:team) names the cost center and the customer
TEAM_ALLOCATION = {"allocation": {"version": "v1", "rules": [{"name": "web", "cost_center": "web",
                                                              "match": {"tags": {"team": "web"}}}]},
                   "customers": {"tag": "team", "mapping": {"web": "cus_web"}}}


def deliver(client, bucket: str, month: str, charges, cur: bool = True, focus: bool = True) -> None:
    if cur:
        write_cur2_period(client, Cur2Export(bucket, "exports", "cur"), month, cur2_table(month, charges))
    if focus:
        write_cur2_period(client, Cur2Export(bucket, "exports", "focus"), month, focus_table(month, charges))


def load(bucket: str, run_day: date = date(2026, 9, 30)):
    config = {"bucket": bucket, "prefix": "exports",
              "exports": [{"export_name": "cur"}, {"export_name": "focus", "export_format": "auto"}]}
    return aws_loader.load(request_for("aws_costs", run_date=run_day), config=config)


def by_month(sql: str) -> dict:
    _, rows = transform.query(sql)
    return {month: tuple(D(v).quantize(CENT) if not isinstance(v, int) else v for v in values)
            for month, *values in rows}


def utilization_by_hand(month: str, charges) -> dict[str, tuple]:
    """commitment_utilization_monthly's figures of a month's Savings Plan and RI, from the charges: purchased, used,
    unused, fees as billed, covered on-demand cost, realized savings (covered on-demand - covered effective cost),
    utilization, payer account and region (the commitments' own lines have none)."""
    figures = {}
    for arn, kind, prefix in ((SP_ARN, "Savings Plan", "sp"), (RI_ARN, "Reserved Instance", "ri")):
        (fee,) = [c for c in charges if c.kind == f"{prefix}_fee"]
        covered = [c for c in charges if c.kind == f"{prefix}_usage"]
        on_demand, effective = sum((c.cost for c in covered), D(0)), sum((c.effective for c in covered), D(0))
        used = fee.commitment - fee.unused
        figures[f"{month} {arn} {kind}"] = (
            *(v.quantize(CENT) for v in (fee.commitment, used, fee.unused, fee.cost, on_demand, on_demand - effective)),
            round(float(used / fee.commitment), 6), PAYER[0], "")
    return figures


def test_the_same_bill_as_cur_and_as_focus_export_gives_equal_billed_and_effective_cost(s3_server, aws_airflow):
    client = s3_server.client()
    charges = {month: generate_charges(month, 300, seed=index) for index, month in enumerate(MONTHS)}
    for month in MONTHS:
        deliver(client, aws_airflow.bucket, month, charges[month])
    report = load(aws_airflow.bucket)
    assert report.tables == {"cur_line_items": sum(cur2_table(m, c).num_rows for m, c in charges.items()),
                             "focus_export": sum(focus_table(m, c).num_rows for m, c in charges.items())}
    transform.run_transformations("aws")

    # by hand from the charges, independent of both projections
    want = {m: (bill_totals(c)["billed"].quantize(CENT), bill_totals(c)["effective"].quantize(CENT))
            for m, c in charges.items()}
    assert all(billed != effective for billed, effective in want.values())  # the SP upfront makes them differ
    assert by_month("SELECT billing_period, sum(net_unblended_cost), sum(net_amortized_cost) "
                    "FROM finops.int_aws__cost_line_items GROUP BY 1") == want
    assert by_month("SELECT billing_period, sum(BilledCost), sum(EffectiveCost) "
                    "FROM finops.int_aws__focus_line_items GROUP BY 1") == want
    assert by_month("SELECT billing_period, sum(BilledCost) FROM finops.int_aws__focus_line_items "
                    "WHERE ChargeCategory = 'Usage' AND CommitmentDiscountStatus = 'Unused' GROUP BY 1") == {
        m: (D(0).quantize(CENT),) for m in MONTHS}
    _, x_columns = transform.query("SELECT x_columns['x_ServiceCode'], x_columns['x_Operation'] "
                                   "FROM finops.int_aws__focus_line_items WHERE ServiceName = 'AmazonS3' LIMIT 1")
    assert x_columns[0][0] == "AmazonS3" and x_columns[0][1] in ("StandardStorage", "PutObject")
    assert run_checks("aws")["failed"] == 0

    # counted once: the CUR by default, the FOCUS export when the configuration prefers it
    allocated, tagged, as_of, coverage, utilization = {}, {}, {}, {}, {}
    for preferred, counted_rows in (("cur", "int_aws__cost_line_items"), ("focus_export", "int_aws__focus_line_items")):
        transform.run_transformations("marts", config={**TEAM_ALLOCATION, "cost_inputs": {"aws": preferred}}, export=False)
        assert by_month("SELECT month, sum(billed_cost), sum(effective_cost) FROM finops.int_cloud_cost_daily "
                        "WHERE provider = 'aws' GROUP BY 1") == want
        assert by_month("SELECT x_BillingMonth, sum(BilledCost), sum(EffectiveCost) FROM finops.focus "
                        "WHERE x_Provider = 'aws' GROUP BY 1") == want
        _, inputs = transform.query("SELECT input, counted FROM finops.int_cloud_cost_inputs "
                                    "WHERE month = '2026-09' ORDER BY input")
        assert inputs == [("cur", int(preferred == "cur")), ("focus_export", int(preferred == "focus_export"))]
        _, rows = transform.query("SELECT sum(line_items) FROM finops.int_cloud_cost_daily WHERE provider = 'aws'")
        _, source_rows = transform.query(f"SELECT count() FROM finops.{counted_rows}")
        assert rows == source_rows
        assert run_checks("marts")["failed"] == 0
        # allocation reads the same input: the bill to the cent, the same cost centers and customers either way
        assert by_month("SELECT month, sum(total_cost), sum(total_cost) FROM finops.showback_monthly "
                        "WHERE provider = 'aws' GROUP BY 1") == {m: (b, b) for m, (b, _) in want.items()}
        assert by_month("SELECT month, sum(allocated_cost), sum(allocated_cost) FROM finops.customer_margin_monthly "
                        "GROUP BY 1") == {m: (b, b) for m, (b, _) in want.items()}
        allocated[preferred] = by_month("SELECT concat(month, ' ', cost_center, ' ', customer_id), sum(billed_cost) "
                                        "FROM finops.int_cloud_cost_allocated WHERE provider = 'aws' GROUP BY 1")
        # and so do the tag views: every line once per configured key, with the same tag values either way
        assert by_month("SELECT month, sum(billed_cost), sum(billed_cost) FROM finops.int_cloud_cost_daily_by_tag "
                        "WHERE provider = 'aws' AND tag_key = 'team' GROUP BY 1") == {m: (b, b) for m, (b, _) in want.items()}
        tagged[preferred] = by_month("SELECT concat(month, ' ', tag_key, ' ', tag_value), sum(billed_cost) "
                                     "FROM finops.int_cloud_cost_by_tag_key WHERE provider = 'aws' GROUP BY 1")
        # the month-end forecast too: the month's cost to date, as of the same time either way; a month with later
        # usage is over, its forecast its cost
        assert by_month("SELECT month, sum(cost_to_date) FROM finops.cost_forecast WHERE provider = 'aws' "
                        "GROUP BY 1") == {m: (e,) for m, (_, e) in want.items()}
        assert by_month("SELECT month, sum(forecast) FROM finops.cost_forecast WHERE provider = 'aws' "
                        "AND month = '2026-08' GROUP BY 1") == {"2026-08": (want["2026-08"][1],)}
        as_of[preferred] = forecast_as_of("aws")
        # and commitment coverage: the same covered and eligible on-demand cost per service, region and family
        coverage[preferred] = coverage_by_scope("aws")
        # and commitment utilization: per Savings Plan / RI and month, from whichever input counts
        utilization[preferred] = utilization_by_commitment("aws")
    assert allocated["cur"] == allocated["focus_export"]
    assert utilization["cur"] == utilization["focus_export"] == {
        key: value for month, month_charges in charges.items() for key, value in utilization_by_hand(month, month_charges).items()}
    assert all(0 < figures[6] < 1 for figures in utilization["cur"].values())  # both left some commitment unused
    assert coverage["cur"] == coverage["focus_export"]
    # by hand: covered = the on-demand cost of the usage a Savings Plan or RI covered; eligible adds the on-demand
    # instance hours, database instances and Lambda GB-seconds (not storage, requests or data transfer)
    eligible = ("BoxUsage", "InstanceUsage", "Lambda-GB-Second")
    want_coverage = {}
    for month, month_charges in charges.items():
        covered = sum((c.cost for c in month_charges if c.kind in ("sp_usage", "ri_usage")), D(0))
        on_demand = sum((c.cost for c in month_charges if c.kind == "usage"
                         and PRODUCTS[c.product][1].startswith(eligible)), D(0))
        want_coverage[month] = (covered.quantize(CENT), (covered + on_demand).quantize(CENT))
    # (the FOCUS export counts now: the loop's last configuration)
    assert by_month("SELECT month, sum(covered_on_demand_cost), sum(eligible_on_demand_cost) "
                    "FROM finops.commitment_coverage_monthly WHERE provider = 'aws' GROUP BY 1") == want_coverage
    assert any(covered > 0 for covered, _ in coverage["focus_export"].values())
    assert any(family != "" for family in (key.split(" ")[-1] for key in coverage["focus_export"]))
    assert as_of["cur"] == as_of["focus_export"] and [month for month, *_ in as_of["cur"]] == list(MONTHS)
    assert tagged["cur"] == tagged["focus_export"] and any(" team web" in key for key in tagged["cur"])
    assert {key.split()[1:] == ["web", "cus_web"] for key in allocated["cur"]} == {True, False}  # tagged and not


def test_an_account_month_only_the_focus_export_has_is_counted_from_it(s3_server, aws_airflow):
    client = s3_server.client()
    august, september = generate_charges("2026-08", 120, seed=3), generate_charges("2026-09", 150, seed=4)
    deliver(client, aws_airflow.bucket, "2026-08", august, cur=False)  # August: FOCUS only
    deliver(client, aws_airflow.bucket, "2026-09", september)
    load(aws_airflow.bucket)
    transform.run_transformations("aws")
    transform.run_transformations("marts", config=TEAM_ALLOCATION, export=False)
    bill = {"2026-08": (bill_totals(august)["billed"].quantize(CENT),),
            "2026-09": (bill_totals(september)["billed"].quantize(CENT),)}
    assert by_month("SELECT month, sum(billed_cost) FROM finops.int_cloud_cost_daily WHERE provider = 'aws' GROUP BY 1") \
        == bill
    _, inputs = transform.query("SELECT month, input FROM finops.int_cloud_cost_inputs WHERE counted = 1 ORDER BY month")
    assert inputs == [("2026-08", "focus_export"), ("2026-09", "cur")]
    # allocation reads the input that counts: August from the FOCUS export, September from the CUR, each once
    assert run_checks("marts")["failed"] == 0
    assert by_month("SELECT month, sum(total_cost) FROM finops.showback_monthly WHERE provider = 'aws' GROUP BY 1") == bill
    assert by_month("SELECT month, sum(allocated_cost) FROM finops.customer_margin_monthly GROUP BY 1") == bill
    # the forecast and commitment coverage have August too (before, they read the CUR only): August is over
    # (September has usage), so its forecast is its effective cost; its Savings Plan covered usage is counted
    assert by_month("SELECT month, sum(forecast) FROM finops.cost_forecast WHERE provider = 'aws' AND month = '2026-08' "
                    "GROUP BY 1") == {"2026-08": (bill_totals(august)["effective"].quantize(CENT),)}
    covered = sum((c.cost for c in august if c.kind in ("sp_usage", "ri_usage")), D(0)).quantize(CENT)
    assert by_month("SELECT month, sum(covered_on_demand_cost) FROM finops.commitment_coverage_monthly "
                    "WHERE provider = 'aws' GROUP BY 1")["2026-08"] == (covered,)
    # and commitment utilization: August's from the FOCUS export, September's from the CUR
    assert utilization_by_commitment("aws") == {**utilization_by_hand("2026-08", august),
                                                **utilization_by_hand("2026-09", september)}


def test_a_redelivered_focus_month_replaces_it_and_changed_builds_see_it(s3_server, aws_airflow):
    client = s3_server.client()
    deliver(client, aws_airflow.bucket, "2026-08", generate_charges("2026-08", 50, seed=4))
    deliver(client, aws_airflow.bucket, "2026-09", generate_charges("2026-09", 100, seed=5), cur=False)
    load(aws_airflow.bucket)
    transform.run_transformations("aws", periods="changed")
    restated = generate_charges("2026-09", 140, seed=6)
    deliver(client, aws_airflow.bucket, "2026-09", restated, cur=False)
    load(aws_airflow.bucket, run_day=date(2026, 10, 1))
    built = transform.run_transformations("aws", periods="changed")
    assert built["periods"] == ["2026-09"]
    assert by_month("SELECT billing_period, count(), sum(BilledCost) FROM finops.int_aws__focus_line_items "
                    "WHERE billing_period = '2026-09' GROUP BY 1") \
        == {"2026-09": (focus_table("2026-09", restated).num_rows, bill_totals(restated)["billed"].quantize(CENT))}
    assert run_checks("aws")["failed"] == 0


def test_auto_detects_focus_and_a_wrong_export_format_fails_naming_the_export(s3_server, aws_airflow):
    client = s3_server.client()
    deliver(client, aws_airflow.bucket, "2026-09", generate_charges("2026-09", 20), cur=False)
    config = {"bucket": aws_airflow.bucket, "prefix": "exports", "export_name": "focus", "export_format": "cur2"}
    with pytest.raises(CurInputError, match=r"exports/focus/ is configured as 'cur2' but .* 'focus' export"):
        aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30)), config=config)
    report = aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30)), config={**config, "export_format": "auto"})
    assert list(report.tables) == ["focus_export"]


@pytest.mark.parametrize("case", ["missing_charge_period_end", "text_cost", "other_period", "empty_account"])
def test_a_bad_focus_file_is_rejected_naming_file_column_and_row(s3_server, aws_airflow, case):
    client = s3_server.client()
    table = focus_table("2026-09", generate_charges("2026-09", 20))
    if case == "missing_charge_period_end":
        table, message = table.drop_columns(["ChargePeriodEnd"]), r"required column ChargePeriodEnd is missing"
    elif case == "text_cost":
        index = table.schema.get_field_index("EffectiveCost")
        # number text is read as the number; other text is bad input
        table = table.set_column(index, "EffectiveCost", pa.array(["1.5"] * 3 + ["1.5 USD"] * (table.num_rows - 3)))
        message = r"column EffectiveCost row 4 is '1.5 USD', expected a number"
    elif case == "other_period":
        index = table.schema.get_field_index("BillingPeriodStart")
        values = table["BillingPeriodStart"].to_pylist()
        values[4] = values[4].replace(month=8)
        table = table.set_column(index, "BillingPeriodStart", pa.array(values, table.schema.field(index).type))
        message = r"column BillingPeriodStart row 5 is 2026-08-01 .* not billing period 2026-09"
    else:
        index = table.schema.get_field_index("BillingAccountId")
        values = table["BillingAccountId"].to_pylist()
        values[2] = None
        table = table.set_column(index, "BillingAccountId", pa.array(values, pa.string()))
        message = r"column BillingAccountId row 3 is empty"
    write_cur2_period(client, Cur2Export(aws_airflow.bucket, "exports", "focus"), "2026-09", table)
    config = {"bucket": aws_airflow.bucket, "prefix": "exports", "export_name": "focus", "export_format": "focus"}
    with pytest.raises(LoadError) as failure:
        aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 30)), config=config)
    assert isinstance(root_cause(failure.value.__cause__), CurInputError)
    error = str(failure.value)
    assert "FOCUS data file s3://" in error and "focus-00001.snappy.parquet" in error
    assert re.search(message, error), error
