"""Balance transactions, and the monthly Billing usage fee booked as one."""

from __future__ import annotations

from datetime import UTC, datetime

from standins.sample_data.stripe.account import SampleAccount
from standins.sample_data.stripe.clock import DAY, add_months, midnight, month_start
from standins.sample_data.stripe.money import CURRENCIES


def balance_transaction(
    account: SampleAccount,
    *,
    amount: int,
    fee: int,
    currency: str,
    created: int,
    type_: str,
    category: str,
    source: str | None,
    description: str | None,
    fee_details: list[dict] | None = None,
) -> dict:
    available_on = midnight(created) + 2 * DAY
    txn = {
        "id": account.new_id("txn"),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": available_on,
        "balance_type": "payments",
        "created": created,
        "currency": currency,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": fee_details
        if fee_details is not None
        else (
            [
                {
                    "amount": fee,
                    "application": None,
                    "currency": currency,
                    "description": "Stripe processing fees",
                    "type": "stripe_fee",
                }
            ]
            if fee
            else []
        ),
        "net": amount - fee,
        "reporting_category": category,
        "source": source,
        "status": "available" if available_on <= account.end else "pending",
        "type": type_,
    }
    account.out["balance_transactions"].append(txn)
    return txn


def add_billing_fees(account: SampleAccount) -> None:
    for (month, currency), volume in sorted(account.volume.items()):
        if month not in account.months:
            continue
        start = int(month_start(month).timestamp())
        last_day = add_months(start, 1) - DAY
        amount = round(volume * 0.007)
        if CURRENCIES[currency][0] == 3:
            amount -= amount % 10
        if amount:
            balance_transaction(account,
                amount=-amount,
                fee=0,
                currency=currency,
                created=last_day + 12 * 3600,
                type_="stripe_fee",
                category="fee",
                source=None,
                fee_details=[],
                description=f"Billing - Usage Fee ({month}-01 - {datetime.fromtimestamp(last_day, UTC):%Y-%m-%d})",
            )
