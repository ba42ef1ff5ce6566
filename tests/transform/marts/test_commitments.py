"""Commitment marts on a hand-computed month (2026-09) with a Savings Plan, a Reserved Instance and on-demand usage.

Savings Plan sp-1 (No Upfront, daily fee lines): day 1 commitment 24, used 18, covered usage on-demand 30 at an
effective 18; day 2 commitment 24, used 24, covered on-demand 40 at 24. So purchased 48, used 42, unused 6,
utilization 0.875, fees 48, realized savings 70 - 42 = 28, net of the unused 22.
Reserved Instance ri-1 (Partial Upfront): RIFee recurring 10 + amortized upfront 20 = 30 purchased, unused 2 + 1 = 3,
used 27, utilization 0.9; its upfront Fee line 240 is billed this month too (fees 250); covered on-demand 45 at 27,
realized savings 18, net 15. It ends 2026-11-01: 60 days after the month's newest usage end (2026-09-02 04:00).
Coverage: m5 covered 70 of 70 + 50 on-demand = 120; c6g covered 45 of 45; S3 storage is not eligible.
GCP (invoice month 2026-09): a resource-based CUD fee of 20 in us-central1, an E2 VM row of 30 with a CUD credit of
-25 and one of 10 without: the pool's purchased 20, covered on-demand 25, realized savings 25 - 20 = 5; coverage of
Compute Engine e2 in us-central1 25 / 40. Cloud Storage is not eligible.
Azure (FOCUS export, 2026-09): reservation res-1 bought for 100 (Purchase row), amortized onto Usage rows: Used 60
(ListCost 90) and Unused 40; another VM row billed on demand at ListCost 30. Purchased 100, used 60, utilization
0.6, realized savings 90 - 60 = 30, net -10; coverage of Virtual Machines in eastus 90 / 120.
"""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from tests.fixtures.local_data import module_data_dir
from tests.helpers.transform import one, q, run
from tests.transform import raw

SP = "arn:aws:savingsplans::999999999999:savingsplan/sp-1"
RI = "arn:aws:ec2:us-east-1:999999999999:reserved-instances/ri-1"
D = Decimal
INVENTORY_STRINGS = ["savings_plan_start_time", "savings_plan_end_time", "savings_plan_purchase_term",
                     "savings_plan_payment_option", "savings_plan_offering_type", "reservation_start_time",
                     "reservation_end_time", "pricing_lease_contract_length", "pricing_purchase_option",
                     "pricing_offering_class", "reservation_number_of_reservations"]
INVENTORY_FLOATS = ["reservation_amortized_upfront_fee_for_billing_period"]
SP_INVENTORY = dict(savings_plan_savings_plan_a_r_n=SP, savings_plan_start_time="2025-12-15T00:00:00Z",
                    savings_plan_end_time="2026-12-15T00:00:00Z", savings_plan_purchase_term="1yr",
                    savings_plan_payment_option="No Upfront", savings_plan_offering_type="ComputeSavingsPlans")
RI_INVENTORY = dict(reservation_reservation_a_r_n=RI, reservation_start_time="2025-11-01T00:00:00Z",
                    reservation_end_time="2026-11-01T00:00:00Z", pricing_lease_contract_length="1yr",
                    pricing_purchase_option="Partial Upfront", pricing_offering_class="standard",
                    reservation_number_of_reservations="2")
