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


def _paid_by_card(invoice_id: str, amount: int, day: str, number: str) -> tuple[dict, dict, dict]:
    """The ledger row, charge and `payments` of an invoice collecting `amount` by card on `day`."""
    return (txn(f"txn_{number}", amount, "usd", day, source=f"ch_{number}"),
            charge(f"ch_{number}", amount, "usd", day, f"txn_{number}", payment_intent=f"pi_{number}"),
            {"object": "list", "has_more": False, "data": [
                {"id": f"inpay_{number}", "object": "invoice_payment", "amount_paid": amount, "currency": "usd",
                 "status": "paid", "payment": {"type": "payment_intent", "payment_intent": f"pi_{number}"}}]})


def test_a_proration_credit_left_on_the_customer_balance_is_recognised_in_its_period_and_when_used(data_dir):
    """Pro 300.00 (Jan 1 - Feb 1) paid by card Jan 1; downgraded to basic 100.00 on Jan 16 invoicing at once
    (proration_behavior=always_invoice): an invoice of -150.00 unused pro + 50.00 basic for Jan 16 - Feb 1 =
    -100.00, 'paid' with nothing charged, its credit left on the customer balance; the Feb 1 renewal of 100.00 is
    paid from that balance (amount_paid 0). January earned 300 - 150 + 50 = 200.00, February 100.00 (before:
    300.00 and 0.00, the two balance-funded invoices counted as cash paid in their months)."""
    txn_a, charge_a, payments_a = _paid_by_card("in_a", 30_000, "2026-01-01T10:00:00", "a")
    pro = invoice("in_a", "usd", 30_000, 0, "2026-01-01T10:00:00", [line(30_000, "2026-01-01", "2026-02-01")],
                  payments=payments_a)
    credit = invoice("in_b", "usd", -10_000, 0, "2026-01-16T00:00:00",
                     [line(-15_000, "2026-01-16", "2026-02-01"), line(5_000, "2026-01-16", "2026-02-01")],
                     amount_due=0, amount_paid=0)
    renewal = invoice("in_c", "usd", 10_000, 0, "2026-02-01T00:00:00", [line(10_000, "2026-02-01", "2026-03-01")],
                      amount_due=0, amount_paid=0)
    ledger = [txn_a, txn("txn_fee", -100, "usd", "2026-02-15", category="fee")]  # February has a ledger row
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "charges": [charge_a],
                                    "invoices": [pro, credit, renewal]}, datetime(2026, 3, 5, tzinfo=UTC))
    run("stripe")
    assert recognised() == {"2026-01": D(200), "2026-02": D(100)}


def test_a_balance_credit_used_over_several_invoices_is_recognised_where_each_uses_it(data_dir):
    """Pro 300.00 (Jan 1 - Feb 1) paid by card; downgraded on Jan 16 to basic 50.00: the Feb 1 renewal carries
    -150.00 unused pro, +25.00 basic (Jan 16 - Feb 1) and basic 50.00 for February = -75.00, its credit left on
    the balance; March's 50.00 is paid from the balance (75 -> 25 left), April's 50.00 by 25.00 of balance and
    25.00 by card. January 300 - 150 + 25 = 175.00, then 50.00 a month; 325.00 in all, the cash (300 + 25)
    (before: 175, 125, 0, 25: the credit counted as cash in February, the balance-paid months earned nothing)."""
    txn_a, charge_a, payments_a = _paid_by_card("in_a", 30_000, "2026-01-01T10:00:00", "a")
    txn_d, charge_d, payments_d = _paid_by_card("in_d", 2_500, "2026-04-01T10:00:00", "d")
    pro = invoice("in_a", "usd", 30_000, 0, "2026-01-01T10:00:00", [line(30_000, "2026-01-01", "2026-02-01")],
                  payments=payments_a)
    february = invoice("in_b", "usd", -7_500, 0, "2026-02-01T00:00:00",
                       [line(-15_000, "2026-01-16", "2026-02-01"), line(2_500, "2026-01-16", "2026-02-01"),
                        line(5_000, "2026-02-01", "2026-03-01")], amount_due=0, amount_paid=0)
    march = invoice("in_c", "usd", 5_000, 0, "2026-03-01T00:00:00", [line(5_000, "2026-03-01", "2026-04-01")],
                    amount_due=0, amount_paid=0)
    april = invoice("in_d", "usd", 5_000, 0, "2026-04-01T10:00:00", [line(5_000, "2026-04-01", "2026-05-01")],
                    amount_due=2_500, amount_paid=2_500, payments=payments_d)
    ledger = [txn_a, txn_d, txn("txn_fee", -100, "usd", "2026-04-20", category="fee")]
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "charges": [charge_a, charge_d],
                                    "invoices": [pro, february, march, april]}, datetime(2026, 4, 25, tzinfo=UTC))
    run("stripe")
    assert recognised() == {"2026-01": D(175), "2026-02": D(50), "2026-03": D(50), "2026-04": D(50)}


def test_an_invoice_paid_by_credit_granted_outside_invoices_earns_nothing(data_dir):
    """100.00 paid by card Jan 1 for January; a goodwill credit of 100.00 granted on the customer balance (a
    customer balance transaction, not an invoice) pays February's 100.00 invoice (amount_paid 0): February is a
    free month and earns nothing; revenue stays the cash, 100.00 (counting the balance-paid invoice as revenue
    would earn 200.00 from 100.00 of cash)."""
    txn_a, charge_a, payments_a = _paid_by_card("in_a", 10_000, "2026-01-01T10:00:00", "a")
    january = invoice("in_a", "usd", 10_000, 0, "2026-01-01T10:00:00", [line(10_000, "2026-01-01", "2026-02-01")],
                      payments=payments_a)
    february = invoice("in_b", "usd", 10_000, 0, "2026-02-01T00:00:00", [line(10_000, "2026-02-01", "2026-03-01")],
                       amount_due=0, amount_paid=0)
    ledger = [txn_a, txn("txn_fee", -100, "usd", "2026-02-15", category="fee")]
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "charges": [charge_a],
                                    "invoices": [january, february]}, datetime(2026, 3, 5, tzinfo=UTC))
    run("stripe")
    assert recognised() == {"2026-01": D(100), "2026-02": D(0)}
