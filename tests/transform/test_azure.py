"""Azure's native FOCUS export through the layers: exact money from the export's floats to the marts, a
re-exported month replaces that month only (per-month rebuild = full rebuild), and the reconciliation
checks hold to the cent and fail naming the month when a layer drifts."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from include.reconciliation import ReconciliationError, run_checks
from standins.sample_data.azure import generate_focus_month
from tests.helpers.transform import cents, one, q, run
from tests.transform.raw import azure_rows, new_load_id, write_azure_month, write_loads, write_table

D = Decimal


def focus_month(month: str, rows: int, seed: int, billed: list[float] | None = None) -> pa.Table:
    table = generate_focus_month(month, rows, seed=seed)
    if billed is not None:
        for name in ("BilledCost", "EffectiveCost"):
            table = table.set_column(table.schema.get_field_index(name), name, pa.array(billed, pa.float64()))
    return table


def exact(table: pa.Table, column: str) -> D:
    """The export's floats as Cost Management wrote them (shortest text), summed exactly."""
    return sum((D(repr(v)) for v in table[column].to_pylist() if v is not None), D(0))


def test_azure_rows_reach_every_model_exactly_and_keep_their_x_columns(data_dir):
    table = focus_month("2026-09", 3, seed=1, billed=[0.1, 0.2, 0.29])
    write_azure_month(data_dir, "2026-09", table, submitted_at=datetime(2026, 10, 2, 3, 4, 5, 678000, tzinfo=UTC))
    run("azure")
    # the export run's submitted time is when Azure delivered the month (FOCUS BillingPeriodCreated / LastUpdated)
    assert q("SELECT DISTINCT x_DeliveredAt FROM finops.focus") == [(datetime(2026, 10, 2, 3, 4, 5, 678000),)]
    assert q("SELECT BillingPeriodCreated, BillingPeriodLastUpdated FROM finops.focus_billing_periods") == [
        (datetime(2026, 10, 2, 3, 4, 5), datetime(2026, 10, 2, 3, 4, 5))]

    assert one("SELECT sum(BilledCost) FROM finops.int_azure__cost_line_items") == D("0.59")
    assert one("SELECT toTypeName(BilledCost) FROM finops.int_azure__cost_line_items LIMIT 1") == "Decimal(38, 10)"
    assert one("SELECT sum(billed_cost) FROM finops.int_azure__cost_daily") == D("0.59")
    assert q("SELECT provider, month, sum(billed_cost), sum(effective_cost), sum(list_cost) "
             "FROM finops.int_cloud_cost_daily GROUP BY provider, month") == [
        ("azure", "2026-09", D("0.59"), D("0.59"), exact(table, "ListCost"))]
    assert q("SELECT ServiceProviderName, HostProviderName, x_Provider, sum(BilledCost), count() FROM finops.focus GROUP BY 1, 2, 3") == [
        ("Microsoft", "Microsoft", "azure", D("0.59"), 3)]
    extras = json.loads(one("SELECT any(x_ProviderColumns) FROM finops.focus WHERE x_Provider = 'azure'"))
    assert extras["x_SkuMeterCategory"] and extras["x_BillingProfileName"] == "Contoso Demo Profile"
    assert q("SELECT azure_billed_cost, cloud_billed_cost FROM finops.monthly_margin WHERE month = '2026-09'") == [
        (D("0.59"), D("0.59"))]
    assert q("SELECT azure_billed_cost, cloud_billed_cost FROM finops.unit_economics_monthly WHERE month = '2026-09'") == [
        (D("0.59"), D("0.59"))]
    # every configured key's rows add up to the full cost; the sample tags every row with team and env
    teams = json.loads(one("SELECT toJSONString(groupArray(Tags)) FROM finops.focus"))
    assert all("team" in json.loads(tags) for tags in teams)
    assert q("SELECT tag_key, sum(billed_cost), sumIf(billed_cost, tag_value = '') FROM finops.fct_cost_daily_by_tag "
             "WHERE provider = 'azure' AND tag_key IN ('team', 'env') GROUP BY tag_key ORDER BY tag_key") == [
        ("env", D("0.59"), D(0)), ("team", D("0.59"), D(0))]
    assert q("SELECT tag_key, matched FROM finops.tag_key_coverage WHERE provider = 'azure' ORDER BY tag_key") == [
        ("app", 0), ("env", 1), ("team", 1)]


