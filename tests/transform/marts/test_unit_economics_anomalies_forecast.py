"""FX conversion and unit economics, anomaly flags, month-end forecast."""

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

import pytest

from include.reconciliation import run_checks
from include.transform import SqlConfigError
from tests.helpers.transform import one, q, run
from tests.transform.raw import (
    aws_focus_row,
    aws_focus_table,
    aws_line,
    azure_rows,
    gcp_row,
    write_aws_focus_period,
    write_aws_period,
    write_azure_month,
    write_gcp_rows,
    write_stripe,
)

D = Decimal
FX = {"fx_rates": [
    {"month": "2026-09", "currency": "EUR", "rate_to_usd": "1.25"},
    {"month": "2026-07", "currency": "PLN", "rate_to_usd": "0.25"},  # no September rate: flagged, not filled
]}


def unit_economics_data(data_dir):
    write_aws_period(data_dir, "2026-09", [aws_line("2026-09", "Usage", 200.0)])
    write_gcp_rows(data_dir, [gcp_row("2026-09", 110.0, [("PROMOTION", -10.0)], currency="EUR")])
    write_stripe(
        data_dir,
        [
            {"id": "txn_1", "amount": 100_000, "fee": 3_000, "currency": "eur", "created": date(2026, 9, 3)},
            {"id": "txn_2", "amount": 50_000, "currency": "usd", "created": date(2026, 9, 4)},
            {"id": "txn_3", "amount": 10_000, "currency": "pln", "created": date(2026, 9, 5)},
            {"id": "txn_4", "amount": 7_000, "currency": "brl", "created": date(2026, 9, 6)},  # no rate at all
        ],
        [
            {"id": "sub_1", "customer": "cus_1", "currency": "usd", "start": date(2026, 8, 1), "ended": None, "amount": 500},
            {"id": "sub_2", "customer": "cus_2", "currency": "eur", "start": date(2026, 9, 2), "ended": None, "amount": 900},
            {"id": "sub_3", "customer": "cus_3", "currency": "usd", "start": date(2026, 8, 1),
             "ended": date(2026, 9, 10), "amount": 500},
        ],
    )
    for provider in ("aws", "gcp", "stripe"):
        run(provider, config=FX)


def test_fx_conversion_and_unit_economics(data_dir):
    unit_economics_data(data_dir)
    columns = ("reporting_currency", "revenue", "cash_revenue", "stripe_fees", "aws_billed_cost", "gcp_billed_cost", "cloud_billed_cost",
               "cost_of_revenue", "gross_margin", "margin_pct", "active_customers", "paying_customers",
               "cost_per_active_customer", "missing_fx")
    row = dict(zip(columns, q(f"SELECT {', '.join(columns)} FROM finops.unit_economics_monthly "
                              "WHERE month = '2026-09'")[0], strict=True))
    # revenue before fees: 1000 EUR * 1.25 + 500 USD; PLN has only July's rate and BRL none: both left out
    # and flagged, never converted with another month's rate. Fees 30 EUR = 37.50 USD are a cost of revenue.
    assert row == {
        "reporting_currency": "USD", "revenue": D("1750"), "cash_revenue": D("1750"), "stripe_fees": D("37.5"),
        "aws_billed_cost": D("200"), "gcp_billed_cost": D("125"), "cloud_billed_cost": D("325"), "cost_of_revenue": D("362.5"),
        "gross_margin": D("1387.5"), "margin_pct": 79.29, "active_customers": 2, "paying_customers": 2,
        "cost_per_active_customer": D("162.5"), "missing_fx": ["BRL", "PLN"],
    }
    # The per-currency views are not converted.
    assert dict(q("SELECT currency, revenue FROM finops.monthly_margin WHERE month = '2026-09'"))["EUR"] == D("1000")
    assert q("SELECT currency, revenue, stripe_fees, mrr, active_customers, paying_customers "
             "FROM finops.unit_economics_by_currency WHERE month = '2026-09' AND currency IN ('EUR', 'USD') "
             "ORDER BY currency") == [("EUR", D(1000), D(30), D(9), 1, 1), ("USD", D(500), D(0), D(5), 1, 1)]

    run("stripe", config={**FX, "reporting_currency": "EUR"})
    # 1000 + 500 / 1.25 = 1400 EUR; cloud 200 / 1.25 + 100 = 260 EUR
    assert q("SELECT reporting_currency, revenue, cloud_billed_cost FROM finops.unit_economics_monthly WHERE month = '2026-09'") \
        == [("EUR", D("1400"), D("260"))]


