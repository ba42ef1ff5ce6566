"""Deterministic sample Stripe account data: a small SaaS with monthly and yearly plans.

`generate_stripe_data(["2026-07", "2026-08"])` returns `{object_type: [objects]}` for the object
types the Stripe stand-in serves (customers, products, prices, subscriptions, invoices, charges,
refunds, disputes, balance_transactions, events), shaped like the real API objects of the pinned
API version (for example a subscription's current period is on its items, an invoice's
subscription is under `parent.subscription_details`). Amounts are integers in the currency's minor
unit, as Stripe gives them (JPY has none, KWD has three).

Money model: each customer pays in one currency (chosen from `currencies`) and the account settles in
that same currency (balance transactions are in the charge's currency, `exchange_rate` null).
Processing fees are 2.9% + a fixed fee per successful charge, a Billing usage fee of 0.7% of the
month's billed volume is booked as a `stripe_fee` balance transaction on the month's last day,
disputes cost a dispute fee (refunded when won).

CLI: `python -m standins.sample_data.stripe --months 2026-07 2026-08 --out stripe.json`
"""

from __future__ import annotations

import argparse
import calendar
import json
import random
import string
from datetime import UTC, datetime

# currency -> (exponent of Stripe's minor unit, units of the currency per USD)
CURRENCIES: dict[str, tuple[int, float]] = {
    "usd": (2, 1.0),
    "eur": (2, 0.92),
    "gbp": (2, 0.79),
    "jpy": (0, 150.0),
    "krw": (0, 1380.0),
    "kwd": (3, 0.31),
}

# name, monthly price in USD, yearly price in USD
PLANS = [
    ("Starter", 29, 290),
    ("Pro", 99, 990),
    ("Business", 299, 2990),
]

_FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Ken",
    "Margaret",
    "Donald",
    "Frances",
    "John",
    "Radia",
    "Tim",
    "Hedy",
    "Linus",
    "Guido",
    "Yukihiro",
    "Sophie",
    "Niklaus",
    "Anita",
    "Dennis",
]
_LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Thompson",
    "Hamilton",
    "Knuth",
    "Allen",
    "Backus",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "Torvalds",
    "van Rossum",
    "Matsumoto",
    "Wilson",
    "Wirth",
    "Borg",
    "Ritchie",
]
_CITIES = [
    ("San Francisco", "US", "CA", "94107"),
    ("Berlin", "DE", None, "10115"),
    ("London", "GB", None, "EC1A 1BB"),
    ("Tokyo", "JP", None, "100-0001"),
    ("Austin", "US", "TX", "73301"),
    ("Kuwait City", "KW", None, "13001"),
]
_SEGMENTS = ["smb", "smb", "smb", "mid_market", "mid_market", "enterprise"]
_CHANNELS = ["organic", "paid_search", "partner", "sales"]

DAY = 86400


def _month_start(month: str) -> datetime:
    year, mon = (int(x) for x in month.split("-"))
    return datetime(year, mon, 1, tzinfo=UTC)


def _add_months(ts: int, months: int) -> int:
    """Same day-of-month and time `months` later (clamped to the month's last day), like Stripe's anchors."""
    dt = datetime.fromtimestamp(ts, UTC)
    total = dt.year * 12 + (dt.month - 1) + months
    year, mon = divmod(total, 12)
    day = min(dt.day, calendar.monthrange(year, mon + 1)[1])
    return int(dt.replace(year=year, month=mon + 1, day=day).timestamp())


def _midnight(ts: int) -> int:
    return ts - ts % DAY


def minor_amount(usd: float, currency: str) -> int:
    """A USD amount converted to `currency`, in Stripe minor units, rounded to a price-like value."""
    exponent, rate = CURRENCIES[currency]
    major = usd * rate
    if exponent == 0:
        step = 100 if major >= 1000 else 10
        return int(round(major / step) * step)
    if exponent == 3:
        return int(round(major * 100)) * 10  # Stripe requires three-decimal amounts to end in 0
    return int(round(major)) * 10**exponent


def _active_snapshot(sub: dict) -> dict:
    """A copy of a subscription as it was while still active (for the events before its end)."""
    snapshot = json.loads(json.dumps(sub))
    snapshot.update(status="active", canceled_at=None, ended_at=None)
    snapshot["cancellation_details"] = {"comment": None, "feedback": None, "reason": None}
    return snapshot