C6G = "USE1-BoxUsage:c6g.xlarge"
# (line type, day, unblended cost, columns)
LINES = [
    ("Usage", 1, 50.0, dict(pricing_term="OnDemand", pricing_public_on_demand_cost=50.0)),
    ("Usage", 1, 5.0, dict(pricing_term="OnDemand", pricing_public_on_demand_cost=5.0, line_item_product_code="AmazonS3",
                           line_item_usage_type="USE1-TimedStorage-ByteHrs")),
    ("SavingsPlanRecurringFee", 1, 24.0, dict(SP_INVENTORY, savings_plan_total_commitment_to_date=24.0,
                                              savings_plan_used_commitment=18.0,
                                              savings_plan_recurring_commitment_for_billing_period=48.0)),
    ("SavingsPlanCoveredUsage", 1, 30.0, dict(savings_plan_savings_plan_a_r_n=SP, pricing_public_on_demand_cost=30.0,
                                              savings_plan_savings_plan_effective_cost=18.0)),
    ("SavingsPlanNegation", 1, -30.0, dict(savings_plan_savings_plan_a_r_n=SP)),
    ("SavingsPlanRecurringFee", 2, 24.0, dict(SP_INVENTORY, savings_plan_total_commitment_to_date=24.0,
                                              savings_plan_used_commitment=24.0,
                                              savings_plan_recurring_commitment_for_billing_period=48.0)),
    ("SavingsPlanCoveredUsage", 2, 40.0, dict(savings_plan_savings_plan_a_r_n=SP, pricing_public_on_demand_cost=40.0,
                                              savings_plan_savings_plan_effective_cost=24.0)),
    ("SavingsPlanNegation", 2, -40.0, dict(savings_plan_savings_plan_a_r_n=SP)),
    ("RIFee", 1, 10.0, dict(RI_INVENTORY, reservation_amortized_upfront_fee_for_billing_period=20.0,
                            reservation_unused_amortized_upfront_fee_for_billing_period=2.0,
                            reservation_unused_recurring_fee=1.0, line_item_usage_type="USE1-HeavyUsage:c6g.xlarge",
                            # the RIFee line spans its month, as in the CUR
                            line_item_usage_start_date=datetime(2026, 9, 1, tzinfo=UTC),
                            line_item_usage_end_date=datetime(2026, 10, 1, tzinfo=UTC))),
    ("Fee", 1, 240.0, dict(reservation_reservation_a_r_n=RI, line_item_usage_type="")),
    ("DiscountedUsage", 1, 0.0, dict(reservation_reservation_a_r_n=RI, pricing_public_on_demand_cost=45.0,
                                     reservation_effective_cost=27.0, line_item_usage_type=C6G)),
]


GCP_POOL = "gcp-cud/01A2B3-C4D5E6-F7A8B9/resource-based/us-central1"
E2 = json.dumps({"compute.googleapis.com/machine_spec": "e2-standard-4"})
GCP_ROWS = [
    dict(cost=20.0, sku_description="Commitment v1: Cpu in Americas for 1 Year", row_key="fee"),
    dict(cost=30.0, credits=[("COMMITTED_USAGE_DISCOUNT", -25.0)], system_labels=E2, row_key="covered"),
    dict(cost=10.0, system_labels=E2, row_key="on-demand"),
    dict(cost=7.0, service_description="Cloud Storage", sku_description="Standard Storage US", row_key="storage"),
]


def write_gcp_month(data_dir):
    raw.write_gcp_rows(data_dir, [raw.gcp_row("2026-09", **dict(row)) for row in GCP_ROWS])
    run("gcp")


AZURE_RES = "/providers/Microsoft.Capacity/reservationOrders/o-1/reservations/res-1"
# as the marts name it: int_azure__cost_line_items lower-cases Azure's case-insensitive CommitmentDiscountId
AZURE_ID = AZURE_RES.lower()
AZURE_ROWS = [
    dict(ChargeCategory="Purchase", ChargeFrequency="One-Time", BilledCost=100.0, EffectiveCost=0.0, ListCost=100.0,
         CommitmentDiscountId=AZURE_RES, CommitmentDiscountType="Reservation", CommitmentDiscountCategory="Usage"),
    dict(BilledCost=0.0, EffectiveCost=60.0, ListCost=90.0, PricingCategory="Committed", CommitmentDiscountId=AZURE_RES,
         CommitmentDiscountStatus="Used", CommitmentDiscountType="Reservation", CommitmentDiscountCategory="Usage"),
    dict(BilledCost=0.0, EffectiveCost=40.0, ListCost=0.0, PricingCategory="Committed", CommitmentDiscountId=AZURE_RES,
         CommitmentDiscountStatus="Unused", CommitmentDiscountType="Reservation", CommitmentDiscountCategory="Usage"),
    dict(BilledCost=30.0, EffectiveCost=30.0, ListCost=30.0),
]