def test_gross_margin_counts_fees_as_a_cost_not_netted_from_revenue(data_dir):
    write_aws_period(data_dir, "2026-09", [aws_line("2026-09", "Usage", 50.0)])
    write_stripe(data_dir, [{"id": "txn_1", "amount": 10_000, "fee": 300, "currency": "usd",
                             "created": date(2026, 9, 3)}])
    for provider in ("aws", "stripe"):
        run(provider)
    # (100 - 3 - 50) / 100 = 47 %, not (97 - 50) / 97 = 48.45 %
    assert q("SELECT revenue, stripe_fees, cloud_billed_cost, gross_margin, margin_pct FROM finops.unit_economics_monthly "
             "WHERE month = '2026-09'") == [(D(100), D(3), D(50), D(47), 47.0)]
    assert q("SELECT margin_pct FROM finops.monthly_margin WHERE month = '2026-09'") == [(47.0,)]


def test_fx_and_tag_configuration_is_validated(data_dir):
    with pytest.raises(SqlConfigError, match="not a number"):
        run("aws", config={"fx_rates": [{"month": "2026-09", "currency": "EUR", "rate_to_usd": "abc"}]})
    with pytest.raises(SqlConfigError, match="YYYY-MM"):
        run("aws", config={"fx_rates": [{"month": "Sept", "currency": "EUR", "rate_to_usd": "1"}]})
    with pytest.raises(SqlConfigError, match="ISO 4217"):
        run("aws", config={"reporting_currency": "US Dollar"})
    with pytest.raises(SqlConfigError, match="not a valid column name"):
        run("aws", config={"tag_keys": {"aws": {"team; DROP TABLE x": "user:team"}}})
    with pytest.raises(SqlConfigError, match="YYYY-MM"):
        run("aws", periods=["2026-13"])


def daily_usage(period_days, service: str, cost_of_day, account: str = "111111111111"):
    rows = {}
    for day in period_days:
        period = day.strftime("%Y-%m")
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)  # one line per whole day (daily CUR)
        rows.setdefault(period, []).append(aws_line(
            period, "Usage", cost_of_day(day), day=day.day, line_item_product_code=service,
            line_item_usage_account_id=account, product="{}", line_item_usage_start_date=start,
            line_item_usage_end_date=start + timedelta(days=1)))
    return rows


def test_an_injected_spike_is_flagged_and_normal_days_are_not(data_dir):
    days = [date(2026, 8, 1) + timedelta(days=i) for i in range(61)]  # Aug 1 .. Sep 30
    spike = date(2026, 9, 10)
    ec2 = daily_usage(days, "AmazonEC2", lambda d: 400.0 if d == spike else 100.0 + d.toordinal() % 3)
    s3 = daily_usage(days, "AmazonS3", lambda d: 50.0 + (d.toordinal() % 5) * 0.5)
    # a new service whose first days are large: too little history to judge
    new = daily_usage([date(2026, 9, 20) + timedelta(days=i) for i in range(5)], "AmazonBedrock", lambda d: 900.0)
    for period in ("2026-08", "2026-09"):
        write_aws_period(data_dir, period, ec2[period] + s3[period] + new.get(period, []))
    run("aws")

    flagged = q("SELECT usage_date, service_name, actual_cost, expected_cost, jump, history_days "
                "FROM finops.cost_anomalies")
    before = [100.0 + (spike - timedelta(days=i)).toordinal() % 3 for i in range(1, 15)]
    expected = D(str(sum(before))) / 14
    assert len(flagged) == 1, flagged
    usage_date, service, actual, expected_cost, jump, history = flagged[0]
    assert (usage_date, service, actual, history) == (spike, "AmazonEC2", D("400"), 40)
    assert expected_cost == pytest.approx(expected, abs=D("0.0000001"))
    assert jump == actual - expected_cost

    # thresholds come from the configuration
    run("aws", config={"anomaly": {"min_abs_change": 1_000}})
    assert q("SELECT count() FROM finops.cost_anomalies") == [(0,)]


