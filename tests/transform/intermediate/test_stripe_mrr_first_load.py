"""MRR of the months before the first load: reconstructed from invoices (no events) or taken from the state just
after them (events cover the month end), on hand-computed subscriptions. USD 100.00 = 10000 minor units."""

from datetime import UTC, datetime
from decimal import Decimal

from tests.helpers.stripe_objects import monthly_price as price
from tests.helpers.stripe_objects import ts, txn
from tests.helpers.transform import q, run
from tests.transform.raw import write_stripe_objects

D = Decimal


BASIC = price("price_basic", 10_000)


def subscription(sub_id, p, start, *, status="active", qty=1, trial_start=None, trial_end=None, ended=None,
                 currency="usd"):
    """A subscription item embeds its price without tiers and currency_options (Stripe expands 4 levels at most)."""
    embedded = {k: v for k, v in p.items() if k not in ("tiers", "currency_options")}
    return {"id": sub_id, "object": "subscription", "customer": "cus_" + sub_id[4:], "currency": currency,
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


def invoice(invoice_id, sub_id, lines, paid_on, currency="usd"):
    total = sum(x["amount"] for x in lines)
    return {"id": invoice_id, "object": "invoice", "customer": "cus_" + sub_id[4:], "currency": currency,
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


def test_a_package_price_proration_counts_packages_not_seats(data_dir):
    """10.00 per 100 seats, rounded up. 250 seats (3 packages = 30.00) from Aug 1, 350 seats (4 packages = 40.00) from
    Aug 20: the Sep 1 invoice prorates Aug 20 - Sep 1 (-30 x 12/31, +40 x 12/31) and bills September. First load
    Nov 20, no events: MRR 40.00 from the end of August (not 30 - 250 x 10 + 350 x 10 = 1,030.00: the proration
    lines priced per seat)."""
    package = price("price_package", 1_000, transform_quantity={"divide_by": 100, "round": "up"})
    sub = subscription("sub_p", package, "2026-08-01", qty=350)
    invoices = [
        invoice("in_1", "sub_p", [line("sub_p", package, 250, "2026-08-01", "2026-09-01", 3_000)], "2026-08-01"),
        invoice("in_2", "sub_p", [line("sub_p", package, 250, "2026-08-20", "2026-09-01", -1_161, proration=True),
                                  line("sub_p", package, 350, "2026-08-20", "2026-09-01", 1_548, proration=True),
                                  line("sub_p", package, 350, "2026-09-01", "2026-10-01", 4_000)], "2026-09-01"),
        invoice("in_3", "sub_p", [line("sub_p", package, 350, "2026-10-01", "2026-11-01", 4_000)], "2026-10-01"),
    ]
    write_stripe_objects(data_dir, {"subscriptions": [sub], "invoices": invoices, "prices": [package],
                                    "balance_transactions": [txn("txn_1", 3_000, "usd", "2026-08-01")]},
                         datetime(2026, 11, 20, 6, tzinfo=UTC))
    run("stripe")
    assert subscription_mrr("sub_p") == {"2026-08": D(40), "2026-09": D(40), "2026-10": D(40), "2026-11": D(40)}


def test_a_multi_currency_price_proration_counts_the_invoice_currency_amount(data_dir):
    """A EUR subscription on USD prices with EUR options: small (USD 100.00, EUR 90.00) from Aug 1, large (USD 200.00,
    EUR 180.00) from Aug 20; the Sep 1 invoice prorates Aug 20 - Sep 1 (-90 x 12/31, +180 x 12/31) and bills
    September. First load Nov 20, no events: EUR 180.00 from the end of August (not 90 - 100 + 200 = 190.00: the
    proration lines priced at the USD amounts)."""
    small = price("price_small", 10_000, currency_options={"usd": {"unit_amount": 10_000, "unit_amount_decimal": "10000"},
                                                           "eur": {"unit_amount": 9_000, "unit_amount_decimal": "9000"}})
    large = price("price_large", 20_000, currency_options={"usd": {"unit_amount": 20_000, "unit_amount_decimal": "20000"},
                                                           "eur": {"unit_amount": 18_000, "unit_amount_decimal": "18000"}})
    sub = subscription("sub_e", large, "2026-08-01", currency="eur")
    invoices = [
        invoice("in_1", "sub_e", [line("sub_e", small, 1, "2026-08-01", "2026-09-01", 9_000)], "2026-08-01", "eur"),
        invoice("in_2", "sub_e", [line("sub_e", small, 1, "2026-08-20", "2026-09-01", -3_484, proration=True),
                                  line("sub_e", large, 1, "2026-08-20", "2026-09-01", 6_968, proration=True),
                                  line("sub_e", large, 1, "2026-09-01", "2026-10-01", 18_000)], "2026-09-01", "eur"),
        invoice("in_3", "sub_e", [line("sub_e", large, 1, "2026-10-01", "2026-11-01", 18_000)], "2026-10-01", "eur"),
    ]
    write_stripe_objects(data_dir, {"subscriptions": [sub], "invoices": invoices, "prices": [small, large],
                                    "balance_transactions": [txn("txn_1", 9_000, "eur", "2026-08-01")]},
                         datetime(2026, 11, 20, 6, tzinfo=UTC))
    run("stripe")
    assert subscription_mrr("sub_e") == {"2026-08": D(180), "2026-09": D(180), "2026-10": D(180), "2026-11": D(180)}
