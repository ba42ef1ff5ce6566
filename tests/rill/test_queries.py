"""Every query of the Rill project runs, on both engines, and gives the SQL layer's numbers.

The data is the demo's, produced by the real load tasks and SQL layer (conftest.rill_data). On DuckDB
the models read the parquet export of the marts (local mode); on ClickHouse (chdb) they are views over
the `finops` tables (production mode). Each metrics view's dimensions and measures are run the way
Rill queries them: `SELECT <dimension>, <every measure> FROM <model> GROUP BY 1`.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from tests.rill import project as rill

PROJECT = rill.load_project()
CENT = Decimal("0.01")
VIEWS = sorted(PROJECT.metrics_views)
TIME_TYPES = ("DATE", "TIMESTAMP", "Date", "DateTime")
NUMERIC_TYPES = (int, float, Decimal)


def cents(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def sql_layer(clickhouse, sql: str) -> list[tuple]:
    """A query on the SQL layer's own tables (database finops), for the expected numbers."""
    return clickhouse.rows(sql)


# ------------------------------------------------------------------------------------ structure
@pytest.mark.parametrize("name", sorted(PROJECT.models))
def test_every_model_runs_and_returns_rows(engine, name):
    assert engine.rows(f"SELECT count(*) FROM {engine.table(name)}")[0][0] > 0


@pytest.mark.parametrize("view", VIEWS)
def test_model_timeseries_and_dimension_columns_exist(engine, view):
    metrics = rill.spec(view)
    columns = engine.columns(metrics["model"])
    assert columns[metrics["timeseries"]].startswith(TIME_TYPES), columns[metrics["timeseries"]]
    for dimension in metrics["dimensions"]:
        if dimension.get("column"):
            assert dimension["column"] in columns, f"{view}: no column {dimension['column']!r}"
    # ClickHouse resolves aliases everywhere in a query: `sum(cost) AS cost` fails there
    # ("aggregate function found inside another aggregate function"), so names must not shadow columns.
    lower = {c.lower() for c in columns}
    for field in [m for m in metrics["measures"]] + [d for d in metrics["dimensions"] if d.get("expression")]:
        assert field["name"].lower() not in lower, f"{view}: {field['name']!r} shadows a column of the model"


# ----------------------------------------------------------------------- dimensions x measures
@pytest.mark.parametrize("view", VIEWS)
def test_every_dimension_and_measure_runs_and_is_numeric(engine, view):
    metrics = rill.spec(view)
    totals = rill.measure_totals(engine, view)[None]
    for measure in metrics["measures"]:
        value = totals[measure["name"]]
        if value is None:
            assert rill.is_ratio(measure), f"{view}.{measure['name']} is empty on {engine.name}"
        else:
            assert isinstance(value, NUMERIC_TYPES) and not isinstance(value, bool), (measure["name"], value)
    timeseries = metrics["timeseries"]
    span = engine.rows(f"SELECT min({rill.quote(timeseries)}), max({rill.quote(timeseries)}) "
                       f"FROM {engine.table(metrics['model'])}")[0]
    assert span[0] is not None and span[0] <= span[1]
    for dimension in metrics["dimensions"]:
        grouped = rill.measure_totals(engine, view, by=dimension["name"])
        assert grouped, f"{view}: no rows grouped by {dimension['name']}"
        for values in grouped.values():
            for measure in metrics["measures"]:
                value = values[measure["name"]]
                assert value is None and rill.is_ratio(measure) or isinstance(value, NUMERIC_TYPES), (
                    f"{view}.{measure['name']} by {dimension['name']}: {value!r} on {engine.name}"
                )


@pytest.mark.parametrize("view", VIEWS)
def test_time_series_at_every_grain_agree_across_engines(duck, clickhouse, view):
    """The line charts: each grain from smallest_time_grain up, with Rill's bucket SQL, same on both engines."""
    metrics = rill.spec(view)
    grains = rill.GRAINS[rill.GRAINS.index(metrics["smallest_time_grain"]):]
    names = [m["name"] for m in metrics["measures"]]
    for grain in grains:
        raw = rill.time_series(duck, view, grain)
        on_duck = [tuple(rill.normalize(v) for v in row) for row in raw]
        on_clickhouse = [tuple(rill.normalize(v) for v in row) for row in rill.time_series(clickhouse, view, grain)]
        assert on_duck, f"{view}: no time series at {grain}"
        assert on_duck == on_clickhouse, f"{view} at {grain}"
        totals = rill.measure_totals(duck, view)[None]
        for index, name in enumerate(names, start=1):
            if isinstance(totals[name], Decimal):  # sums of money: the buckets add up to the total, exactly
                assert sum(row[index] for row in raw) == totals[name], (grain, name)


