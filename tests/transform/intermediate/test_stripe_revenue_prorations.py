"""Recognised revenue of proration lines: each recognised over its own period, whatever invoice carries it.
USD 100.00 = 10000 minor units; every expected figure is worked out by hand in the docstrings."""

from datetime import UTC, datetime
from decimal import Decimal

from tests.helpers.stripe_objects import charge, invoice, line, txn
from tests.helpers.transform import q, run
from tests.transform.raw import write_stripe_objects

D = Decimal


def recognised() -> dict[str, Decimal]:
    return dict(q("SELECT month, recognised_revenue FROM finops.monthly_recognised_revenue WHERE currency = 'USD' "
                  "ORDER BY month"))


def test_prorations_swept_into_a_zero_total_renewal_invoice_are_recognised_in_their_periods(data_dir):
    """Pro 300.00 (Jan 1 - Feb 1) paid Jan 1; downgraded to basic 100.00 on Jan 16 with the default proration
    behaviour: the Feb 1 renewal invoice carries the unused pro -150.00 and the basic +50.00 for Jan 16 - Feb 1 and
    basic 100.00 for February, -150 + 50 + 100 = 0.00 (paid at once, nothing charged). January earned
    300 - 150 + 50 = 200.00, February 100.00 (not 300.00 and 0.00: the lines of an invoice whose lines add up to
    0 were not recognised)."""
    ledger = [txn("txn_a", 30_000, "usd", "2026-01-01T10:00:00", source="ch_a"),
              txn("txn_fee", -100, "usd", "2026-02-15", category="fee")]  # February has a ledger row
    charges = [charge("ch_a", 30_000, "usd", "2026-01-01T10:00:00", "txn_a", payment_intent="pi_a")]
    pro = invoice("in_a", "usd", 30_000, 0, "2026-01-01T10:00:00", [line(30_000, "2026-01-01", "2026-02-01")],
                  payments={"object": "list", "has_more": False, "data": [
                      {"id": "inpay_a", "object": "invoice_payment", "amount_paid": 30_000, "currency": "usd",
                       "status": "paid", "payment": {"type": "payment_intent", "payment_intent": "pi_a"}}]})
    renewal = invoice("in_c", "usd", 0, 0, "2026-02-01T00:00:00",
                      [line(-15_000, "2026-01-16", "2026-02-01"), line(5_000, "2026-01-16", "2026-02-01"),
                       line(10_000, "2026-02-01", "2026-03-01")], amount_due=0, amount_paid=0)
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "charges": charges, "invoices": [pro, renewal]},
                         datetime(2026, 3, 5, tzinfo=UTC))
    run("stripe")
    assert recognised() == {"2026-01": D(200), "2026-02": D(100)}