def test_a_re_exported_month_replaces_that_month_only(data_dir):
    august, september = focus_month("2026-08", 400, seed=2), focus_month("2026-09", 500, seed=3)
    write_azure_month(data_dir, "2026-08", august)
    write_azure_month(data_dir, "2026-09", september)
    run("azure", periods="changed")  # the first build is full
    assert cents(one("SELECT sum(BilledCost) FROM finops.int_azure__cost_line_items WHERE billing_period = '2026-09'")) \
        == cents(exact(september, "BilledCost"))

    restated = focus_month("2026-09", 450, seed=4)
    restated_load = write_azure_month(data_dir, "2026-09", restated)
    # a load that failed half way (not completed) next to August's rows is never read
    write_azure_month(data_dir, "2026-08", focus_month("2026-08", 50, seed=5), completed=False, replace=False)
    built = run("azure", periods="changed")
    assert built["periods"] == ["2026-09"]

    for month, table in (("2026-08", august), ("2026-09", restated)):
        want = exact(table, "BilledCost")
        assert q(f"SELECT count(), sum(BilledCost) FROM finops.int_azure__cost_line_items WHERE billing_period = '{month}'") \
            == [(table.num_rows, want)]
        assert one(f"SELECT sum(billed_cost) FROM finops.int_azure__cost_daily WHERE billing_period = '{month}'") == want
        assert one(f"SELECT azure_billed_cost FROM finops.monthly_margin WHERE month = '{month}'") == want

    # raw rows loaded before the loader kept the run's submitted time: delivered at their load's time
    assert q("SELECT DISTINCT toUnixTimestamp(x_DeliveredAt) FROM finops.focus WHERE x_BillingMonth = '2026-09'") == [
        (int(float(restated_load)),)]
    per_month = q("SELECT * FROM finops.int_azure__cost_daily ORDER BY ALL")
    run("azure", periods=None)
    assert q("SELECT * FROM finops.int_azure__cost_daily ORDER BY ALL") == per_month
    assert run_checks("azure")["failed"] == 0 and run_checks("marts")["failed"] == 0


def write_period_ledger(data_dir, month: str, rows: int, load_id: str | None = None, completed: bool = True) -> str:
    """The period ledger row the loader writes with each load of a month (focus_costs_period_loads), alone: a newer
    run of the month that had no rows."""
    load_id = load_id or new_load_id()
    record = pa.table({"billing_period": [month], "delivery_id": [f"run-{load_id}"], "row_count": [rows],
                       "_dlt_load_id": [load_id]})
    write_table(data_dir, "azure_costs", "focus_costs_period_loads", record, load_id, partition=month)
    write_loads(data_dir, "azure_costs", [load_id], status=0 if completed else 1)
    return load_id


def test_a_newer_load_of_a_month_without_rows_empties_the_month(data_dir):
    august, september = focus_month("2026-08", 40, seed=2), focus_month("2026-09", 50, seed=3)
    for month, table in (("2026-08", august), ("2026-09", september)):
        load_id = write_azure_month(data_dir, month, table)
        write_period_ledger(data_dir, month, table.num_rows, load_id)
    run("azure", periods="changed")
    assert one("SELECT azure_billed_cost FROM finops.monthly_margin WHERE month = '2026-09'") == exact(
        september, "BilledCost")

    # a load that failed half way says nothing
    write_period_ledger(data_dir, "2026-09", 0, completed=False)
    assert run("azure", periods="changed")["periods"] == []
    assert one("SELECT count() FROM finops.stg_azure__focus_costs WHERE billing_period = '2026-09'") == 50

    # September's newest completed load brought no row; its older rows are still there (on ClickHouse until the
    # loader deletes them, on files until they are pruned): the month reads empty, August is untouched
    write_period_ledger(data_dir, "2026-09", 0)
    assert run("azure", periods="changed")["periods"] == ["2026-09"]
    assert one("SELECT count() FROM finops.stg_azure__focus_costs WHERE billing_period = '2026-09'") == 0
    assert q("SELECT billing_period, count(), sum(BilledCost) FROM finops.int_azure__cost_line_items GROUP BY 1") == [
        ("2026-08", 40, exact(august, "BilledCost"))]
    assert one("SELECT count() FROM finops.int_azure__cost_daily WHERE billing_period = '2026-09'") == 0
    assert q("SELECT azure_billed_cost FROM finops.monthly_margin WHERE month = '2026-09' AND azure_billed_cost != 0") \
        == []
    assert run_checks("azure")["failed"] == 0 and run_checks("marts")["failed"] == 0

    # Azure exports September again with rows: they count again
    restated = focus_month("2026-09", 30, seed=4)
    load_id = write_azure_month(data_dir, "2026-09", restated)
    write_period_ledger(data_dir, "2026-09", 30, load_id)
    run("azure", periods="changed")
    assert one("SELECT sum(BilledCost) FROM finops.int_azure__cost_line_items WHERE billing_period = '2026-09'") == \
        exact(restated, "BilledCost")