def write_azure_month(data_dir):
    from standins.sample_data.azure import generate_focus_month

    table = generate_focus_month("2026-09", len(AZURE_ROWS))
    vm = dict(ChargeCategory="Usage", PricingCategory="Standard", ServiceCategory="Compute",
              ServiceName="Virtual Machines", RegionId="eastus", BillingCurrency="USD", ContractedCost=None)
    rows = [{**row, **vm, **changes, "ContractedCost": changes.get("BilledCost")}
            for row, changes in zip(table.to_pylist(), AZURE_ROWS, strict=True)]
    raw.write_azure_month(data_dir, "2026-09", pa.Table.from_pylist(rows, schema=table.schema))
    run("azure")


def write_month(data_dir):
    rows = []
    for number, (line_type, day, cost, columns) in enumerate(LINES):
        columns = {"line_item_usage_type": "USE1-BoxUsage:m5.large", **columns}
        rows.append(raw.aws_line("2026-09", line_type, cost, day=day, identity_line_item_id=f"line-{number}",
                                 line_item_net_unblended_cost=cost, **columns))
    load_id = raw.new_load_id()
    table = raw._columns(rows, raw.AWS_STRING + INVENTORY_STRINGS, raw.AWS_FLOAT + INVENTORY_FLOATS, raw.AWS_TIME, "ms")
    table = table.append_column("_dlt_load_id", pa.array([load_id] * len(rows), pa.string()))
    raw.write_table(data_dir, "aws_costs", "cur_line_items", table, load_id, partition="2026-09")
    raw.write_loads(data_dir, "aws_costs", [load_id])
    run("aws")


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """Built once for the module: the tests only read."""
    with module_data_dir(tmp_path_factory, "commitments") as data_dir:
        write_month(data_dir)
        write_gcp_month(data_dir)
        write_azure_month(data_dir)
        yield data_dir


def test_utilization_unused_and_savings_per_commitment_and_month(month):
    rows = q("SELECT commitment_id, commitment_type, commitment_cost, used_commitment, unused_cost, utilization, "
             "fee_cost, covered_on_demand_cost, covered_effective_cost, realized_savings, net_savings, purchase_term, "
             "payment_option, billing_account_id FROM finops.commitment_utilization_monthly ORDER BY commitment_id")
    by_id = {r[0]: r[1:] for r in rows}
    assert set(by_id) == {SP, RI, GCP_POOL, AZURE_ID}
    assert by_id[SP] == ("Savings Plan", D(48), D(42), D(6), pytest.approx(0.875), D(48), D(70), D(42), D(28), D(22),
                         "1yr", "No Upfront", "999999999999")
    assert by_id[RI] == ("Reserved Instance", D(30), D(27), D(3), pytest.approx(0.9), D(250), D(45), D(27), D(18),
                         D(15), "1yr", "Partial Upfront", "999999999999")
    assert by_id[GCP_POOL] == ("Committed Use Discount", D(20), None, None, None, D(20), D(25), D(20), D(5), D(5),
                               "", "", "01A2B3-C4D5E6-F7A8B9")
    assert by_id[AZURE_ID][:10] == ("Reservation", D(100), D(60), D(40), pytest.approx(0.6), D(100), D(90), D(60),
                                    D(30), D(-10))