@pytest.mark.parametrize("view", VIEWS)
def test_money_measures_are_exact_decimals_with_currency_format(duck, clickhouse, view):
    """A sum of money stays Decimal on both engines and is shown as currency."""
    metrics = rill.spec(view)
    on_duck, on_clickhouse = rill.measure_totals(duck, view)[None], rill.measure_totals(clickhouse, view)[None]
    for measure in metrics["measures"]:
        if isinstance(on_duck[measure["name"]], Decimal):
            assert isinstance(on_clickhouse[measure["name"]], Decimal), measure["name"]
            assert measure.get("format_preset", "").startswith("currency_"), f"{view}.{measure['name']} is money"


@pytest.mark.parametrize("view", VIEWS)
def test_both_engines_give_the_same_numbers(duck, clickhouse, view):
    """The definitions do not drift: every measure by every dimension is equal on DuckDB and ClickHouse."""
    metrics = rill.spec(view)
    for by in [None] + [d["name"] for d in metrics["dimensions"]]:
        on_duck = {rill.normalize(k): {m: rill.normalize(v) for m, v in values.items()}
                   for k, values in rill.measure_totals(duck, view, by).items()}
        on_clickhouse = {rill.normalize(k): {m: rill.normalize(v) for m, v in values.items()}
                         for k, values in rill.measure_totals(clickhouse, view, by).items()}
        assert on_duck == on_clickhouse, f"{view} by {by}"


# ------------------------------------------------------------------------ headline numbers
def test_cloud_cost_per_provider_and_month_equals_the_sql_layer_and_the_generated_data(engine, clickhouse, rill_data):
    """AWS (net) unblended cost and GCP net cost per month: dashboards = finops.monthly_cloud_costs billed_cost =
    generator (the demo has no negotiated discounts: net unblended = unblended)."""
    expected = defaultdict(dict)
    for month, provider, cost in sql_layer(clickhouse, "SELECT month, provider, sum(billed_cost) FROM finops.monthly_cloud_costs "
                                                        "GROUP BY month, provider"):
        expected[provider][month] = cents(cost)
    aws = {month: cents(v["total_unblended_cost"]) for month, v in rill.measure_totals(engine, "aws_costs", "billing_period").items()}
    gcp = {month: cents(v["total_net_cost"]) for month, v in rill.measure_totals(engine, "gcp_costs", "invoice_month").items()}
    assert aws == expected["aws"]
    assert gcp == expected["gcp"]
    generated = rill_data["expected"]
    assert aws == {month: totals["aws"] for month, totals in generated.items() if "aws" in totals}
    assert gcp == {month: totals["gcp"] for month, totals in generated.items() if "gcp" in totals}


def test_focus_billed_and_effective_cost_per_provider_equal_the_sql_layer(engine, clickhouse, rill_data):
    daily = {
        provider: (cents(billed), cents(effective))
        for provider, billed, effective in sql_layer(
            clickhouse, "SELECT provider, sum(billed_cost), sum(effective_cost) FROM finops.fct_cost_daily GROUP BY provider")
    }
    by_source = rill.measure_totals(engine, "focus_costs", "source")
    assert {p: (cents(v["billed_cost"]), cents(v["effective_cost"])) for p, v in by_source.items()} == daily
    # side by side by ServiceProviderName: the three clouds and the marketplace sellers they bill for
    focus_table = {
        provider: (cents(billed), cents(effective), cents(listed), cents(contracted))
        for provider, billed, effective, listed, contracted in sql_layer(
            clickhouse, "SELECT ServiceProviderName, sum(BilledCost), sum(EffectiveCost), sum(ListCost), sum(ContractedCost) "
                        "FROM finops.focus GROUP BY ServiceProviderName")
    }
    focus = rill.measure_totals(engine, "focus_costs", "provider")
    assert {p: (cents(v["billed_cost"]), cents(v["effective_cost"]), cents(v["list_cost"]), cents(v["contracted_cost"]))
            for p, v in focus.items()} == focus_table
    assert {"AWS", "Google Cloud", "Microsoft"} <= focus.keys()
    hosts = rill.measure_totals(engine, "focus_costs", "host_provider")
    assert {p: cents(v["billed_cost"]) for p, v in hosts.items()} == {
        {"aws": "AWS", "gcp": "Google Cloud", "azure": "Microsoft"}[p]: billed for p, (billed, _) in daily.items()}
    aws = rill.measure_totals(engine, "aws_costs")[None]
    assert cents(by_source["aws"]["billed_cost"]) == cents(aws["total_net_unblended_cost"])
    assert cents(by_source["aws"]["effective_cost"]) == cents(aws["total_net_amortized_cost"])
    assert cents(by_source["gcp"]["billed_cost"]) == cents(rill.measure_totals(engine, "gcp_costs")[None]["total_net_cost"])
    # Azure's native FOCUS rows beside the two clouds
    azure = sum((totals["azure"] for totals in rill_data["expected"].values() if "azure" in totals), Decimal(0))
    assert azure > 0 and cents(by_source["azure"]["billed_cost"]) == azure


