"""The columns of each raw Stripe table: name, kind and where the value comes from in the API object."""

from __future__ import annotations

from typing import Any

from .currency import currency_exponent
from .flatten import Column, decimal_text, get_path, object_id


def _exponent(obj: dict) -> int | None:
    return currency_exponent(obj.get("currency"))


def _sub_period(obj: dict, which: str) -> Any:
    """A subscription's current period: top-level on old API versions, on its items since 2025-03."""
    if obj.get(which) is not None:
        return obj[which]
    values = [item.get(which) for item in (get_path(obj, "items.data") or []) if item.get(which) is not None]
    if not values:
        return None
    return min(values) if which.endswith("start") else max(values)


def _invoice_subscription(obj: dict) -> Any:
    return object_id(obj.get("subscription")) or get_path(obj, "parent.subscription_details.subscription")


def _invoice_payments(obj: dict) -> list[dict] | None:
    """What paid the invoice through Stripe, as [{charge, payment_intent, status, amount_paid}]: the invoice's
    `payments` (Invoice Payment objects, listed with expand[]=data.payments on current API versions) or, on API
    versions before 2025-03-31, its top-level `charge` / `payment_intent`. None when the object has neither
    (not expanded): the SQL then cannot tell the settlement currency."""
    payments = get_path(obj, "payments.data")
    if payments is not None:
        return [{"charge": object_id(get_path(p, "payment.charge")),
                 "payment_intent": object_id(get_path(p, "payment.payment_intent")),
                 "status": p.get("status"), "amount_paid": p.get("amount_paid")} for p in payments]
    charge, intent = object_id(obj.get("charge")), object_id(obj.get("payment_intent"))
    if charge is None and intent is None:
        return None
    return [{"charge": charge, "payment_intent": intent, "status": "paid", "amount_paid": obj.get("amount_paid")}]


LOADED_AT: Column = ("_loaded_at", "ts", lambda o: None)  # filled per run through `extra`

# --------------------------------------------------------------------------------------- table columns
BALANCE_TRANSACTION_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("type", "str", "type"),
    ("reporting_category", "str", "reporting_category"),
    ("amount", "int", "amount"),
    ("fee", "int", "fee"),
    ("net", "int", "net"),
    ("currency", "str", "currency"),
    ("currency_exponent", "int", _exponent),
    ("exchange_rate", "float", "exchange_rate"),
    ("fee_details", "json", "fee_details"),
    ("source", "str", "source"),
    ("status", "str", "status"),
    ("description", "str", "description"),
    ("created", "ts", "created"),
    ("available_on", "ts", "available_on"),
    LOADED_AT,
]

CHARGE_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("customer", "str", "customer"),
    ("amount", "int", "amount"),
    ("amount_captured", "int", "amount_captured"),
    ("amount_refunded", "int", "amount_refunded"),
    ("currency", "str", "currency"),
    ("currency_exponent", "int", _exponent),
    ("status", "str", "status"),
    ("paid", "bool", "paid"),
    ("captured", "bool", "captured"),
    ("refunded", "bool", "refunded"),
    ("disputed", "bool", "disputed"),
    ("balance_transaction", "str", "balance_transaction"),
    ("payment_intent", "str", "payment_intent"),
    ("invoice", "str", "invoice"),
    ("description", "str", "description"),
    ("failure_code", "str", "failure_code"),
    ("outcome_type", "str", "outcome.type"),
    ("payment_method_type", "str", "payment_method_details.type"),
    ("metadata", "json", "metadata"),
    ("livemode", "bool", "livemode"),
    ("created", "ts", "created"),
    LOADED_AT,
]

REFUND_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("charge", "str", "charge"),
    ("payment_intent", "str", "payment_intent"),
    ("amount", "int", "amount"),
    ("currency", "str", "currency"),
    ("currency_exponent", "int", _exponent),
    ("balance_transaction", "str", "balance_transaction"),
    ("reason", "str", "reason"),
    ("status", "str", "status"),
    ("metadata", "json", "metadata"),
    ("created", "ts", "created"),
    LOADED_AT,
]