def test_forecast_of_a_linear_month(data_dir):
    days = [date(2026, 9, 1) + timedelta(days=i) for i in range(15)]  # September, as of the 15th
    linear = daily_usage(days, "AmazonEC2", lambda d: 10.0 + 2 * d.day)["2026-09"]
    flat = daily_usage(days, "AmazonS3", lambda d: 7.0)["2026-09"]
    tax = [aws_line("2026-09", "Tax", 5.0, line_item_product_code="AmazonEC2", product="{}")]
    write_aws_period(data_dir, "2026-09", linear + flat + tax)
    run("aws")
    got = {r[0]: r[1:] for r in q(
        "SELECT service_name, as_of_date, elapsed_days, days_in_month, cost_to_date, run_rate_forecast, "
        "trend_forecast, forecast, daily_trend FROM finops.cost_forecast WHERE month = '2026-09'")}
    # EC2: 10 + 2d for d = 1..15 so far (390) plus 5 tax; a month of the line is sum(10 + 2d, d = 1..30) = 1230
    as_of, elapsed, days_in_month, to_date, run_rate, trend, forecast, slope = got["AmazonEC2"]
    assert (as_of, elapsed, days_in_month, to_date) == (date(2026, 9, 15), 15, 30, D("395"))
    assert run_rate == D("785")  # 390 / 15 * 30 + 5
    assert trend == pytest.approx(D("1235"), abs=D("0.000001"))
    assert forecast == trend and slope == 2
    assert got["AmazonS3"][4:7] == (D("210"), D("210"), D("210"))
    with_config = {"forecast": {"min_trend_days": 20}}
    run("aws", config=with_config)
    assert one("SELECT forecast FROM finops.cost_forecast WHERE service_name = 'AmazonEC2'") == D("785")


def test_forecast_counts_a_partial_day_as_partial_projects_recurring_credits_and_fees_not_lump_sums(data_dir):
    days = [date(2026, 9, 1) + timedelta(days=i) for i in range(14)]  # 14 whole days ...
    usage = daily_usage(days, "AmazonEC2", lambda d: 100.0)["2026-09"]
    # ... and the first 12 hours of the 15th, hourly (the current day as a CUR delivery has it)
    for hour in range(12):
        start = datetime(2026, 9, 15, hour, tzinfo=UTC)
        usage.append(aws_line("2026-09", "Usage", 4.0, line_item_product_code="AmazonEC2", product="{}",
                              line_item_usage_start_date=start, line_item_usage_end_date=start + timedelta(hours=1)))
    credits = [aws_line("2026-09", "Credit", -10.0, line_item_product_code="AmazonEC2", product="{}",
                        line_item_usage_start_date=datetime(2026, 9, d.day, tzinfo=UTC),
                        line_item_usage_end_date=datetime(2026, 9, d.day, tzinfo=UTC) + timedelta(days=1)) for d in days]
    ri_fee = [aws_line("2026-09", "RIFee", 300.0, line_item_product_code="AmazonEC2", product="{}",
                       line_item_usage_start_date=datetime(2026, 9, 1, tzinfo=UTC),
                       line_item_usage_end_date=datetime(2026, 10, 1, tzinfo=UTC),
                       reservation_unused_recurring_fee=300.0, reservation_reservation_a_r_n="arn:ri")]
    write_aws_period(data_dir, "2026-09", usage + credits + ri_fee)
    run("aws")
    as_of, elapsed, to_date, run_rate = q(
        "SELECT as_of_date, elapsed_days, cost_to_date, run_rate_forecast FROM finops.cost_forecast "
        "WHERE month = '2026-09'")[0]
    assert (as_of, elapsed) == (date(2026, 9, 15), 14.5)  # not 15 full days
    assert to_date == D("1448") - D("140") + D("300")
    # usage and the daily credit are projected over 14.5 days; the RI fee of the month is counted once
    # (exact: Decimal, truncated at 10 decimals)
    projected = D("1448") - D("140")
    assert run_rate == to_date + (projected * D("15.5") / D("14.5")).quantize(D("1e-10"), rounding=ROUND_DOWN)