def test_daily_rows_add_up_to_the_month(month):
    day1 = q(f"SELECT commitment_cost, used_commitment, utilization, realized_savings "
             f"FROM finops.commitment_utilization_daily WHERE commitment_id = '{SP}' AND usage_date = '2026-09-01'")
    assert day1 == [(D(24), D(18), pytest.approx(0.75), D(12))]
    # SP day 1, SP day 2, RI day 1, the GCP pool on day 1; Azure's rows fall on the generator's days
    assert one("SELECT count() FROM finops.commitment_utilization_daily WHERE provider != 'azure'") == 4
    for column in ("commitment_cost", "unused_cost", "fee_cost", "realized_savings"):
        assert one(f"SELECT sum({column}) FROM finops.commitment_utilization_daily") == one(
            f"SELECT sum({column}) FROM finops.commitment_utilization_monthly")


def test_expiry_within_90_days_of_the_months_data(month):
    rows = dict((r[0], r[1:]) for r in q(
        "SELECT commitment_id, as_of, commitment_end, days_to_expiry, expires_within_90_days "
        "FROM finops.commitment_utilization_monthly"))
    as_of = datetime(2026, 9, 2, 4)  # UTC (the engine returns naive UTC times)
    assert rows[RI] == (as_of, datetime(2026, 11, 1), 60, 1)
    assert rows[SP] == (as_of, datetime(2026, 12, 15), 104, 0)


def test_coverage_by_service_region_and_instance_family(month):
    rows = {r[:2]: r[2:] for r in q(
        "SELECT provider, instance_family, service, region, covered_on_demand_cost, on_demand_cost, "
        "eligible_on_demand_cost, coverage FROM finops.commitment_coverage_monthly WHERE month = '2026-09'")}
    assert rows == {
        ("aws", "m5"): ("AmazonEC2", "us-east-1", D(70), D(50), D(120), pytest.approx(70 / 120)),
        ("aws", "c6g"): ("AmazonEC2", "us-east-1", D(45), D(0), D(45), pytest.approx(1.0)),
        ("gcp", "e2"): ("Compute Engine", "us-central1", D(25), D(15), D(40), pytest.approx(25 / 40)),
        ("azure", ""): ("Virtual Machines", "eastus", D(90), D(30), D(120), pytest.approx(90 / 120)),
    }


def test_reconciliation_commitment_fees_equal_the_bills_fee_lines(month):
    from include.clickhouse import clickhouse_client
    from include.reconciliation import CHECKS, evaluate

    client = clickhouse_client()
    try:
        results = {provider: evaluate(client, [c for c in CHECKS["marts"][provider] if c.name == "commitment_fees"])
                   for provider in ("aws", "gcp", "azure")}
    finally:
        client.close()
    assert [(r["period"], r["expected"], r["actual"], r["passed"]) for r in results["aws"]] == [
        ("2026-09", D(298), D(298), True)]
    assert [(r["period"], r["expected"], r["actual"], r["passed"]) for r in results["gcp"]] == [
        ("2026-09", D(20), D(20), True)]
    assert [(r["period"], r["expected"], r["actual"], r["passed"]) for r in results["azure"]] == [
        ("2026-09", D(100), D(100), True)]