def test_pricing_currency_effective_cost_converts_billing_to_pricing_currency_exactly(data_dir):
    rows = [
        # EUR billing of USD prices: Microsoft's rate converts USD into EUR, so the USD figure is 92 / 0.92
        dict(EffectiveCost=92.0, BillingCurrency="EUR", PricingCurrency="USD", x_BillingExchangeRate=0.92),
        # 0.57 is 0.5699999999... as a float: exact only through money()
        dict(EffectiveCost=5.7, BillingCurrency="GBP", PricingCurrency="USD", x_BillingExchangeRate=0.57),
        dict(EffectiveCost=30.0, BillingCurrency="USD", PricingCurrency="USD", x_BillingExchangeRate=1.0),
        # no rate, or a zero rate: unknown
        dict(EffectiveCost=40.0, BillingCurrency="EUR", PricingCurrency="USD", x_BillingExchangeRate=None),
        dict(EffectiveCost=50.0, BillingCurrency="EUR", PricingCurrency="USD", x_BillingExchangeRate=0.0),
    ]
    write_azure_month(data_dir, "2026-09", azure_rows("2026-09", rows))
    run("azure")
    assert q("SELECT EffectiveCost, PricingCurrencyEffectiveCost FROM finops.focus WHERE x_Provider = 'azure' "
             "ORDER BY EffectiveCost") == [(D(5.7).quantize(D("0.1")), D(10)), (D(30), D(30)), (D(40), None),
                                           (D(50), None), (D(92), D(100))]


def test_a_focus_1_0_month_keeps_its_pricing_currency_and_invoice_id(data_dir):
    table = azure_rows("2026-08", [dict(BilledCost=10.0, BillingCurrency="USD")])
    table = table.drop_columns([c for c in ("InvoiceId", "PricingCurrency") if c in table.column_names])
    for name, value in (("x_InvoiceId", "G123456789"), ("x_PricingCurrency", "USD"), ("x_InvoiceIssuerId", "ms-1")):
        if name in table.column_names:
            table = table.drop_columns([name])
        table = table.append_column(name, pa.array([value]))
    write_azure_month(data_dir, "2026-08", table)
    run("azure")
    assert q("SELECT PricingCurrency, InvoiceId, PricingCurrencyEffectiveCost, "
             "JSONExtractString(x_ProviderColumns, 'x_InvoiceId'), JSONExtractString(x_ProviderColumns, 'x_PricingCurrency'), "
             "JSONExtractString(x_ProviderColumns, 'x_InvoiceIssuerId') FROM finops.focus WHERE x_Provider = 'azure'") == [
        ("USD", "G123456789", D(10), "G123456789", "USD", "ms-1")]


def test_one_reservation_whose_id_differs_in_case_between_rows_is_one_commitment(data_dir):
    reservation = "/subscriptions/S1/providers/Microsoft.Capacity/reservationOrders/O1/reservations/R1"
    rows = [
        dict(ChargeCategory="Usage", BilledCost=0.0, EffectiveCost=60.0, ListCost=90.0,
             CommitmentDiscountId=reservation, CommitmentDiscountStatus="Used", CommitmentDiscountType="Reservation",
             CommitmentDiscountCategory="Usage", PricingCategory="Committed"),
        dict(ChargeCategory="Usage", BilledCost=0.0, EffectiveCost=40.0, ListCost=60.0,
             CommitmentDiscountId=reservation.lower(), CommitmentDiscountStatus="Unused",
             CommitmentDiscountType="Reservation", CommitmentDiscountCategory="Usage", PricingCategory="Committed"),
    ]
    write_azure_month(data_dir, "2026-09", azure_rows("2026-09", rows))
    run("azure")
    assert q("SELECT DISTINCT CommitmentDiscountId FROM finops.int_azure__cost_line_items "
             "WHERE CommitmentDiscountId IS NOT NULL") == [(reservation.lower(),)]
    assert q("SELECT commitment_id, sum(commitment_cost) FROM finops.commitment_utilization_daily "
             "WHERE provider = 'azure' GROUP BY 1") == [(reservation.lower(), D(100))]