def test_a_commitment_fee_beside_usage_of_the_same_service_and_charge_type_is_counted_once(data_dir):
    """GCP's regular rows are Usage, and Purchase for a commitment fee: two charge categories of one charge type
    (Compute Engine, regular) are two series, and each cost counts once in the month to date."""
    usage = [gcp_row("2026-09", 10.0, [("COMMITTED_USAGE_DISCOUNT", -4.0)], day=day) for day in range(1, 11)]
    fee = gcp_row("2026-09", 120.0, day=1, sku_description="Commitment v1: Cpu in Americas for 1 Year",
                  usage_start_time=datetime(2026, 9, 1, 7, tzinfo=UTC), usage_end_time=datetime(2026, 10, 1, 7, tzinfo=UTC))
    write_gcp_rows(data_dir, usage + [fee])
    run("gcp")
    to_date, run_rate = q("SELECT cost_to_date, run_rate_forecast FROM finops.cost_forecast WHERE month = '2026-09' "
                          "AND service_name = 'Compute Engine'")[0]
    assert to_date == D("180")  # 10 days of 10 - 4, and the fee of 120
    # as of the 10th, 06:00 (9.25 days): the usage is projected over the other 20.75 days, the fee is not
    assert run_rate == to_date + (D("60") * D("20.75") / D("9.25")).quantize(D("1e-10"), rounding=ROUND_DOWN)
    assert run_checks("marts")["failed"] == 0


def test_monthly_postings_are_not_flagged_every_month_and_thresholds_are_in_the_reporting_currency(data_dir):
    days = [date(2026, 7, 1) + timedelta(days=i) for i in range(92)]  # July .. September
    # a monthly usage fee posted on the 1st (hosted zones, licences): the same 500 every month
    monthly = daily_usage([d for d in days if d.day == 1], "AmazonRoute53", lambda d: 500.0)
    # a JPY series whose spike is 900 JPY: about 6 USD, under the 10 (reporting currency) minimum
    yen = daily_usage(days, "AmazonS3", lambda d: 1800.0 if d == date(2026, 9, 10) else 900.0 + d.toordinal() % 3)
    for rows in yen.values():
        for row in rows:
            row["line_item_currency_code"] = "JPY"
    # and a real jump of the monthly fee in September
    for period in ("2026-07", "2026-08", "2026-09"):
        write_aws_period(data_dir, period, monthly[period] + yen[period])
    fx = {"fx_rates": [{"month": "2026-07", "currency": "JPY", "rate_to_usd": "0.0067"}]}
    run("aws", config=fx)
    assert q("SELECT usage_date, service_name FROM finops.cost_anomalies") == []

    # the JPY spike counts once the threshold is met in USD: a jump of about 890 JPY = 5.9 USD >= 5
    run("aws", config={**fx, "anomaly": {"min_abs_change": 5}})
    assert q("SELECT usage_date, service_name, currency FROM finops.cost_anomalies") == [
        (date(2026, 9, 10), "AmazonS3", "JPY")]
    assert D("5") < one("SELECT jump_in_reporting_currency FROM finops.cost_anomalies") < D("7")

    # a monthly fee that doubles is flagged against last month's 1st
    write_aws_period(data_dir, "2026-09", [dict(monthly["2026-09"][0], line_item_unblended_cost=1000.0)]
                     + yen["2026-09"])
    run("aws", config=fx)
    assert q("SELECT usage_date, service_name FROM finops.cost_anomalies") == [(date(2026, 9, 1), "AmazonRoute53")]


def test_a_month_followed_by_later_usage_is_complete_and_its_forecast_is_its_cost(data_dir):
    """Sparse data can end before midnight of the month's last day: once later usage exists the month is over."""
    days = [date(2026, 8, 1) + timedelta(days=i) for i in range(31)]
    august = daily_usage(days, "AmazonEC2", lambda d: 10.0 + d.day)["2026-08"]
    august[-1]["line_item_usage_end_date"] = datetime(2026, 8, 31, 20, tzinfo=UTC)  # no usage after 20:00
    write_aws_period(data_dir, "2026-08", august)
    write_aws_period(data_dir, "2026-09", daily_usage([date(2026, 9, 1)], "AmazonEC2", lambda d: 5.0)["2026-09"])
    run("aws")
    got = q("SELECT elapsed_days, cost_to_date, run_rate_forecast, trend_forecast, forecast FROM finops.cost_forecast "
            "WHERE month = '2026-08'")[0]
    total = D(sum(10 + d.day for d in days))
    assert got == (31.0, total, total, total, total)


