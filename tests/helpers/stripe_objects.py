"""Stripe API objects as the list endpoints return them, for the Stripe SQL tests (written to the raw tables by
tests.transform.raw.write_stripe_objects). Amounts in minor units; days as 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SS' (UTC)."""

from __future__ import annotations

from datetime import datetime


def ts(day: str) -> int:
    """Unix seconds of a UTC day (midnight) or time."""
    if "T" not in day:
        day += "T00:00:00"
    return int(datetime.fromisoformat(day + "+00:00").timestamp())


def txn(txn_id, amount, currency, day, source=None, exchange_rate=None, category="charge", fee=0):
    """A balance transaction (the ledger) of `category` (its type and reporting category)."""
    return {"id": txn_id, "object": "balance_transaction", "type": category, "reporting_category": category,
            "amount": amount, "fee": fee, "net": amount - fee, "currency": currency, "exchange_rate": exchange_rate,
            "source": source, "created": ts(day)}


def monthly_price(price_id, amount, active=True, **extra):
    """A licensed USD price of `amount` a month (per unit; None: no unit_amount), `extra` fields overriding."""
    obj = {"id": price_id, "object": "price", "active": active, "currency": "usd", "unit_amount": amount,
           "unit_amount_decimal": None if amount is None else str(amount), "type": "recurring",
           "billing_scheme": "per_unit", "product": "prod_" + price_id, "created": ts("2026-01-01"),
           "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"}}
    obj.update(extra)
    return obj


def charge(charge_id, amount, currency, day, balance_transaction, payment_intent=None):
    """A succeeded, captured charge settled by `balance_transaction`."""
    return {"id": charge_id, "object": "charge", "amount": amount, "amount_captured": amount, "currency": currency,
            "status": "succeeded", "paid": True, "captured": True, "balance_transaction": balance_transaction,
            "payment_intent": payment_intent, "invoice": None, "created": ts(day)}


def refund(refund_id, charge_id, amount, day, balance_transaction, status="succeeded", currency="usd"):
    """A refund of `amount` of charge `charge_id`, settled by `balance_transaction`."""
    return {"id": refund_id, "object": "refund", "amount": amount, "charge": charge_id, "currency": currency,
            "balance_transaction": balance_transaction, "status": status, "created": ts(day)}


def line(amount, start, end=None):
    """An invoice line item for the period start..end (start alone: an instant)."""
    return {"object": "line_item", "amount": amount, "period": {"start": ts(start), "end": ts(end or start)},
            "discount_amounts": []}


def invoice(invoice_id, currency, subtotal, tax, paid_on, lines=None, **extra):
    """A paid invoice of `subtotal` + `tax` (exclusive), customer cus_1; `lines` default to one line of the subtotal
    at the payment; `extra` sets or overrides fields."""
    obj = {"id": invoice_id, "object": "invoice", "customer": "cus_1", "currency": currency, "status": "paid",
           "created": ts(paid_on), "total": subtotal + tax, "subtotal": subtotal, "total_excluding_tax": subtotal,
           "amount_due": subtotal + tax, "amount_paid": subtotal + tax, "amount_remaining": 0,
           "status_transitions": {"paid_at": ts(paid_on), "finalized_at": ts(paid_on)},
           "lines": {"object": "list", "has_more": False,
                     "data": lines if lines is not None else [line(subtotal, paid_on)]}}
    obj.update(extra)
    return obj


def paid_by(payment_intent=None, charge_id=None, amount=0, currency="eur"):
    """The invoice's `payments` (expand[]=data.payments): one paid Invoice Payment."""
    kind = "payment_intent" if payment_intent else "charge"
    return {"object": "list", "has_more": False, "data": [
        {"id": "inpay_1", "object": "invoice_payment", "amount_paid": amount, "amount_requested": amount,
         "currency": currency, "is_default": True, "status": "paid",
         "payment": {"type": kind, "payment_intent": payment_intent, "charge": charge_id}}]}
