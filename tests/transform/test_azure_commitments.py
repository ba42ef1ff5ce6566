"""Azure reservations and savings plans in the FOCUS Contract Commitment dataset (finops.focus_contract_commitments),
from the purchase rows of Microsoft's FOCUS export, with hand figures.

Loaded months 2026-07, 2026-08 and 2026-09 of one billing account (usage rows of the generator, plus):
* r1: a reservation paid upfront on 2026-08-10, 3,650 USD, x_SkuTerm 12: cost 3,650, 2026-08-10..2027-08-10, Active;
* sp1: a savings plan paid monthly, 100 on 2026-08-05 and 2026-09-05, x_SkuTerm '3Years' (Cost Management's other
  spelling): July is loaded without a payment, so August's is the first: cost 100 x 36 = 3,600, 2026-08-05..2029-08-05;
* r2: a reservation paid monthly since before the loaded data (a payment in July, the first loaded month): its start
  is unknown, so it is left out;
* r3: paid upfront on 2026-07-20 (1,200, 12 months), refunded in full on 2026-09-02: Canceled, cost 0;
* r4: paid upfront on 2026-07-01 for 1 month (x_SkuTerm 'P1M'): ended 2026-08-01, Expired, '1 Month';
* r5: a purchase without x_SkuTerm: left out (no term, no end);
* r6: a refund on 2026-08-20 of a reservation bought before the loaded data: left out (its start is unknown);
* sp2: a savings plan paid monthly as a FOCUS 1.0 export writes it, ChargeFrequency Usage-Based (FinOps hubs
  Costs_transform_v1_2: "BUG: ChargeFrequency shows "Usage-Based" for monthly recurring savings plan purchases"), 50 on
  2026-08-12 and 2026-09-12, x_SkuTerm 12: Recurring, cost 50 x 12 = 600 (not the 100 of its two loaded payments).
"""

from datetime import datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from tests.fixtures.local_data import module_data_dir
from tests.helpers.transform import q, run
from tests.transform import raw

D = Decimal
ORDERS = "/providers/Microsoft.Capacity/reservationOrders"
R1, R2, R3, R4, R5, R6 = (f"{ORDERS}/o{n}/reservations/r{n}" for n in range(1, 7))
SP1, SP2 = (f"/providers/Microsoft.BillingBenefits/savingsPlanOrders/spo{n}/savingsPlans/sp{n}" for n in (1, 2))


def purchase(commitment: str, order: str, day: datetime, cost: float, term: str | None, recurring: bool = False,
             kind: str = "Reservation", correction: bool = False) -> dict:
    return {"ChargeCategory": "Purchase", "ChargeClass": "Correction" if correction else None,
            "ChargeFrequency": "Recurring" if recurring else "One-Time", "ChargePeriodStart": day,
            "ChargePeriodEnd": day, "BilledCost": cost, "ContractedCost": cost, "ListCost": cost,
            "PricingCategory": "Committed", "CommitmentDiscountId": commitment,
            "CommitmentDiscountName": commitment.rsplit("/", 1)[-1], "CommitmentDiscountType": kind,
            "CommitmentDiscountCategory": "Spend" if kind == "Savings Plan" else "Usage", "x_SkuOrderId": order,
            "x_SkuTerm": term}


def focus_1_0_monthly_payment(commitment: str, order: str, day: datetime, cost: float, term: str) -> dict:
    return {**purchase(commitment, order, day, cost, term, kind="Savings Plan"), "ChargeFrequency": "Usage-Based"}


PURCHASES = {
    "2026-07": [purchase(R2, "o2", datetime(2026, 7, 3), 50.0, "12", recurring=True),
                purchase(R3, "o3", datetime(2026, 7, 20), 1200.0, "12"),
                purchase(R4, "o4", datetime(2026, 7, 1), 30.0, "P1M")],
    "2026-08": [purchase(R1, "o1", datetime(2026, 8, 10), 3650.0, "12"),
                purchase(SP1, "spo1", datetime(2026, 8, 5), 100.0, "3Years", recurring=True, kind="Savings Plan"),
                purchase(R2, "o2", datetime(2026, 8, 3), 50.0, "12", recurring=True),
                purchase(R6, "o6", datetime(2026, 8, 20), -500.0, "36", correction=True),
                focus_1_0_monthly_payment(SP2, "spo2", datetime(2026, 8, 12), 50.0, "12")],
    "2026-09": [purchase(SP1, "spo1", datetime(2026, 9, 5), 100.0, "3Years", recurring=True, kind="Savings Plan"),
                purchase(R2, "o2", datetime(2026, 9, 3), 50.0, "12", recurring=True),
                purchase(R3, "o3", datetime(2026, 9, 2), -1200.0, "12", correction=True),
                purchase(R5, "o5", datetime(2026, 9, 9), 75.0, None),
                focus_1_0_monthly_payment(SP2, "spo2", datetime(2026, 9, 12), 50.0, "12")],
}