def test_revenue_cost_and_margin_per_month_equal_the_sql_layer(engine, clickhouse, rill_data):
    cash = dict(sql_layer(clickhouse, "SELECT month, sum(revenue) FROM finops.monthly_revenue WHERE currency = 'USD' GROUP BY month"))
    fees = dict(sql_layer(clickhouse, "SELECT month, sum(fees) FROM finops.monthly_revenue WHERE currency = 'USD' GROUP BY month"))
    recognised = dict(sql_layer(clickhouse, "SELECT month, sum(recognised_revenue) FROM finops.monthly_recognised_revenue "
                                            "WHERE currency = 'USD' GROUP BY month"))
    # billed cost, as the measures say (AWS net unblended: with commitments, net amortized differs)
    aws = dict(sql_layer(clickhouse, "SELECT billing_period, sum(net_unblended_cost) FROM finops.int_aws__cost_daily GROUP BY 1"))
    gcp = dict(sql_layer(clickhouse, "SELECT invoice_month, sum(net_cost) FROM finops.int_gcp__cost_daily GROUP BY 1"))
    azure = dict(sql_layer(clickhouse, "SELECT billing_period, sum(billed_cost) FROM finops.int_azure__cost_daily GROUP BY 1"))
    customers = dict(sql_layer(clickhouse, "SELECT month, sum(active_customers) FROM finops.int_stripe__mrr_monthly GROUP BY month"))
    unit = rill.measure_totals(engine, "unit_economics", "month")
    assert set(unit) == set(cash) | set(aws) | set(gcp) | set(azure)
    assert azure, "the demo data has a month of Azure"
    for month, values in unit.items():
        cost = aws.get(month, 0) + gcp.get(month, 0) + azure.get(month, 0)
        revenue, fee = recognised.get(month, 0), fees.get(month, 0)
        assert cents(values["total_cash_revenue"]) == cents(cash.get(month, 0)) == rill_data["expected"][month]["revenue"]
        assert cents(values["total_stripe_fees"]) == cents(fee) == rill_data["expected"][month]["fees"]
        assert cents(values["total_revenue"]) == cents(revenue)
        assert cents(values["total_cloud_cost"]) == cents(cost)
        assert cents(values["total_gross_margin"]) == cents(revenue - fee - cost)
        assert values["gross_margin_pct"] == pytest.approx(float(revenue - fee - cost) / float(revenue))
        if customers.get(month):
            assert values["cost_per_customer"] == pytest.approx(float(cost) / customers[month])
    total = rill.measure_totals(engine, "unit_economics")[None]
    assert cents(total["total_gross_margin"]) == cents(
        sum(recognised.get(m, 0) for m in unit) - sum(fees.values()) - sum(aws.values()) - sum(gcp.values())
        - sum(azure.values()))


def test_revenue_breakdown_per_month_equals_the_sql_layer_and_the_generated_data(engine, clickhouse, rill_data):
    expected = {(month, currency): tuple(cents(v) for v in values) for month, currency, *values in sql_layer(
        clickhouse, "SELECT month, currency, sum(revenue), sum(net), sum(gross_volume), sum(refunds), sum(disputes), "
                    "sum(processing_fees), sum(stripe_fees) FROM finops.monthly_revenue GROUP BY month, currency")}
    names = ["total_revenue", "net_revenue", "total_gross_volume", "total_refunds", "total_disputes",
             "total_processing_fees", "total_stripe_fees"]
    shown = {}
    for month, values in rill.measure_totals(engine, "stripe_revenue", "month").items():
        shown[(month, "USD")] = tuple(cents(values[n]) for n in names)
    assert shown == expected  # the demo's Stripe data is all USD
    assert {m: v[0] for (m, _), v in shown.items()} == {m: t["revenue"] for m, t in rill_data["expected"].items()}