def test_a_savings_plan_purchase_is_not_counted_twice_in_effective_cost(data_dir):
    """Cost Management writes a savings plan's Purchase row with EffectiveCost = BilledCost and amortizes the same
    cost onto its Used / Unused rows (microsoft/finops-toolkit#1092, toolkit error InvalidEffectiveCost)."""
    plan = "/providers/Microsoft.BillingBenefits/savingsPlanOrders/spo1/savingsPlans/sp1"
    commitment = dict(CommitmentDiscountId=plan, CommitmentDiscountType="Savings Plan",
                      CommitmentDiscountCategory="Spend", CommitmentDiscountName="sp1")
    rows = [
        dict(ChargeCategory="Purchase", BilledCost=1000.0, EffectiveCost=1000.0, ContractedCost=1000.0,
             ListCost=1000.0, ChargeFrequency="Recurring", PricingCategory="Standard",
             x_AmortizationClass="Principal", **commitment),
        # the same 1,000 amortized onto the usage it covered and its unused part
        dict(ChargeCategory="Usage", BilledCost=0.0, EffectiveCost=900.0, ListCost=1300.0,
             CommitmentDiscountStatus="Used", PricingCategory="Committed", **commitment),
        dict(ChargeCategory="Usage", BilledCost=0.0, EffectiveCost=100.0, ListCost=0.0,
             CommitmentDiscountStatus="Unused", PricingCategory="Committed", **commitment),
        dict(BilledCost=50.0, EffectiveCost=50.0),
    ]
    write_azure_month(data_dir, "2026-09", azure_rows("2026-09", rows))
    # a month whose export file has neither CommitmentDiscountId nor x_AmortizationClass (both read when present)
    write_azure_month(data_dir, "2026-08", azure_rows("2026-08", [dict(BilledCost=10.0)]).drop_columns(
        ["CommitmentDiscountId", "x_AmortizationClass"]))
    run("azure")
    # billed: the payment + on-demand = 1,050; effective: the amortized 1,000 + on-demand = 1,050, not 2,050
    september = "billing_period = '2026-09'"
    assert one(f"SELECT sum(BilledCost) FROM finops.int_azure__cost_line_items WHERE {september}") == D(1050)
    assert one(f"SELECT sum(effective_cost) FROM finops.int_azure__cost_daily WHERE {september}") == D(1050)
    assert one("SELECT sum(effective_cost) FROM finops.int_cloud_cost_daily WHERE provider = 'azure' "
               "AND month = '2026-09'") == D(1050)
    # FOCUS: EffectiveCost is 0 on a Purchase that covers future charges
    assert q("SELECT ChargeCategory, sum(BilledCost), sum(EffectiveCost) FROM finops.focus "
             "WHERE x_Provider = 'azure' AND x_BillingMonth = '2026-09' GROUP BY 1 ORDER BY 1") == [
        ("Purchase", D(1000), D(0)), ("Usage", D(50), D(1050))]
    assert one("SELECT sum(EffectiveCost) FROM finops.focus WHERE x_BillingMonth = '2026-08'") == D(10)
    # the raw side of the reconciliation zeroes the same rows (and reads a month without the columns)
    assert run_checks("azure")["failed"] == 0
    assert q("SELECT period, expected, actual FROM finops.reconciliation_checks "
             "WHERE check_name = 'raw_vs_line_items_effective' ORDER BY period") == [
        ("2026-08", D(10), D(10)), ("2026-09", D(1050), D(1050))]


def test_reconciliation_fails_naming_the_month_when_a_layer_drifts(data_dir):
    write_azure_month(data_dir, "2026-08", focus_month("2026-08", 60, seed=6))
    write_azure_month(data_dir, "2026-09", focus_month("2026-09", 60, seed=7))
    run("azure")
    assert run_checks("azure")["failed"] == 0
    rows = q("SELECT provider, check_name FROM finops.reconciliation_checks WHERE provider = 'azure' AND passed "
             "GROUP BY ALL ORDER BY ALL")
    assert ("azure", "raw_vs_line_items_billed") in rows and ("azure", "row_count") in rows

    from include import transform

    transform.query("ALTER TABLE finops.int_azure__cost_daily UPDATE billed_cost = billed_cost + 0.01 "
                    "WHERE billing_period = '2026-09' SETTINGS mutations_sync = 2")
    with pytest.raises(ReconciliationError, match=r"line_items_vs_daily_billed period 2026-09 USD") as failure:
        run_checks("azure")
    assert "2026-08" not in str(failure.value)
