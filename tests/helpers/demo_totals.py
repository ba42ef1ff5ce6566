"""The demo's sample sizes and its totals per month recomputed straight from the generators' output: what
`make demo` (tests/runners) and the integration suite must print and store, to the cent."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from standins.sample_data.aws import generate_cur2_month
from standins.sample_data.azure import generate_focus_month
from standins.sample_data.gcp import generate_billing_rows
from standins.sample_data.stripe import generate_stripe_data

AWS_ROWS, GCP_ROWS, CUSTOMERS, AZURE_ROWS = 1_500, 60, 25, 300
CENT = Decimal("0.01")


def independent_totals(months):
    """Exact cost and revenue per month straight from the generators' output (rounded only when compared)."""
    totals = defaultdict(lambda: defaultdict(Decimal))
    for period in months:
        for cost in generate_cur2_month(period, AWS_ROWS, commitments=True)["line_item_unblended_cost"].to_pylist():
            totals[period]["aws_cost"] += Decimal(str(cost))
    for row in generate_billing_rows(months, rows_per_month=GCP_ROWS):
        month = row["invoice"]["month"][:4] + "-" + row["invoice"]["month"][4:]
        totals[month]["gcp_cost"] += Decimal(str(row["cost"])) + sum(Decimal(str(c["amount"])) for c in row["credits"])
    # the demo exports Azure's newest month only
    for cost in generate_focus_month(months[-1], AZURE_ROWS)["BilledCost"].to_pylist():
        totals[months[-1]]["azure_cost"] += Decimal(str(cost))
    for txn in generate_stripe_data(months, customers=CUSTOMERS)["balance_transactions"]:
        month = datetime.fromtimestamp(txn["created"], UTC).strftime("%Y-%m")
        # revenue before fees; processing fees and Stripe's own fees (category `fee`) are a cost line
        if txn["reporting_category"] == "fee":
            totals[month]["fees"] -= Decimal(txn["amount"]) / 100
        else:
            totals[month]["revenue"] += Decimal(txn["amount"]) / 100
        totals[month]["fees"] += Decimal(txn["fee"]) / 100
    return totals


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)