def month_table(month: str) -> pa.Table:
    """Four usage rows of the generator and the month's purchases, with Microsoft's x_SkuTerm column (text)."""
    rows = [{} for _ in range(4)] + [{k: v for k, v in p.items() if k != "x_SkuTerm"} for p in PURCHASES[month]]
    table = raw.azure_rows(month, rows)
    return table.append_column("x_SkuTerm", pa.array([None] * 4 + [p["x_SkuTerm"] for p in PURCHASES[month]],
                                                     pa.string()))


@pytest.fixture(scope="module")
def commitments(tmp_path_factory):
    with module_data_dir(tmp_path_factory, "azure_commitments") as data_dir:
        for month in PURCHASES:
            raw.write_azure_month(data_dir, month, month_table(month))
        run("azure")
        yield {row[0]: row[1:] for row in q(
            "SELECT ContractCommitmentId, ContractId, ContractCommitmentType, ContractCommitmentCategory, "
            "ContractCommitmentCost, ContractCommitmentPeriodStart, ContractCommitmentPeriodEnd, "
            "ContractCommitmentDurationType, ContractCommitmentPaymentModel, ContractCommitmentPaymentInterval, "
            "ContractCommitmentPaymentUpfrontPercentage, ContractCommitmentLifecycleStatus, BillingCurrency, "
            "ServiceProviderName FROM finops.focus_contract_commitments WHERE ServiceProviderName = 'Microsoft'")}


def test_each_purchased_commitment_with_its_term_cost_payment_and_status(commitments):
    assert commitments[R1.lower()] == ("o1", "Reservation", "Usage", D(3650), datetime(2026, 8, 10), datetime(2027, 8, 10),
                               "1 Year", "All Upfront", "One-Time", D(1), "Active", "USD", "Microsoft")
    assert commitments[SP1.lower()] == ("spo1", "Savings Plan", "Spend", D(3600), datetime(2026, 8, 5), datetime(2029, 8, 5),
                                "3 Years", "No Upfront", "Monthly", D(0), "Active", "USD", "Microsoft")
    assert commitments[R3.lower()][3:] == (D(0), datetime(2026, 7, 20), datetime(2027, 7, 20), "1 Year", "All Upfront",
                                   "One-Time", D(1), "Canceled", "USD", "Microsoft")
    assert commitments[R4.lower()][3:] == (D(30), datetime(2026, 7, 1), datetime(2026, 8, 1), "1 Month", "All Upfront",
                                   "One-Time", D(1), "Expired", "USD", "Microsoft")


def test_a_focus_1_0_monthly_savings_plan_is_not_an_upfront_purchase(commitments):
    assert commitments[SP2.lower()] == ("spo2", "Savings Plan", "Spend", D(600), datetime(2026, 8, 12),
                                        datetime(2027, 8, 12), "1 Year", "No Upfront", "Monthly", D(0), "Active", "USD",
                                        "Microsoft")
    # the payments are Recurring in the line items (and so in finops.focus); an upfront purchase stays One-Time
    assert q("SELECT CommitmentDiscountId, groupUniqArray(ChargeFrequency) FROM finops.int_azure__cost_line_items "
             f"WHERE CommitmentDiscountId IN ('{SP2.lower()}', '{R1.lower()}') GROUP BY 1 ORDER BY 1") == [
        (SP2.lower(), ["Recurring"]), (R1.lower(), ["One-Time"])]


def test_a_commitment_without_a_known_start_or_term_is_left_out(commitments):
    # r2's first payment precedes the loaded months; r5 has no x_SkuTerm; r6's purchase precedes them
    # CommitmentDiscountId is lower-cased for Azure (its ids are case-insensitive: int_azure__cost_line_items)
    assert set(commitments) == {c.lower() for c in (R1, SP1, R3, R4, SP2)}


def test_azure_commitments_keep_the_dataset_unique_and_non_nullable_columns_filled(commitments):
    assert q("SELECT count(), uniqExact(ContractCommitmentId) FROM finops.focus_contract_commitments") == [(5, 5)]
    nulls = q("SELECT countIf(ContractCommitmentCreated IS NULL OR ContractCommitmentLastUpdated IS NULL "
              "OR ContractPeriodStart IS NULL OR ContractPeriodEnd IS NULL) FROM finops.focus_contract_commitments")
    assert nulls == [(0,)]
    last = q("SELECT DISTINCT ContractCommitmentLastUpdated FROM finops.focus_contract_commitments")
    newest = q("SELECT max(ChargePeriodEnd) FROM finops.int_azure__cost_line_items")
    assert last == newest