def test_an_azure_month_has_a_forecast_too(data_dir):
    """Azure's FOCUS export: its charge periods mark how far the month has run, as the CUR's usage dates do."""
    days = [datetime(2026, 9, 1, tzinfo=UTC) + timedelta(days=i) for i in range(15)]  # as of the 15th
    rows = [{"ChargePeriodStart": day, "ChargePeriodEnd": day + timedelta(days=1), "BilledCost": 10.0 + 2 * day.day,
             "ServiceName": "Virtual Machines"} for day in days]
    # a reservation bought on the 1st: a lump sum counted as is, not projected
    rows.append({"ChargePeriodStart": days[0], "ChargePeriodEnd": days[0] + timedelta(days=1), "BilledCost": 300.0,
                 "ChargeCategory": "Purchase", "ChargeFrequency": "One-Time", "ServiceName": "Virtual Machines"})
    write_azure_month(data_dir, "2026-09", azure_rows("2026-09", rows))
    run("azure")
    got = q("SELECT provider, as_of_date, elapsed_days, days_in_month, cost_to_date, run_rate_forecast, "
            "trend_forecast, forecast, daily_trend FROM finops.cost_forecast WHERE month = '2026-09'")
    assert len(got) == 1
    provider, as_of, elapsed, days_in_month, to_date, run_rate, trend, forecast, slope = got[0]
    # 10 + 2d for d = 1..15 is 390 so far; the month of that line is 1230; the purchase counts once
    assert (provider, as_of, elapsed, days_in_month, to_date) == ("azure", date(2026, 9, 15), 15, 30, D("690"))
    assert run_rate == D("1080")  # 390 / 15 * 30 + 300
    assert trend == pytest.approx(D("1530"), abs=D("0.000001")) and forecast == trend and slope == 2


@pytest.mark.parametrize("export", ["cur", "focus_export"])
def test_an_upfront_purchase_mid_month_is_counted_once_from_the_cur_and_from_the_focus_export(data_dir, export):
    """One bill, delivered as CUR 2.0 or as AWS's FOCUS 1.2 export: usage of 10 a day through the 15th and an RI bought
    all upfront on the 10th for 1,000 (CUR: a Fee line with the reservation ARN; FOCUS: a Purchase row, ChargeFrequency
    One-Time, EffectiveCost 0). The purchase is billed once: billed forecast 10 x 30 + 1,000, whichever input counts."""
    start = datetime(2026, 9, 1, tzinfo=UTC)
    ri = "arn:aws:ec2:us-east-1:999999999999:reserved-instances/ri-upfront"
    days = [(start + timedelta(days=d), start + timedelta(days=d + 1)) for d in range(15)]
    bought, bought_end = start + timedelta(days=9), start + timedelta(days=9, hours=1)
    if export == "cur":
        rows = [aws_line("2026-09", "Usage", 10.0, line_item_usage_start_date=s, line_item_usage_end_date=e)
                for s, e in days]
        rows.append(aws_line("2026-09", "Fee", 1000.0, line_item_usage_start_date=bought,
                             line_item_usage_end_date=bought_end, reservation_reservation_a_r_n=ri))
        write_aws_period(data_dir, "2026-09", rows)
    else:
        rows = [aws_focus_row("2026-09", "Usage", 10.0, ChargePeriodStart=s, ChargePeriodEnd=e) for s, e in days]
        rows.append(aws_focus_row("2026-09", "Purchase", 1000.0, 0.0, ChargePeriodStart=bought,
                                  ChargePeriodEnd=bought_end, CommitmentDiscountId=ri, x_UsageType=""))
        write_aws_focus_period(data_dir, "2026-09", aws_focus_table(rows))
    run("aws")
    assert q("SELECT input FROM finops.int_cloud_cost_inputs WHERE counted = 1") == [(export,)]
    assert q("SELECT as_of_date, elapsed_days, cost_to_date, forecast, billed_cost_to_date, billed_forecast "
             "FROM finops.cost_forecast WHERE provider = 'aws'") == [
        (date(2026, 9, 15), 15.0, D(150), D(300), D(1150), D(1300))]
