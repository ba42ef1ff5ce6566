"""MRR of the months before the first load: reconstructed from invoices (no events) or taken from the state just
after them (events cover the month end), on hand-computed subscriptions. USD 100.00 = 10000 minor units."""

from datetime import UTC, datetime
from decimal import Decimal

from tests.helpers.stripe_objects import ts, txn
from tests.helpers.transform import q, run
from tests.transform.raw import write_stripe_objects

D = Decimal


def price(price_id, amount, **extra):
    obj = {"id": price_id, "object": "price", "active": True, "currency": "usd", "unit_amount": amount,
           "unit_amount_decimal": None if amount is None else str(amount), "type": "recurring",
           "billing_scheme": "per_unit", "product": "prod_" + price_id, "created": ts("2026-01-01"),
           "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"}}
    obj.update(extra)
    return obj


BASIC = price("price_basic", 10_000)


def subscription(sub_id, p, start, *, status="active", qty=1, trial_start=None, trial_end=None, ended=None):
    """A subscription item embeds its price without tiers and currency_options (Stripe expands 4 levels at most)."""
    embedded = {k: v for k, v in p.items() if k not in ("tiers", "currency_options")}
    return {"id": sub_id, "object": "subscription", "customer": "cus_" + sub_id[4:], "currency": "usd",
            "status": status, "start_date": ts(start), "created": ts(start),
            "trial_start": trial_start and ts(trial_start), "trial_end": trial_end and ts(trial_end),
            "ended_at": ended and ts(ended), "canceled_at": ended and ts(ended), "discounts": [],
            "items": {"object": "list", "data": [{"id": f"si_{sub_id}", "object": "subscription_item",
                                                  "subscription": sub_id, "quantity": qty, "price": embedded}]}}


def event(event_id, kind, obj, day):
    return {"id": event_id, "object": "event", "type": f"customer.subscription.{kind}", "created": ts(day),
            "data": {"object": obj}, "api_version": "2026-10-28.endive", "livemode": False,
            "request": {"id": None, "idempotency_key": None}}


def line(sub_id, p, qty, start, end, amount, proration=False):
    """An invoice line in the current API's shape (`parent`, `pricing`): a subscription line, or a proration."""
    parent = ({"type": "invoice_item_details",
               "invoice_item_details": {"invoice_item": "ii_x", "proration": True, "subscription": sub_id}}
              if proration else
              {"type": "subscription_item_details",
               "subscription_item_details": {"proration": False, "subscription": sub_id,
                                             "subscription_item": f"si_{sub_id}"}})
    return {"object": "line_item", "amount": amount, "quantity": qty, "discount_amounts": [], "parent": parent,
            "period": {"start": ts(start), "end": ts(end)},
            "pricing": {"type": "price_details", "price_details": {"price": p["id"]}}}


def invoice(invoice_id, sub_id, lines, paid_on):
    total = sum(x["amount"] for x in lines)
    return {"id": invoice_id, "object": "invoice", "customer": "cus_" + sub_id[4:], "currency": "usd",
            "status": "paid", "created": ts(paid_on), "total": total, "subtotal": total,
            "total_excluding_tax": total, "amount_due": total, "amount_paid": total, "amount_remaining": 0,
            "status_transitions": {"paid_at": ts(paid_on), "finalized_at": ts(paid_on)},
            "parent": {"type": "subscription_details", "subscription_details": {"subscription": sub_id}},
            "lines": {"object": "list", "data": lines, "has_more": False}}


def subscription_mrr(sub_id: str) -> dict[str, Decimal]:
    return dict(q(f"SELECT month, mrr FROM finops.int_stripe__subscription_mrr WHERE subscription = '{sub_id}' "
                  "ORDER BY month"))


def test_a_trial_added_later_does_not_erase_the_months_paid_before_it(data_dir):
    """sub_r pays 100.00/month from Jan 10 (invoices Jan 10 .. Jul 10); on Jun 20 it gets a trial until Jul 20 (a 0.00
    line; proration_behavior none: no credit for Jun 20 - Jul 10). The first load (Jul 5, no events) sees it
    trialing. Jan - May were paid: 100 each (not 0: the newest trial_end, Jul 20, is after all of those month ends);
    June ends inside the trial: 0, though the paid Jun 10 - Jul 10 line covers it; July, the running month, ends
    after the trial: 100 (a trial past its end counts as converted)."""
    sub = subscription("sub_r", BASIC, "2026-01-10", status="trialing", trial_start="2026-06-20",
                       trial_end="2026-07-20")
    periods = [("2026-01-10", "2026-02-10"), ("2026-02-10", "2026-03-10"), ("2026-03-10", "2026-04-10"),
               ("2026-04-10", "2026-05-10"), ("2026-05-10", "2026-06-10"), ("2026-06-10", "2026-07-10")]
    invoices = [invoice(f"in_{n}", "sub_r", [line("sub_r", BASIC, 1, start, end, 10_000)], start)
                for n, (start, end) in enumerate(periods)]
    invoices.append(invoice("in_trial", "sub_r", [line("sub_r", BASIC, 1, "2026-06-20", "2026-07-20", 0)], "2026-06-20"))
    write_stripe_objects(data_dir, {"subscriptions": [sub], "invoices": invoices, "prices": [BASIC],
                                    "balance_transactions": [txn("txn_1", 10_000, "usd", "2026-01-10")]},
                         datetime(2026, 7, 5, 6, tzinfo=UTC))
    run("stripe")
    assert subscription_mrr("sub_r") == {"2026-01": D(100), "2026-02": D(100), "2026-03": D(100), "2026-04": D(100),
                                         "2026-05": D(100), "2026-06": D(0), "2026-07": D(100)}


def test_a_trial_cancelled_at_its_end_is_not_mrr_in_the_month_before_the_first_load(data_dir):
    """sub_t: 100.00/month, trialing Oct 1 - Nov 10, cancelled at its trial end (a deleted event on Nov 10, which
    has no state before it). The first load (Nov 20) has events from Oct 25 (another subscription's), so October's
    end takes the state right after it: the cancelled snapshot, trialing at Oct 31 (trial_end Nov 10 after it).
    MRR 0 both months, never new, never churned (not 100.00 in October: the cancelled state read as active)."""
    trial = subscription("sub_t", BASIC, "2026-10-01", status="canceled", trial_start="2026-10-01",
                         trial_end="2026-11-10", ended="2026-11-10")
    other = subscription("sub_x", BASIC, "2026-10-25")
    events = [event("evt_1", "created", other, "2026-10-25"), event("evt_2", "deleted", trial, "2026-11-10")]
    write_stripe_objects(data_dir, {"subscriptions": [trial, other], "events": events, "prices": [BASIC],
                                    "balance_transactions": [txn("txn_1", 10_000, "usd", "2026-10-25")]},
                         datetime(2026, 11, 20, 6, tzinfo=UTC))
    run("stripe")
    assert subscription_mrr("sub_t") == {"2026-10": D(0), "2026-11": D(0)}
    assert q("SELECT countIf(started), countIf(ended) FROM finops.int_stripe__subscription_mrr "
             "WHERE subscription = 'sub_t'") == [(0, 0)]
