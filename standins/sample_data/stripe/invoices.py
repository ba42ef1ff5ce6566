"""Invoices with their lines and the charge that pays (or fails to pay) each."""

from __future__ import annotations

from datetime import UTC, datetime

from standins.sample_data.stripe.account import SampleAccount
from standins.sample_data.stripe.balance import balance_transaction
from standins.sample_data.stripe.clock import add_months
from standins.sample_data.stripe.events import event
from standins.sample_data.stripe.money import fixed_fee
from standins.sample_data.stripe.reversals import add_dispute, add_refund


def invoice_line(
    account: SampleAccount, sub_id: str, item_id: str, price: dict, quantity: int, amount: int, start: int, end: int,
    proration: bool = False,
) -> dict:
    """An invoice line of the pinned API version: a subscription item's period, or a proration
    (backed by an invoice item)."""
    if proration:
        parent = {
            "type": "invoice_item_details",
            "invoice_item_details": {
                "invoice_item": account.new_id("ii"),
                "proration": True,
                "proration_details": {"credited_items": None},
                "subscription": sub_id,
            },
            "subscription_item_details": None,
        }
        description = f"{'Unused' if amount < 0 else 'Remaining'} time on {quantity} × {price['nickname']}"
    else:
        parent = {
            "type": "subscription_item_details",
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": sub_id,
                "subscription_item": item_id,
            },
        }
        description = f"{quantity} × {price['nickname']}"
    return {
        "id": account.new_id("il"),
        "object": "line_item",
        "amount": amount,
        "currency": price["currency"],
        "description": description,
        "discount_amounts": [],
        "discountable": not proration,
        "discounts": [],
        "invoice": None,  # set by invoice()
        "livemode": False,
        "metadata": {},
        "parent": parent,
        "period": {"end": end, "start": start},
        "pricing": {
            "type": "price_details",
            "price_details": {"price": price["id"], "product": price["product"]},
            "unit_amount_decimal": str(price["unit_amount"]),
        },
        "quantity": quantity,
        "taxes": [],
    }


def add_invoice(account: SampleAccount, customer: dict, sub: dict, lines: list[dict], number: int, p_start: int, p_end: int) -> bool:
    """One paid (or failed) subscription invoice with its charge; returns True if payment failed."""
    rng = account.rng
    currency = customer["currency"]
    amount = sum(line["amount"] for line in lines)
    created = p_start
    finalized = created + 3600
    charge_at = finalized + rng.randint(1, 600)
    failed = rng.random() < account.failure_rate
    inv_id = account.new_id("in")
    customer["next_invoice_sequence"] = number + 1
    interval = sub["items"]["data"][0]["price"]["recurring"]["interval"]
    charge_id = account.new_id("ch")
    month = datetime.fromtimestamp(created, UTC).strftime("%Y-%m")
    invoice = {
        "id": inv_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "Acme Cloud Inc.",
        "amount_due": amount,
        "amount_overpaid": 0,
        "amount_paid": 0 if failed else amount,
        "amount_remaining": amount if failed else 0,
        "amount_shipping": 0,
        "attempt_count": 1,
        "attempted": True,
        "auto_advance": failed,
        "billing_reason": "subscription_create" if number == 1 else "subscription_cycle",
        "collection_method": "charge_automatically",
        "created": created,
        "currency": currency,
        "customer": customer["id"],
        "customer_email": customer["email"],
        "customer_name": customer["name"],
        "description": None,
        "discounts": [],
        "due_date": None,
        "ending_balance": 0,
        "hosted_invoice_url": None,
        "lines": {
            "object": "list",
            "has_more": False,
            "total_count": len(lines),
            "url": f"/v1/invoices/{inv_id}/lines",
            "data": [dict(line, invoice=inv_id) for line in lines],
        },
        "livemode": False,
        "metadata": {},
        "number": f"{customer['invoice_prefix']}-{number:04d}",
        "parent": {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {"metadata": {}, "subscription": sub["id"]},
        },
        "period_end": created,
        "period_start": created if number == 1 else add_months(created, -(12 if interval == "year" else 1)),
        "starting_balance": 0,
        "status": "open" if failed else "paid",
        "status_transitions": {
            "finalized_at": finalized,
            "marked_uncollectible_at": None,
            "paid_at": None if failed else charge_at,
            "voided_at": None,
        },
        "subtotal": amount,
        "subtotal_excluding_tax": amount,
        "total": amount,
        "total_discount_amounts": [],
        "total_excluding_tax": amount,
        "total_taxes": [],
        "webhooks_delivered_at": finalized,
    }
    sub["latest_invoice"] = inv_id
    account.out["invoices"].append(invoice)
    txn = None
    if not failed:
        fee = round(amount * 0.029) + fixed_fee(currency)
        txn = balance_transaction(account,
            amount=amount,
            fee=fee,
            currency=currency,
            created=charge_at,
            type_="charge",
            category="charge",
            source=charge_id,
            description="Subscription creation" if number == 1 else "Subscription update",
        )
        key = (month, currency)
        account.volume[key] = account.volume.get(key, 0) + amount
        event(account, "invoice.paid", invoice, charge_at)
    pm = customer["invoice_settings"]["default_payment_method"]
    charge = {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": 0 if failed else amount,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": txn["id"] if txn else None,
        "billing_details": {
            "address": customer["address"],
            "email": customer["email"],
            "name": customer["name"],
            "phone": customer["phone"],
        },
        "calculated_statement_descriptor": "ACMECLOUD",
        "captured": not failed,
        "created": charge_at,
        "currency": currency,
        "customer": customer["id"],
        "description": "Subscription creation" if number == 1 else "Subscription update",
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": "card_declined" if failed else None,
        "failure_message": "Your card was declined." if failed else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": {},
        "outcome": {
            "network_status": "declined_by_network" if failed else "approved_by_network",
            "reason": "generic_decline" if failed else None,
            "risk_level": "normal",
            "risk_score": rng.randint(5, 60),
            "seller_message": "The bank did not return any further details with this decline."
            if failed
            else "Payment complete.",
            "type": "issuer_declined" if failed else "authorized",
        },
        "paid": not failed,
        "payment_intent": account.new_id("pi"),
        "payment_method": pm,
        "payment_method_details": {
            "card": {
                "brand": "visa",
                "country": customer["address"]["country"],
                "exp_month": rng.randint(1, 12),
                "exp_year": 2029,
                "funding": "credit",
                "last4": "4242",
                "network": "visa",
            },
            "type": "card",
        },
        "receipt_email": None,
        "receipt_url": None,
        "refunded": False,
        "refunds": None,
        "review": None,
        "shipping": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "failed" if failed else "succeeded",
        "transfer_data": None,
        "transfer_group": None,
    }
    account.out["charges"].append(charge)
    if not failed:
        if rng.random() < account.refund_rate:
            add_refund(account, charge)
        elif rng.random() < account.dispute_rate:
            add_dispute(account, charge)
    return failed
