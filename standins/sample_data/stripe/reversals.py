"""What reverses a paid charge: refunds and disputes (with the dispute fee, refunded when won)."""

from __future__ import annotations

import json

from standins.sample_data.stripe.account import SampleAccount
from standins.sample_data.stripe.balance import balance_transaction
from standins.sample_data.stripe.clock import DAY
from standins.sample_data.stripe.money import CURRENCIES, minor_amount


def add_refund(account: SampleAccount, charge: dict) -> None:
    created = charge["created"] + account.rng.randint(1, 10) * DAY + account.rng.randint(0, 3600)
    if created >= account.end:
        return
    amount = charge["amount"] if account.rng.random() < 0.7 else charge["amount"] // 2
    if CURRENCIES[charge["currency"]][0] == 3:
        amount -= amount % 10
    refund_id = account.new_id("re")
    txn = balance_transaction(account,
        amount=-amount,
        fee=0,
        currency=charge["currency"],
        created=created,
        type_="refund",
        category="refund",
        source=refund_id,
        description="REFUND FOR CHARGE (Subscription update)",
    )
    account.out["refunds"].append(
        {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": txn["id"],
            "charge": charge["id"],
            "created": created,
            "currency": charge["currency"],
            "destination_details": {"card": {"reference_status": "available", "type": "refund"}, "type": "card"},
            "metadata": {},
            "payment_intent": charge["payment_intent"],
            "reason": "requested_by_customer",
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }
    )
    charge["amount_refunded"] = amount
    charge["refunded"] = amount == charge["amount"]


def add_dispute(account: SampleAccount, charge: dict) -> None:
    rng = account.rng
    created = charge["created"] + rng.randint(5, 30) * DAY
    if created >= account.end:
        return
    currency = charge["currency"]
    dispute_fee = minor_amount(15, currency)
    dispute_id = account.new_id("dp")
    status = rng.choice(["lost", "won", "needs_response"]) if created + 20 * DAY < account.end else "needs_response"
    txns = [
        balance_transaction(account,
            amount=-charge["amount"],
            fee=dispute_fee,
            currency=currency,
            created=created,
            type_="adjustment",
            category="dispute",
            source=dispute_id,
            description=f"Chargeback withdrawal for {charge['id']}",
            fee_details=[
                {
                    "amount": dispute_fee,
                    "application": None,
                    "currency": currency,
                    "description": "Dispute fee",
                    "type": "stripe_fee",
                }
            ],
        )
    ]
    if status == "won":
        txns.append(
            balance_transaction(account,
                amount=charge["amount"],
                fee=-dispute_fee,
                currency=currency,
                created=created + 20 * DAY,
                type_="adjustment",
                category="dispute_reversal",
                source=dispute_id,
                description=f"Chargeback reversal for {charge['id']}",
                fee_details=[
                    {
                        "amount": -dispute_fee,
                        "application": None,
                        "currency": currency,
                        "description": "Dispute fee refund",
                        "type": "stripe_fee",
                    }
                ],
            )
        )
    account.out["disputes"].append(
        {
            "id": dispute_id,
            "object": "dispute",
            "amount": charge["amount"],
            "balance_transactions": json.loads(json.dumps(txns)),
            "charge": charge["id"],
            "created": created,
            "currency": currency,
            "enhanced_eligibility_types": [],
            "evidence_details": {
                "due_by": created + 21 * DAY,
                "has_evidence": status != "needs_response",
                "past_due": False,
                "submission_count": 0 if status == "needs_response" else 1,
            },
            "is_charge_refundable": False,
            "livemode": False,
            "metadata": {},
            "payment_intent": charge["payment_intent"],
            "reason": rng.choice(["fraudulent", "product_not_received", "subscription_canceled"]),
            "status": status,
        }
    )
    charge["disputed"] = True