def test_focus_contract_commitments_columns_and_allowed_values(month):
    """FOCUS 1.4 Contract Commitment: the SP's cost is its purchased 48 over the 2 hours its fee lines cover, scaled
    to the 365-day term (48 x 8760 / 2); the RI's 30 covers its 30-day RIFee month: 30 x 365 / 30. Discount
    = 1 - effective / on-demand of the covered usage (1 - 42 / 70, 1 - 27 / 45); the RI's upfront share 20 / 30."""
    names = ["ContractCommitmentId", "ContractCommitmentCategory", "ContractCommitmentCost",
             "ContractCommitmentDiscountPercentage", "ContractCommitmentDurationType", "ContractCommitmentPaymentModel",
             "ContractCommitmentPaymentInterval", "ContractCommitmentPaymentUpfrontPercentage",
             "ContractCommitmentLifecycleStatus", "ContractCommitmentOfferCategory", "ContractCommitmentQuantity",
             "ContractCommitmentUnit", "ContractCommitmentPeriodStart", "ContractCommitmentPeriodEnd",
             "ContractCommitmentType", "BillingCurrency", "ServiceProviderName"]
    rows = {r[0]: r[1:] for r in q(f"SELECT {', '.join(names)} FROM finops.focus_contract_commitments")}
    # GCP pools have no term in the cost exports; this Azure reservation has usage here but no purchase row
    assert set(rows) == {SP, RI}
    assert rows[SP] == ("Spend", D(210240), D("0.4"), "1 Year", "No Upfront", "Monthly", D(0), "Active", "Public",
                        None, None, datetime(2025, 12, 15), datetime(2026, 12, 15), "Savings Plan", "USD", "AWS")
    assert rows[RI] == ("Usage", D(365), D("0.4"), "1 Year", "Partial Upfront", "Monthly", D("0.6666666666"),
                        "Active", "Public", D(2), "Instances", datetime(2025, 11, 1), datetime(2026, 11, 1),
                        "Reserved Instance", "USD", "AWS")
    # every column of the 1.4 dataset, none of the non-nullable ones null
    columns = dict(q("SELECT name, type FROM system.columns WHERE database = 'finops' "
                     "AND table = 'focus_contract_commitments'"))
    assert set(columns) == set(FOCUS_1_4_CONTRACT_COMMITMENT)
    for name, nullable in FOCUS_1_4_CONTRACT_COMMITMENT.items():
        assert columns[name].startswith("Nullable(") == nullable, name


# FOCUS_Spec specification/datasets/contract_commitment/dataset.md (1.4): column -> Allows Nulls
FOCUS_1_4_CONTRACT_COMMITMENT = {
    "BillingCurrency": False,  # allows nulls, always known here
    "ContractCommitmentApplicability": False, "ContractCommitmentBenefitCategory": False,
    "ContractCommitmentCategory": False, "ContractCommitmentCost": True, "ContractCommitmentCreated": False,
    "ContractCommitmentDescription": True, "ContractCommitmentDiscountPercentage": True,
    "ContractCommitmentDurationType": False, "ContractCommitmentFulfillmentInterval": False,
    "ContractCommitmentId": False, "ContractCommitmentLastUpdated": False, "ContractCommitmentLifecycleStatus": False,
    "ContractCommitmentModel": False, "ContractCommitmentOfferCategory": False,
    "ContractCommitmentPaymentInterval": False, "ContractCommitmentPaymentModel": False,
    "ContractCommitmentPaymentUpfrontPercentage": False, "ContractCommitmentPeriodEnd": False,
    "ContractCommitmentPeriodStart": False, "ContractCommitmentQuantity": True, "ContractCommitmentType": False,
    "ContractCommitmentUnit": True, "ContractId": False, "ContractPeriodEnd": False, "ContractPeriodStart": False,
    "InvoiceIssuerName": False, "ServiceProviderName": False,
}


def test_focus_contract_applied_names_the_commitment_and_its_applied_cost(month):
    """FOCUS 1.4 ContractApplied on the charges of a commitment (AWS SP / RI, Azure reservation): the commitment's
    contract and id as focus_contract_commitments has them, and the charge's EffectiveCost (BilledCost for a
    purchase). Per commitment: the SP's fees 24 + 24 = 48 purchased, applied to usage 18 + 24 and its unused 6; the
    RI's fees 10 + 240 billed, applied 27 + its unused 3 (the upfront amortizes over the year); Azure's purchase of
    100, used 60 + unused 40. GCP's CUD credit names a pool, not a commitment: no ContractApplied."""
    rows = q("SELECT x_Provider, ChargeCategory, CommitmentDiscountId, ContractApplied FROM finops.focus "
             "WHERE CommitmentDiscountId IS NOT NULL OR ContractApplied IS NOT NULL")
    applied: dict[tuple[str, str], Decimal] = {}
    for provider, category, commitment, contract_applied in rows:
        if provider == "gcp":
            assert contract_applied is None
            continue
        (element,) = json.loads(contract_applied, parse_float=Decimal)["Elements"]
        assert set(element) == {"ContractId", "ContractCommitmentId", "ContractCommitmentAppliedCost"}
        assert element["ContractId"] == element["ContractCommitmentId"] == commitment
        key = (commitment, "Purchase" if category == "Purchase" else "applied")
        applied[key] = applied.get(key, D(0)) + element["ContractCommitmentAppliedCost"]
    assert applied == {(SP, "Purchase"): D(48), (SP, "applied"): D(48), (RI, "Purchase"): D(250), (RI, "applied"): D(30),
                       (AZURE_ID, "Purchase"): D(100), (AZURE_ID, "applied"): D(100)}
    contracts = dict(q("SELECT ContractCommitmentId, ContractId FROM finops.focus_contract_commitments"))
    assert contracts == {SP: SP, RI: RI}