DISPUTE_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("charge", "str", "charge"),
    ("payment_intent", "str", "payment_intent"),
    ("amount", "int", "amount"),
    ("currency", "str", "currency"),
    ("currency_exponent", "int", _exponent),
    ("reason", "str", "reason"),
    ("status", "str", "status"),
    ("is_charge_refundable", "bool", "is_charge_refundable"),
    ("balance_transactions", "json", lambda o: [object_id(t) for t in o.get("balance_transactions") or []]),
    ("evidence_due_by", "ts", "evidence_details.due_by"),
    ("metadata", "json", "metadata"),
    ("livemode", "bool", "livemode"),
    ("created", "ts", "created"),
    LOADED_AT,
]

INVOICE_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("customer", "str", "customer"),
    ("subscription", "str", _invoice_subscription),
    ("number", "str", "number"),
    ("status", "str", "status"),
    ("billing_reason", "str", "billing_reason"),
    ("collection_method", "str", "collection_method"),
    ("currency", "str", "currency"),
    ("currency_exponent", "int", _exponent),
    ("amount_due", "int", "amount_due"),
    ("amount_paid", "int", "amount_paid"),
    ("amount_remaining", "int", "amount_remaining"),
    ("subtotal", "int", "subtotal"),
    ("total", "int", "total"),
    ("total_excluding_tax", "int", "total_excluding_tax"),
    ("period_start", "ts", "period_start"),
    ("period_end", "ts", "period_end"),
    ("finalized_at", "ts", "status_transitions.finalized_at"),
    ("paid_at", "ts", "status_transitions.paid_at"),
    ("voided_at", "ts", "status_transitions.voided_at"),
    ("marked_uncollectible_at", "ts", "status_transitions.marked_uncollectible_at"),
    ("lines", "json", "lines.data"),
    ("lines_has_more", "bool", "lines.has_more"),
    ("discounts", "json", "discounts"),
    ("metadata", "json", "metadata"),
    ("livemode", "bool", "livemode"),
    ("created", "ts", "created"),
    # added later (older rows read NULL): how the invoice was paid
    ("paid_out_of_band", "bool", "paid_out_of_band"),
    ("payments", "json", _invoice_payments),
    LOADED_AT,
]

def _credit_note_total_excluding_tax(obj: dict) -> Any:
    """The credit note's total less all its taxes (inclusive and exclusive), as Stripe's invoice defines
    total_excluding_tax: the API's `total_excluding_tax` when the object has it, else `total` less the
    amounts of `total_taxes` (API versions from 2025-03-31) or of `tax_amounts` (earlier ones). None when the
    object has neither (its tax is then unknown, not 0)."""
    if obj.get("total_excluding_tax") is not None:
        return obj["total_excluding_tax"]
    total = obj.get("total")
    for field in ("total_taxes", "tax_amounts"):
        taxes = obj.get(field)
        if total is not None and isinstance(taxes, list):
            return total - sum(int(t.get("amount") or 0) for t in taxes)
    return None


# Credit notes: what a credit note gives back on an invoice, before it was paid (pre_payment_amount: the
# invoice collects less) or after (post_payment_amount = refunded + credited to the customer balance +
# out_of_band_amount). The SQL gives the VAT of the non-void ones back (int_stripe__revenue_recognition).
CREDIT_NOTE_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("number", "str", "number"),
    ("invoice", "str", lambda o: object_id(o.get("invoice"))),
    ("customer", "str", lambda o: object_id(o.get("customer"))),
    ("status", "str", "status"),
    ("type", "str", "type"),
    ("reason", "str", "reason"),
    ("currency", "str", "currency"),
    ("currency_exponent", "int", _exponent),
    ("amount", "int", "amount"),
    ("subtotal", "int", "subtotal"),
    ("subtotal_excluding_tax", "int", "subtotal_excluding_tax"),
    ("total", "int", "total"),
    ("total_excluding_tax", "int", _credit_note_total_excluding_tax),
    ("pre_payment_amount", "int", "pre_payment_amount"),
    ("post_payment_amount", "int", "post_payment_amount"),
    ("out_of_band_amount", "int", "out_of_band_amount"),
    ("refunds", "json", "refunds"),  # [{amount_refunded, refund}]: the refunds the credit note made
    ("metadata", "json", "metadata"),
    ("livemode", "bool", "livemode"),
    ("effective_at", "ts", "effective_at"),
    ("voided_at", "ts", "voided_at"),
    ("created", "ts", "created"),
    LOADED_AT,
]

