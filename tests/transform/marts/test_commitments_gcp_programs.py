"""GCP committed use discounts of both programs on one export row: usage covered partly by a resource-based CUD and
partly by a spend-based (flexible, credit model) one carries both credit types, COMMITTED_USAGE_DISCOUNT and
COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE. Each credit belongs to its own program's pool, whichever export is read.

One hour of N2 cores in us-central1, on-demand 100, credits -40 (resource-based) and -45 (spend-based); fees 20
(resource-based) and 30 (spend-based):

  resource-based/us-central1: fee 20, covered on-demand 40, realized savings 40 - 20 = 20
  spend-based:                fee 30, covered on-demand 45, realized savings 45 - 30 = 15

(The whole row went to the resource-based pool before: covered 85 and savings 65 there, covered 0 and savings -30 in
the spend-based pool.)
"""

import json
from datetime import UTC, datetime
from decimal import Decimal

from tests.helpers.transform import run, utilization_by_commitment
from tests.transform import raw

D = Decimal
ACCOUNT = "01A2B3-C4D5E6-F7A8B9"
RESOURCE_POOL = f"gcp-cud/{ACCOUNT}/resource-based/us-central1"
SPEND_POOL = f"gcp-cud/{ACCOUNT}/spend-based"
EXPECTED = {RESOURCE_POOL: (D(20), D(40), D(20)), SPEND_POOL: (D(30), D(45), D(15))}
RESOURCE_FEE = "Commitment v1: Cpu in Americas for 1 Year"
SPEND_FEE = "Commitment - dollar based v1: GCE for 1 year"
USAGE = "N2 Instance Core running in Americas"
BOTH_CREDITS = [("COMMITTED_USAGE_DISCOUNT", -40.0), ("COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE", -45.0)]


def pools() -> dict[str, tuple]:
    return {key.split(" ")[1]: (fees, covered, savings)
            for key, (_, _, _, fees, covered, savings, *_) in utilization_by_commitment("gcp").items()}


def test_billing_export_row_with_both_cud_credit_types_splits_them_by_program(data_dir):
    raw.write_gcp_rows(data_dir, [
        raw.gcp_row("2026-09", 20.0, sku_description=RESOURCE_FEE, row_key="fee-r"),
        raw.gcp_row("2026-09", 30.0, sku_description=SPEND_FEE, row_key="fee-s"),
        raw.gcp_row("2026-09", 100.0, BOTH_CREDITS, sku_description=USAGE, row_key="usage"),
    ])
    run("gcp")
    assert pools() == EXPECTED


def _focus_row(key: str, description: str, category: str, cost: str, credits=()) -> dict:
    start = datetime(2026, 9, 1, 5, tzinfo=UTC)
    return {"row_key": key, "invoice_month": "202609", "BillingAccountId": ACCOUNT, "BillingCurrency": "USD",
            "BillingPeriodStart": datetime(2026, 9, 1, tzinfo=UTC), "BillingPeriodEnd": datetime(2026, 10, 1, tzinfo=UTC),
            "ChargePeriodStart": start, "ChargePeriodEnd": start.replace(hour=6), "ChargeCategory": category,
            "ChargeDescription": description, "ServiceName": "Compute Engine", "RegionId": "us-central1",
            "SubAccountId": "shop-prod", "BilledCost": cost, "ContractedCost": cost, "EffectiveCost": cost,
            "ListCost": cost, "x_ExportTime": start.replace(day=2),
            "x_Credits": json.dumps([{"Amount": str(amount), "Type": kind, "Name": kind.title()}
                                     for kind, amount in credits])}


def test_focus_export_row_with_both_cud_credit_types_splits_them_by_program(data_dir):
    # the loader always loads the billing export; this account's rows there are another account's
    raw.write_gcp_rows(data_dir, [raw.gcp_row("2026-09", 1.0, billing_account_id="0A0A0A-0B0B0B-0C0C0C", row_key="x")])
    raw.write_gcp_focus_rows(data_dir, [
        _focus_row("fee-r", RESOURCE_FEE, "Purchase", "20"),
        _focus_row("fee-s", SPEND_FEE, "Purchase", "30"),
        _focus_row("usage", USAGE, "Usage", "100", BOTH_CREDITS),
    ])
    run("gcp")
    assert pools() == EXPECTED
