"""GCP committed use discounts from Google's CUD metadata export, through int_gcp__cud_commitments into the FOCUS
Contract Commitment dataset (finops.focus_contract_commitments), snapshot after snapshot, with hand figures.

Billing account A bills in USD, B in EUR (their billing export rows); C has no cost rows loaded.
Snapshot 1: flex (A, no region, 10.5 USD/hour, P1Y 2026-01-01..2027-01-01: 10.5 x 8,760 h = 91,980), sql (A, 2.25 USD per
hour, P3Y 2024-03-01..2027-03-01: 1,095 days = 26,280 h, 59,130), old (A, 1 USD, expired 2025: 8,760), eur (B: a
USD amount on a EUR account: no cost), vcpu (A, a resource unit: no cost, Usage), half (C, 1 USD/hour, P6M
2026-06-01..2026-12-01: 183 days = 4,392 h, in USD, the amount's currency).
Snapshot 2 repeats snapshot 1; snapshot 3 cancels flex; a failed load's snapshot is ignored; snapshot 4 is empty.
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.fixtures.local_data import module_data_dir
from tests.helpers.transform import one, q, run
from tests.transform import raw

A, B, C = "01A2B3-C4D5E6-F7A8B9", "0B0B0B-EEEEEE-000001", "0C0C0C-CCCCCC-000002"
D = Decimal


def at(year: int, month: int, day: int = 1) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def cud(instance: str, account: str, unit: str, value: str, term: str, start: datetime, end: datetime,
        state: str = "Active", product: str = "Flexible CUD", kind: str = "Spend-Based") -> dict:
    return {"billing_account_id": account, "cud_product_id": f"product-{instance}", "cud_product_display_name": product,
            "cud_product_type": kind, "consumption_model_id": "5515-81A8-03A2",
            "consumption_model_description": f"{product} - {term}", "subscription_entitlement_scope": f"billingAccounts/{account}",
            "subscription_instance_id": instance, "subscription_display_name": f"{instance} commitment",
            "region": "us-central1", "commitment_amount_unit": unit, "commitment_amount_value": value, "term": term,
            "start_time": start, "end_time": end, "state": state}


SNAPSHOT = [
    dict(cud("flex", A, "USD/hour", "10.5", "P1Y", at(2026, 1), at(2027, 1)), region=None),  # global: no region
    cud("sql", A, "USD per hour", "2.25", "P3Y", at(2024, 3), at(2027, 3), product="Cloud SQL CUD"),
    cud("old", A, "USD", "1", "P1Y", at(2025, 1), at(2026, 1), state="Expired"),
    cud("eur", B, "USD/hour", "3", "P1Y", at(2026, 2), at(2027, 2)),
    cud("vcpu", A, "vCPU", "4", "P3Y", at(2026, 4), at(2029, 4), product="Compute Engine CUD", kind="Resource-Based"),
    cud("half", C, "USD/hour", "1", "P6M", at(2026, 6), at(2026, 12)),
]
COLUMNS = ["ContractCommitmentId", "BillingCurrency", "ContractCommitmentCategory", "ContractCommitmentCost",
           "ContractCommitmentDurationType", "ContractCommitmentLifecycleStatus", "ContractCommitmentPeriodStart",
           "ContractCommitmentPeriodEnd", "ContractCommitmentType", "ContractCommitmentDescription",
           "ContractCommitmentPaymentModel", "ContractCommitmentPaymentUpfrontPercentage", "ContractCommitmentLastUpdated",
           "ServiceProviderName"]


def loaded_at(load_id: str) -> datetime:
    return datetime.fromtimestamp(int(load_id.split(".")[0]), UTC).replace(tzinfo=None)


def gcp_rows() -> dict:
    return {r[0]: dict(zip(COLUMNS[1:], r[1:], strict=True)) for r in q(
        f"SELECT {', '.join(COLUMNS)} FROM finops.focus_contract_commitments WHERE ServiceProviderName = 'Google Cloud'")}


def last_gcp_change():
    return one("SELECT changed_periods FROM finops.sql_build_log WHERE target = 'gcp' ORDER BY built_at DESC LIMIT 1")


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory):
    """Each snapshot loaded and built (gcp, then the marts) in turn; what the tests read, recorded after each."""
    with module_data_dir(tmp_path_factory, "gcp_cud") as data_dir:
        raw.write_gcp_rows(data_dir, [raw.gcp_row("2026-09", 40.0, row_key="a-usd"),
                                      raw.gcp_row("2026-09", 12.0, billing_account_id=B, currency="EUR", row_key="b-eur")])
        run("gcp", periods="changed")
        seen = {}
        first = raw.write_gcp_cud_snapshot(data_dir, SNAPSHOT)
        run("gcp", periods="changed")
        seen["first"] = (first, gcp_rows(), last_gcp_change())
        raw.write_gcp_cud_snapshot(data_dir, SNAPSHOT)
        run("gcp", periods="changed")
        seen["same"] = (first, gcp_rows(), last_gcp_change())
        canceled = [dict(c, state="Canceled") if c["subscription_instance_id"] == "flex" else c for c in SNAPSHOT]
        third = raw.write_gcp_cud_snapshot(data_dir, canceled)
        run("gcp", periods="changed")
        seen["canceled"] = (third, gcp_rows(), last_gcp_change())
        raw.write_gcp_cud_snapshot(data_dir, SNAPSHOT[:1], completed=False)  # a load that failed half way
        run("gcp", periods="changed")
        seen["failed"] = (third, gcp_rows(), last_gcp_change())
        raw.write_gcp_cud_snapshot(data_dir, [])
        run("gcp", periods="changed")
        seen["empty"] = (None, gcp_rows(), last_gcp_change())
        yield seen


def test_each_commitment_with_its_term_cost_and_status(snapshots):
    load_id, rows, _ = snapshots["first"]
    assert set(rows) == {"flex", "sql", "old", "eur", "vcpu", "half"}
    common = {"ContractCommitmentPaymentModel": "No Upfront", "ContractCommitmentPaymentUpfrontPercentage": D(0),
              "ContractCommitmentLastUpdated": loaded_at(load_id), "ServiceProviderName": "Google Cloud"}
    assert rows["flex"] == {**common, "BillingCurrency": "USD", "ContractCommitmentCategory": "Spend",
                            "ContractCommitmentCost": D(91980), "ContractCommitmentDurationType": "1 Year",
                            "ContractCommitmentLifecycleStatus": "Active", "ContractCommitmentPeriodStart": datetime(2026, 1, 1),
                            "ContractCommitmentPeriodEnd": datetime(2027, 1, 1), "ContractCommitmentType": "Flexible CUD",
                            "ContractCommitmentDescription": "flex commitment"}
    assert rows["sql"]["ContractCommitmentCost"] == D(59130)
    assert rows["sql"]["ContractCommitmentDurationType"] == "3 Years"
    assert rows["sql"]["ContractCommitmentType"] == "Cloud SQL CUD"
    assert (rows["old"]["ContractCommitmentCost"], rows["old"]["ContractCommitmentLifecycleStatus"]) == (D(8760), "Expired")
    # a USD amount on a EUR-billed account: no cost in the billing currency
    assert (rows["eur"]["BillingCurrency"], rows["eur"]["ContractCommitmentCost"]) == ("EUR", None)
    # a unit that is not an hourly spend: no cost derived from it
    assert (rows["vcpu"]["ContractCommitmentCategory"], rows["vcpu"]["ContractCommitmentCost"]) == ("Usage", None)
    # an account without cost rows: the amount's currency
    assert (rows["half"]["BillingCurrency"], rows["half"]["ContractCommitmentCost"],
            rows["half"]["ContractCommitmentDurationType"]) == ("USD", D(4392), "6 Months")


def test_a_snapshot_that_changed_nothing_changes_nothing_for_the_marts(snapshots):
    _, first, changed_first = snapshots["first"]
    _, same, changed_same = snapshots["same"]
    assert same == first  # last updated stays the first snapshot's time
    assert changed_first is None  # new commitments: the marts take everything again
    assert changed_same == "[]"  # same rows: no month changed


def test_a_changed_commitment_is_updated_at_the_snapshot_that_changed_it(snapshots):
    first_load, first, _ = snapshots["first"]
    load_id, rows, changed = snapshots["canceled"]
    assert rows["flex"]["ContractCommitmentLifecycleStatus"] == "Canceled"
    assert rows["flex"]["ContractCommitmentLastUpdated"] == loaded_at(load_id) != loaded_at(first_load)
    assert {k: v for k, v in rows.items() if k != "flex"} == {k: v for k, v in first.items() if k != "flex"}
    assert changed is None


def test_a_failed_load_is_ignored_and_an_empty_snapshot_empties_the_commitments(snapshots):
    assert snapshots["failed"][1] == snapshots["canceled"][1]
    assert snapshots["empty"][1] == {}