SUBSCRIPTION_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("customer", "str", "customer"),
    ("status", "str", "status"),
    ("currency", "str", "currency"),
    ("currency_exponent", "int", _exponent),
    ("collection_method", "str", "collection_method"),
    ("current_period_start", "ts", lambda o: _sub_period(o, "current_period_start")),
    ("current_period_end", "ts", lambda o: _sub_period(o, "current_period_end")),
    ("start_date", "ts", "start_date"),
    ("billing_cycle_anchor", "ts", "billing_cycle_anchor"),
    ("trial_start", "ts", "trial_start"),
    ("trial_end", "ts", "trial_end"),
    ("cancel_at", "ts", "cancel_at"),
    ("cancel_at_period_end", "bool", "cancel_at_period_end"),
    ("canceled_at", "ts", "canceled_at"),
    ("ended_at", "ts", "ended_at"),
    ("cancellation_reason", "str", "cancellation_details.reason"),
    ("cancellation_feedback", "str", "cancellation_details.feedback"),
    ("latest_invoice", "str", "latest_invoice"),
    ("items", "json", "items.data"),
    ("discounts", "json", "discounts"),
    ("metadata", "json", "metadata"),
    ("livemode", "bool", "livemode"),
    ("created", "ts", "created"),
    LOADED_AT,
]

# One row per subscription item: price, quantity and interval in plain columns for MRR SQL.
SUBSCRIPTION_ITEM_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("subscription", "str", "subscription"),
    ("customer", "str", "_customer"),
    ("subscription_status", "str", "_status"),
    ("price", "str", "price.id"),
    ("product", "str", "price.product"),
    ("quantity", "int", "quantity"),
    ("unit_amount", "int", "price.unit_amount"),
    ("currency", "str", "price.currency"),
    ("currency_exponent", "int", lambda o: currency_exponent(get_path(o, "price.currency"))),
    ("recurring_interval", "str", "price.recurring.interval"),
    ("recurring_interval_count", "int", "price.recurring.interval_count"),
    ("recurring_usage_type", "str", "price.recurring.usage_type"),
    ("current_period_start", "ts", "current_period_start"),
    ("current_period_end", "ts", "current_period_end"),
    ("metadata", "json", "metadata"),
    ("created", "ts", "created"),
    LOADED_AT,
]

CUSTOMER_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("currency", "str", "currency"),
    ("currency_exponent", "int", _exponent),
    ("delinquent", "bool", "delinquent"),
    ("balance", "int", "balance"),
    ("tax_exempt", "str", "tax_exempt"),
    ("metadata", "json", "metadata"),
    ("livemode", "bool", "livemode"),
    ("created", "ts", "created"),
    LOADED_AT,
]
# Personal data, only with `include_customer_pii=True`.
CUSTOMER_PII_COLUMNS: list[Column] = [
    ("name", "str", "name"),
    ("email", "str", "email"),
    ("phone", "str", "phone"),
    ("description", "str", "description"),
    ("address", "json", "address"),
    ("shipping", "json", "shipping"),
]

PRODUCT_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("name", "str", "name"),
    ("active", "bool", "active"),
    ("type", "str", "type"),
    ("default_price", "str", "default_price"),
    ("unit_label", "str", "unit_label"),
    ("metadata", "json", "metadata"),
    ("livemode", "bool", "livemode"),
    ("created", "ts", "created"),
    ("updated", "ts", "updated"),
    LOADED_AT,
]