def test_money_of_several_currencies_is_never_added_under_one_label(engine, clickhouse):
    """Revenue, MRR and tag coverage measures are empty when more than one currency is in scope (here: a second
    one added to the rows the measure reads), and the figure itself when one is."""
    for view, column in (("stripe_revenue", "revenue"), ("stripe_mrr", "mrr"), ("tag_coverage", "tagged_cost")):
        metrics = rill.spec(view)
        measure = next(m for m in metrics["measures"] if f"sum({column})" in m["expression"])
        table = engine.table(metrics["model"])
        mixed = (f"(SELECT currency, month, {column} FROM {table} UNION ALL "
                 f"SELECT 'EUR' AS currency, month, {column} FROM {table})")
        assert engine.rows(f"SELECT {measure['expression']} FROM {mixed} AS t")[0][0] is None, view
        assert engine.rows(f"SELECT {measure['expression']} FROM {table}")[0][0] is not None, view


def test_mrr_and_churn_per_month_equal_the_sql_layer(engine, clickhouse):
    expected = {month: (cents(mrr), churned, at_start, cents(mrr - mrr_at_start), cents(up), cents(down))
                for month, mrr, churned, at_start, mrr_at_start, up, down
                in sql_layer(clickhouse, "SELECT month, sum(mrr), sum(churned_subscriptions), sum(subscriptions_at_start), "
                                         "sum(mrr_at_start), sum(expansion_mrr), sum(contraction_mrr) "
                                         "FROM finops.int_stripe__mrr_monthly GROUP BY month")}
    mrr = rill.measure_totals(engine, "stripe_mrr", "month")
    assert {m: cents(v["mrr_month_end"]) for m, v in mrr.items()} == {m: e[0] for m, e in expected.items()}
    # net new MRR, summed from its movements, is the change of month-end MRR
    assert {m: cents(v["mrr_net_new"]) for m, v in mrr.items()} == {m: e[3] for m, e in expected.items()}
    assert {m: (cents(v["mrr_expansion"]), cents(v["mrr_contraction"])) for m, v in mrr.items()} == {
        m: e[4:] for m, e in expected.items()}
    # the sample moves MRR (its 40 customers upgrade; with the dated history none downgrades in 3 months)
    assert any(e[4] > 0 or e[5] > 0 for e in expected.values())
    for month, (_, churned, at_start, *_rest) in expected.items():
        assert mrr[month]["subscriptions_churned"] == churned
        new = sql_layer(clickhouse, f"SELECT sum(new_subscriptions) FROM finops.int_stripe__mrr_monthly WHERE month = '{month}'")[0][0]
        assert mrr[month]["churn_rate"] == (pytest.approx(churned / (at_start + new)) if at_start + new else None)


def test_anomalies_and_forecast_equal_the_sql_layer(engine, clickhouse):
    flagged, actual, expected_cost = sql_layer(
        clickhouse, "SELECT count(), sum(actual_cost), sum(expected_cost) FROM finops.cost_anomalies")[0]
    anomalies = rill.measure_totals(engine, "cost_anomalies")[None]
    assert flagged > 0 and anomalies["anomalies"] == flagged
    assert cents(anomalies["total_actual_cost"]) == cents(actual)
    assert cents(anomalies["total_expected_cost"]) == cents(expected_cost)
    forecast = dict(sql_layer(clickhouse, "SELECT month, sum(forecast) FROM finops.cost_forecast GROUP BY month"))
    shown = rill.measure_totals(engine, "cost_forecast", "month")
    assert {m: cents(v["month_end_forecast"]) for m, v in shown.items()} == {m: cents(f) for m, f in forecast.items()}
    # a complete month's forecast is its actual effective cost (what "vs last month" compares with). A month is
    # known complete once later usage exists: the newest month of sparse demo data (its last hour without usage)
    # is still projected, so it is left out here (the old check assumed every month with a last-day row complete).
    effective = dict(sql_layer(clickhouse, "SELECT month, sum(effective_cost) FROM finops.fct_cost_daily GROUP BY month"))
    for month in sorted(forecast)[:-1]:
        assert cents(shown[month]["month_end_forecast"]) == cents(effective[month])