class _Gen:
    def __init__(
        self,
        months: list[str],
        seed: int,
        customers: int,
        currencies: tuple[str, ...],
        churn_rate: float,
        failure_rate: float,
        refund_rate: float,
        dispute_rate: float,
        include_events: bool,
    ):
        for c in currencies:
            if c not in CURRENCIES:
                raise ValueError(f"unsupported sample currency {c!r}; choose from {sorted(CURRENCIES)}")
        self.rng = random.Random(seed)
        # Plan changes draw from their own generator, so adding them left every other value as it was.
        self.plan_rng = random.Random(seed * 7919 + 1)
        self.months = sorted(set(months))
        self.start = int(_month_start(self.months[0]).timestamp())
        last = _month_start(self.months[-1])
        self.end = _add_months(int(last.timestamp()), 1)  # exclusive; the "now" of the snapshot
        self.n_customers = customers
        self.currencies = currencies
        self.churn_rate = churn_rate
        self.failure_rate = failure_rate
        self.refund_rate = refund_rate
        self.dispute_rate = dispute_rate
        self.include_events = include_events
        self.out: dict[str, list[dict]] = {
            k: []
            for k in (
                "customers",
                "products",
                "prices",
                "subscriptions",
                "invoices",
                "charges",
                "refunds",
                "disputes",
                "balance_transactions",
                "events",
            )
        }
        self.volume: dict[tuple[str, str], int] = {}  # (month, currency) -> billed amount

    # ------------------------------------------------------------------ helpers
    def id(self, prefix: str, n: int = 24) -> str:
        return prefix + "_" + "".join(self.rng.choices(string.ascii_letters + string.digits, k=n))

    def fixed_fee(self, currency: str) -> int:
        return minor_amount(0.30, currency) if CURRENCIES[currency][0] else int(round(0.30 * CURRENCIES[currency][1]))

    def event(self, type_: str, obj: dict, created: int, previous_attributes: dict | None = None) -> None:
        if not self.include_events or not self.start <= created < self.end:
            return
        data = {"object": json.loads(json.dumps(obj))}
        if previous_attributes is not None:
            data["previous_attributes"] = json.loads(json.dumps(previous_attributes))
        self.out["events"].append(
            {
                "id": self.id("evt"),
                "object": "event",
                "api_version": None,
                "created": created,
                "data": data,
                "livemode": False,
                "pending_webhooks": 0,
                "request": {"id": None, "idempotency_key": None},
                "type": type_,
            }
        )

    def balance_transaction(
        self,
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
        available_on = _midnight(created) + 2 * DAY
        txn = {
            "id": self.id("txn"),
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
            "status": "available" if available_on <= self.end else "pending",
            "type": type_,
        }
        self.out["balance_transactions"].append(txn)
        return txn

    # ------------------------------------------------------------------ catalogue
    def catalogue(self) -> None:
        created = self.start - 400 * DAY
        self.prices: dict[tuple[str, str, str], dict] = {}
        for name, monthly, yearly in PLANS:
            product_id = self.id("prod", 14)
            product = {
                "id": product_id,
                "object": "product",
                "active": True,
                "created": created,
                "default_price": None,
                "description": f"{name} plan",
                "images": [],
                "livemode": False,
                "marketing_features": [],
                "metadata": {"tier": name.lower()},
                "name": name,
                "package_dimensions": None,
                "shippable": None,
                "statement_descriptor": None,
                "tax_code": None,
                "type": "service",
                "unit_label": "seat",
                "updated": created,
                "url": None,
            }
            for currency in self.currencies:
                for interval, usd in (("month", monthly), ("year", yearly)):
                    price = {
                        "id": self.id("price"),
                        "object": "price",
                        "active": True,
                        "billing_scheme": "per_unit",
                        "created": created + 60,
                        "currency": currency,
                        "custom_unit_amount": None,
                        "livemode": False,
                        "lookup_key": f"{name.lower()}_{interval}ly_{currency}",
                        "metadata": {},
                        "nickname": f"{name} {interval}ly ({currency.upper()})",
                        "product": product_id,
                        "recurring": {
                            "interval": interval,
                            "interval_count": 1,
                            "meter": None,
                            "trial_period_days": None,
                            "usage_type": "licensed",
                        },
                        "tax_behavior": "exclusive",
                        "tiers_mode": None,
                        "transform_quantity": None,
                        "type": "recurring",
                        "unit_amount": minor_amount(usd, currency),
                        "unit_amount_decimal": str(minor_amount(usd, currency)),
                    }
                    self.prices[(name, currency, interval)] = price
                    self.out["prices"].append(price)
                    if currency == self.currencies[0] and interval == "month":
                        product["default_price"] = price["id"]
            self.out["products"].append(product)
            created += 3600

    # ------------------------------------------------------------------ customers and their billing
    def customer(self, index: int) -> None:
        rng = self.rng
        if index < self.n_customers * 0.4:
            created = self.start - rng.randint(1, 330) * DAY + rng.randint(0, DAY - 1)
        else:
            created = rng.randint(self.start, self.end - 3 * DAY)
        currency = self.currencies[index % len(self.currencies)]
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        city, country, state, postal = rng.choice(_CITIES)
        customer = {
            "id": self.id("cus", 14),
            "object": "customer",
            "address": {
                "city": city,
                "country": country,
                "line1": f"{rng.randint(1, 999)} Main St",
                "line2": None,
                "postal_code": postal,
                "state": state,
            },
            "balance": 0,
            "created": created,
            "currency": currency,
            "default_source": None,
            "delinquent": False,
            "description": None,
            "discount": None,
            "email": f"{first.lower()}.{last.lower().replace(' ', '')}{index}@example.com",
            "invoice_prefix": "".join(rng.choices(string.ascii_uppercase + string.digits, k=8)),
            "invoice_settings": {
                "custom_fields": None,
                "default_payment_method": self.id("pm"),
                "footer": None,
                "rendering_options": None,
            },
            "livemode": False,
            "metadata": {"segment": rng.choice(_SEGMENTS), "signup_channel": rng.choice(_CHANNELS)},
            "name": f"{first} {last}",
            "next_invoice_sequence": 1,
            "phone": f"+1555{rng.randint(1000000, 9999999)}",
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
            "test_clock": None,
        }
        self.out["customers"].append(customer)
        self.event("customer.created", customer, created)
        self.subscription(customer)

    def subscription(self, customer: dict) -> None:
        rng = self.rng
        currency = customer["currency"]
        plan = rng.choices([p[0] for p in PLANS], weights=[6, 3, 1])[0]
        interval = "year" if rng.random() < 0.2 else "month"
        step = 12 if interval == "year" else 1
        price = self.prices[(plan, currency, interval)]
        quantity = rng.choice([1, 1, 1, 2, 3, 5])
        created = customer["created"] + rng.randint(30, 600)
        sub_id, item_id = self.id("sub"), self.id("si", 14)
        # billing periods until now or cancellation
        canceled_at = None
        periods: list[tuple[int, int]] = []
        t = created
        while t < self.end:
            nxt = _add_months(created, step * (len(periods) + 1))
            periods.append((t, nxt))
            # churn decided monthly; for yearly plans once per period with a yearly-equivalent rate
            month_starts = max(1, step)
            p_cancel = 1 - (1 - self.churn_rate) ** month_starts
            if t >= self.start - 31 * DAY and rng.random() < p_cancel:
                when = rng.randint(t + DAY, nxt - DAY)
                if when < self.end:
                    canceled_at = when
                    break
            t = nxt
        status = "canceled" if canceled_at else "active"
        sub = {
            "id": sub_id,
            "object": "subscription",
            "application": None,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
            "billing_cycle_anchor": created,
            "cancel_at": None,
            "cancel_at_period_end": False,
            "canceled_at": canceled_at,
            "cancellation_details": {
                "comment": None,
                "feedback": rng.choice(["too_expensive", "unused", "switched_service", None]) if canceled_at else None,
                "reason": "cancellation_requested" if canceled_at else None,
            },
            "collection_method": "charge_automatically",
            "created": created,
            "currency": currency,
            "customer": customer["id"],
            "days_until_due": None,
            "default_payment_method": customer["invoice_settings"]["default_payment_method"],
            "description": None,
            "discounts": [],
            "ended_at": canceled_at,
            "items": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 1,
                "url": f"/v1/subscription_items?subscription={sub_id}",
            },
            "latest_invoice": None,
            "livemode": False,
            "metadata": {},
            "pending_update": None,
            "schedule": None,
            "start_date": created,
            "status": status,
            "test_clock": None,
            "trial_end": None,
            "trial_start": None,
        }
        period_start, period_end = periods[-1]
        item = {
            "id": item_id,
            "object": "subscription_item",
            "created": created + 1,
            "current_period_end": period_end,
            "current_period_start": period_start,
            "discounts": [],
            "metadata": {},
            "price": json.loads(json.dumps(price)),
            "quantity": quantity,
            "subscription": sub_id,
            "tax_rates": [],
        }
        sub["items"]["data"].append(item)
        self.event("customer.subscription.created", _active_snapshot(sub), created)

        change = self.plan_change(plan, interval, currency, quantity, periods, canceled_at)
        if change:
            # The item now has the new price and quantity; the change is prorated (Stripe's default
            # create_prorations) on the next period's invoice.
            old_item = json.loads(json.dumps(item))
            item.update(price=json.loads(json.dumps(change["price"])), quantity=change["quantity"])
            self.event("customer.subscription.updated", _active_snapshot(sub), change["at"],
                       {"items": {"data": [old_item]}})

        last_failed = False
        for number, (p_start, p_end) in enumerate(periods, start=1):
            if p_start + 2 * 3600 >= self.end:
                break
            if p_start < self.start:
                continue  # billing before the window is not part of the sample
            lines = []
            if change and number - 1 > change["period"]:
                bill_price, bill_quantity = change["price"], change["quantity"]
                if number - 1 == change["period"] + 1:
                    lines += self.proration_lines(sub_id, item_id, price, quantity, change, periods)
            else:
                bill_price, bill_quantity = price, quantity
            lines.insert(0, self.line(sub_id, item_id, bill_price, bill_quantity,
                                      bill_price["unit_amount"] * bill_quantity, p_start, p_end))
            last_failed = self.invoice(customer, sub, lines, number, p_start, p_end)
        if status == "active" and last_failed:
            sub["status"] = "past_due"
            customer["delinquent"] = True
        if canceled_at:
            self.event("customer.subscription.deleted", sub, canceled_at)
        self.out["subscriptions"].append(sub)

    def plan_change(
        self, plan: str, interval: str, currency: str, quantity: int, periods: list[tuple[int, int]],
        canceled_at: int | None,
    ) -> dict | None:
        """About one in four subscriptions changes plan or quantity once, in the middle of a billing
        period inside the window that is followed by an invoiced one; None when it does not."""
        rng = self.plan_rng
        candidates = [
            j for j in range(len(periods) - 1)
            if periods[j][0] >= self.start and periods[j + 1][0] + 2 * 3600 < self.end
            and (canceled_at is None or canceled_at > periods[j + 1][0])
        ]
        if not candidates or rng.random() >= 0.25:
            return None
        j = rng.choice(candidates)
        at = rng.randint(periods[j][0] + DAY, periods[j][1] - DAY)
        names = [p[0] for p in PLANS]
        if rng.random() < 0.5:  # seats up or down
            new_plan = plan
            new_quantity = quantity - 1 if quantity > 1 and rng.random() < 0.4 else quantity + rng.randint(1, 3)
        else:  # one plan up or down
            index = names.index(plan)
            index = index + 1 if index == 0 or (index < len(names) - 1 and rng.random() < 0.6) else index - 1
            new_plan, new_quantity = names[index], quantity
        return {"period": j, "at": at, "price": self.prices[(new_plan, currency, interval)], "quantity": new_quantity}

    def proration_lines(
        self, sub_id: str, item_id: str, price: dict, quantity: int, change: dict, periods: list[tuple[int, int]]
    ) -> list[dict]:
        """"Unused time on" the old plan (a credit) and "remaining time on" the new one, from the change
        to the end of its period, as Stripe prorates by the second."""
        start, end = periods[change["period"]]
        share = (end - change["at"]) / (end - start)

        def prorated(amount: int) -> int:
            value = round(amount * share)
            return value - value % 10 if CURRENCIES[price["currency"]][0] == 3 else value

        return [
            self.line(sub_id, item_id, price, quantity, -prorated(price["unit_amount"] * quantity), change["at"], end,
                      proration=True),
            self.line(sub_id, item_id, change["price"], change["quantity"],
                      prorated(change["price"]["unit_amount"] * change["quantity"]), change["at"], end, proration=True),
        ]

    def line(
        self, sub_id: str, item_id: str, price: dict, quantity: int, amount: int, start: int, end: int,
        proration: bool = False,
    ) -> dict:
        """An invoice line of the pinned API version: a subscription item's period, or a proration
        (backed by an invoice item)."""
        if proration:
            parent = {
                "type": "invoice_item_details",
                "invoice_item_details": {
                    "invoice_item": self.id("ii"),
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
            "id": self.id("il"),
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

    def invoice(self, customer: dict, sub: dict, lines: list[dict], number: int, p_start: int, p_end: int) -> bool:
        """One paid (or failed) subscription invoice with its charge; returns True if payment failed."""
        rng = self.rng
        currency = customer["currency"]
        amount = sum(line["amount"] for line in lines)
        created = p_start
        finalized = created + 3600
        charge_at = finalized + rng.randint(1, 600)
        failed = rng.random() < self.failure_rate
        inv_id = self.id("in")
        customer["next_invoice_sequence"] = number + 1
        interval = sub["items"]["data"][0]["price"]["recurring"]["interval"]
        charge_id = self.id("ch")
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
            "period_start": created if number == 1 else _add_months(created, -(12 if interval == "year" else 1)),
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
        self.out["invoices"].append(invoice)
        txn = None
        if not failed:
            fee = round(amount * 0.029) + self.fixed_fee(currency)
            txn = self.balance_transaction(
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
            self.volume[key] = self.volume.get(key, 0) + amount
            self.event("invoice.paid", invoice, charge_at)
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
            "payment_intent": self.id("pi"),
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
        self.out["charges"].append(charge)
        if not failed:
            if rng.random() < self.refund_rate:
                self.refund(charge)
            elif rng.random() < self.dispute_rate:
                self.dispute(charge)
        return failed

    def refund(self, charge: dict) -> None:
        created = charge["created"] + self.rng.randint(1, 10) * DAY + self.rng.randint(0, 3600)
        if created >= self.end:
            return
        amount = charge["amount"] if self.rng.random() < 0.7 else charge["amount"] // 2
        if CURRENCIES[charge["currency"]][0] == 3:
            amount -= amount % 10
        refund_id = self.id("re")
        txn = self.balance_transaction(
            amount=-amount,
            fee=0,
            currency=charge["currency"],
            created=created,
            type_="refund",
            category="refund",
            source=refund_id,
            description="REFUND FOR CHARGE (Subscription update)",
        )
        self.out["refunds"].append(
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

    def dispute(self, charge: dict) -> None:
        rng = self.rng
        created = charge["created"] + rng.randint(5, 30) * DAY
        if created >= self.end:
            return
        currency = charge["currency"]
        dispute_fee = minor_amount(15, currency)
        dispute_id = self.id("dp")
        status = rng.choice(["lost", "won", "needs_response"]) if created + 20 * DAY < self.end else "needs_response"
        txns = [
            self.balance_transaction(
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
                self.balance_transaction(
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
        self.out["disputes"].append(
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

    def billing_fees(self) -> None:
        for (month, currency), volume in sorted(self.volume.items()):
            if month not in self.months:
                continue
            start = int(_month_start(month).timestamp())
            last_day = _add_months(start, 1) - DAY
            amount = round(volume * 0.007)
            if CURRENCIES[currency][0] == 3:
                amount -= amount % 10
            if amount:
                self.balance_transaction(
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

    def run(self) -> dict[str, list[dict]]:
        self.catalogue()
        for i in range(self.n_customers):
            self.customer(i)
        self.billing_fees()
        for objects in self.out.values():
            objects.sort(key=lambda o: (o["created"], o["id"]))
        return self.out


def generate_stripe_data(
    months: list[str],
    seed: int = 7,
    customers: int = 120,
    currencies: tuple[str, ...] | list[str] = ("usd",),
    churn_rate: float = 0.04,
    failure_rate: float = 0.03,
    refund_rate: float = 0.03,
    dispute_rate: float = 0.01,
    include_events: bool = True,
) -> dict[str, list[dict]]:
    """Sample Stripe objects by object type (the stand-in's URL names), deterministic for a seed.

    `months` ("YYYY-MM") is the window: every invoice, charge, refund, dispute, balance transaction
    and event is created inside it (from the first month's first second to the last month's end).
    Customers, subscriptions, products and prices may be older (40% of customers signed up before the
    window). `currencies` are assigned to customers in turn (e.g. ("usd", "jpy")).
    """
    if not months:
        raise ValueError("months must not be empty")
    return _Gen(
        list(months),
        seed,
        customers,
        tuple(c.lower() for c in currencies),
        churn_rate,
        failure_rate,
        refund_rate,
        dispute_rate,
        include_events,
    ).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write sample Stripe data as JSON for the stand-in.")
    parser.add_argument("--months", nargs="+", required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--customers", type=int, default=120)
    parser.add_argument("--currencies", nargs="+", default=["usd"])
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    data = generate_stripe_data(args.months, seed=args.seed, customers=args.customers, currencies=args.currencies)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    print({k: len(v) for k, v in data.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