def test_coverage_counts_on_demand_instance_hours_of_every_reservable_aws_service(data_dir):
    """Each service's usage type for instance hours (Redshift 'Node:', OpenSearch 'ESInstance:...search', ElastiCache
    'NodeUsage:cache.', RDS 'InstanceUsage:db.' / 'Multi-AZUsage:db.', a Dedicated Host 'HostUsage:'): half or less
    of it RI-covered, the rest on demand, which makes it eligible and uncovered."""
    usage = [  # (product, usage type, covered on-demand cost, on-demand cost)
        ("AmazonRedshift", "APS1-Node:dc2.large", 10.0, 10.0),
        ("AmazonRedshift", "Node:ra3.xlplus", 0.0, 5.0),
        ("AmazonES", "USE1-ESInstance:r6g.large.search", 10.0, 30.0),
        ("AmazonElastiCache", "USE1-NodeUsage:cache.r6g.large", 8.0, 8.0),
        ("AmazonRDS", "USE1-InstanceUsage:db.r6g.large", 6.0, 2.0),
        ("AmazonRDS", "USE1-Multi-AZUsage:db.m6g.xlarge", 0.0, 4.0),
        ("AmazonEC2", "USE1-HostUsage:m5", 0.0, 3.0),
    ]
    rows = []
    for product, usage_type, covered, on_demand in usage:
        if covered:
            rows.append(raw.aws_line("2026-09", "DiscountedUsage", 0.0, line_item_product_code=product,
                                     line_item_usage_type=usage_type, pricing_term="Reserved",
                                     pricing_public_on_demand_cost=covered, reservation_reservation_a_r_n=RI,
                                     reservation_effective_cost=covered * 0.6))
        rows.append(raw.aws_line("2026-09", "Usage", on_demand, line_item_product_code=product,
                                 line_item_usage_type=usage_type, pricing_public_on_demand_cost=on_demand))
    raw.write_aws_period(data_dir, "2026-09", rows)
    run("aws")
    coverage = {r[:2]: r[2:] for r in q(
        "SELECT service, instance_family, covered_on_demand_cost, eligible_on_demand_cost, coverage "
        "FROM finops.commitment_coverage_monthly WHERE provider = 'aws'")}
    assert coverage == {
        ("AmazonRedshift", "dc2"): (D(10), D(20), pytest.approx(0.5)),
        ("AmazonRedshift", "ra3"): (D(0), D(5), pytest.approx(0.0)),
        ("AmazonES", "r6g"): (D(10), D(40), pytest.approx(0.25)),
        ("AmazonElastiCache", "cache.r6g"): (D(8), D(16), pytest.approx(0.5)),
        ("AmazonRDS", "db.r6g"): (D(6), D(8), pytest.approx(0.75)),
        ("AmazonRDS", "db.m6g"): (D(0), D(4), pytest.approx(0.0)),
        ("AmazonEC2", "m5"): (D(0), D(3), pytest.approx(0.0)),
    }
