"""A customer's subscription: its billing periods, churn, one plan change in four, and an invoice per period."""

from __future__ import annotations

import json

from standins.sample_data.stripe.account import SampleAccount
from standins.sample_data.stripe.catalogue import PLANS
from standins.sample_data.stripe.clock import DAY, add_months
from standins.sample_data.stripe.events import active_snapshot, event
from standins.sample_data.stripe.invoices import add_invoice, invoice_line
from standins.sample_data.stripe.money import CURRENCIES


def add_subscription(account: SampleAccount, customer: dict) -> None:
    rng = account.rng
    currency = customer["currency"]
    plan = rng.choices([p[0] for p in PLANS], weights=[6, 3, 1])[0]
    interval = "year" if rng.random() < 0.2 else "month"
    step = 12 if interval == "year" else 1
    price = account.prices[(plan, currency, interval)]
    quantity = rng.choice([1, 1, 1, 2, 3, 5])
    created = customer["created"] + rng.randint(30, 600)
    sub_id, item_id = account.new_id("sub"), account.new_id("si", 14)
    # billing periods until now or cancellation
    canceled_at = None
    periods: list[tuple[int, int]] = []
    t = created
    while t < account.end:
        nxt = add_months(created, step * (len(periods) + 1))
        periods.append((t, nxt))
        # churn decided monthly; for yearly plans once per period with a yearly-equivalent rate
        month_starts = max(1, step)
        p_cancel = 1 - (1 - account.churn_rate) ** month_starts
        if t >= account.start - 31 * DAY and rng.random() < p_cancel:
            when = rng.randint(t + DAY, nxt - DAY)
            if when < account.end:
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
    event(account, "customer.subscription.created", active_snapshot(sub), created)

    change = plan_change(account, plan, interval, currency, quantity, periods, canceled_at)
    if change:
        # The item now has the new price and quantity; the change is prorated (Stripe's default
        # create_prorations) on the next period's invoice.
        old_item = json.loads(json.dumps(item))
        item.update(price=json.loads(json.dumps(change["price"])), quantity=change["quantity"])
        event(account, "customer.subscription.updated", active_snapshot(sub), change["at"],
                   {"items": {"data": [old_item]}})

    last_failed = False
    for number, (p_start, p_end) in enumerate(periods, start=1):
        if p_start + 2 * 3600 >= account.end:
            break
        if p_start < account.start:
            continue  # billing before the window is not part of the sample
        lines = []
        if change and number - 1 > change["period"]:
            bill_price, bill_quantity = change["price"], change["quantity"]
            if number - 1 == change["period"] + 1:
                lines += proration_lines(account, sub_id, item_id, price, quantity, change, periods)
        else:
            bill_price, bill_quantity = price, quantity
        lines.insert(0, invoice_line(account, sub_id, item_id, bill_price, bill_quantity,
                                  bill_price["unit_amount"] * bill_quantity, p_start, p_end))
        last_failed = add_invoice(account, customer, sub, lines, number, p_start, p_end)
    if status == "active" and last_failed:
        sub["status"] = "past_due"
        customer["delinquent"] = True
    if canceled_at:
        event(account, "customer.subscription.deleted", sub, canceled_at)
    account.out["subscriptions"].append(sub)


def plan_change(
    account: SampleAccount, plan: str, interval: str, currency: str, quantity: int, periods: list[tuple[int, int]],
    canceled_at: int | None,
) -> dict | None:
    """About one in four subscriptions changes plan or quantity once, in the middle of a billing
    period inside the window that is followed by an invoiced one; None when it does not."""
    rng = account.plan_rng
    candidates = [
        j for j in range(len(periods) - 1)
        if periods[j][0] >= account.start and periods[j + 1][0] + 2 * 3600 < account.end
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
    return {"period": j, "at": at, "price": account.prices[(new_plan, currency, interval)], "quantity": new_quantity}


def proration_lines(
    account: SampleAccount, sub_id: str, item_id: str, price: dict, quantity: int, change: dict, periods: list[tuple[int, int]]
) -> list[dict]:
    """"Unused time on" the old plan (a credit) and "remaining time on" the new one, from the change
    to the end of its period, as Stripe prorates by the second."""
    start, end = periods[change["period"]]
    share = (end - change["at"]) / (end - start)

    def prorated(amount: int) -> int:
        value = round(amount * share)
        return value - value % 10 if CURRENCIES[price["currency"]][0] == 3 else value

    return [
        invoice_line(account, sub_id, item_id, price, quantity, -prorated(price["unit_amount"] * quantity), change["at"], end,
                  proration=True),
        invoice_line(account, sub_id, item_id, change["price"], change["quantity"],
                  prorated(change["price"]["unit_amount"] * change["quantity"]), change["at"], end, proration=True),
    ]