PRICE_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("product", "str", "product"),
    ("active", "bool", "active"),
    ("type", "str", "type"),
    ("billing_scheme", "str", "billing_scheme"),
    ("currency", "str", "currency"),
    ("currency_exponent", "int", _exponent),
    ("unit_amount", "int", "unit_amount"),
    ("unit_amount_decimal", "str", "unit_amount_decimal"),
    ("recurring_interval", "str", "recurring.interval"),
    ("recurring_interval_count", "int", "recurring.interval_count"),
    ("recurring_usage_type", "str", "recurring.usage_type"),
    ("tiers_mode", "str", "tiers_mode"),
    ("lookup_key", "str", "lookup_key"),
    ("nickname", "str", "nickname"),
    ("tax_behavior", "str", "tax_behavior"),
    ("metadata", "json", "metadata"),
    ("livemode", "bool", "livemode"),
    ("created", "ts", "created"),
    # tiered prices (listed with expand[]=data.tiers) and package prices
    ("tiers", "json", "tiers"),
    ("transform_quantity_divide_by", "int", "transform_quantity.divide_by"),
    ("transform_quantity_round", "str", "transform_quantity.round"),
    # multi-currency prices (listed with expand[]=data.currency_options): {currency: {unit_amount,
    # unit_amount_decimal, tiers, ...}}, what a subscription in another currency than `currency` pays
    ("currency_options", "json", "currency_options"),
    LOADED_AT,
]

# Coupons (what a subscription's discounts point to): percent_off is kept as the API's decimal text.
COUPON_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("name", "str", "name"),
    ("percent_off", "str", lambda o: None if o.get("percent_off") is None else decimal_text(o["percent_off"])),
    ("amount_off", "int", "amount_off"),
    ("currency", "str", "currency"),
    ("currency_exponent", "int", _exponent),
    ("duration", "str", "duration"),
    ("duration_in_months", "int", "duration_in_months"),
    ("applies_to", "json", "applies_to"),  # {products: [...]} (listed with expand[]=data.applies_to)
    # an amount_off coupon's amount in other currencies (listed with expand[]=data.currency_options):
    # {currency: {amount_off}}, what a subscription in another currency than `currency` gets off
    ("currency_options", "json", "currency_options"),
    ("valid", "bool", "valid"),
    ("metadata", "json", "metadata"),
    ("livemode", "bool", "livemode"),
    ("created", "ts", "created"),
    LOADED_AT,
]


def _event_subscription(event: dict) -> Any:
    obj = get_path(event, "data.object") or {}
    if obj.get("object") == "subscription":
        return obj.get("id")
    if obj.get("object") == "invoice":
        return _invoice_subscription(obj)
    return object_id(obj.get("subscription"))


# Events: one row per event, the object as it was right after the change and the attributes it had
# before (`previous_attributes`, on *.updated events), so the SQL can date every change.
EVENT_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("type", "str", "type"),
    ("api_version", "str", "api_version"),
    ("object_type", "str", "data.object.object"),
    ("object_id", "str", "data.object.id"),
    ("subscription", "str", _event_subscription),
    ("customer", "str", lambda o: object_id(get_path(o, "data.object.customer"))),
    ("object", "json", "data.object"),
    ("previous_attributes", "json", "data.previous_attributes"),
    ("request_id", "str", "request.id"),
    ("livemode", "bool", "livemode"),
    ("created", "ts", "created"),
    LOADED_AT,
]

# The event types the MRR history needs (the list endpoint takes up to 20 in `types`).
EVENT_TYPES: tuple[str, ...] = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.subscription.pending_update_applied",
    "customer.subscription.pending_update_expired",
    "customer.subscription.trial_will_end",
    "invoice.created",
    "invoice.finalized",
    "invoice.updated",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.voided",
    "invoice.marked_uncollectible",
)


def subscription_items(subscription: dict) -> list[dict]:
    """The subscription's items, each annotated with its subscription's customer and status."""
    items = []
    for item in get_path(subscription, "items.data") or []:
        item = dict(item)
        item.setdefault("subscription", subscription.get("id"))
        item["_customer"] = object_id(subscription.get("customer"))
        item["_status"] = subscription.get("status")
        items.append(item)
    return items
