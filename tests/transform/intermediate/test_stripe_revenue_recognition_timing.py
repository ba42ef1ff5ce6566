"""When recognised revenue lands (include/sql/intermediate/stripe/int_stripe__revenue_recognition.sql): the cash
side of a paid invoice in the month its payment reached the ledger, and instants at the very start of a month.
Every expected figure is worked out by hand in the docstrings."""

from datetime import UTC, datetime
from decimal import Decimal

from tests.helpers.stripe_objects import charge, invoice, line, paid_by, txn
from tests.helpers.transform import q, run
from tests.transform.raw import write_stripe_objects

D = Decimal


def recognised(currency="USD"):
    return q("SELECT month, cash_revenue, deferral_adjustment, recognised_revenue FROM finops.monthly_recognised_revenue "
             f"WHERE currency = '{currency}' ORDER BY month")


def test_a_one_off_line_at_midnight_on_the_first_counts_in_its_month(data_dir):
    """A one-off invoice item (period.start = period.end = 2026-03-01T00:00:00Z) of 50.00, paid 5 s later. Its
    50.00 is recognised in March (the build failed: the instant's month range came out as -1 months)."""
    ledger = [txn("txn_1", 5_000, "usd", "2026-03-01T00:00:05")]
    inv = invoice("in_1", "usd", 5_000, 0, "2026-03-01T00:00:05", [line(5_000, "2026-03-01T00:00:00")])
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "invoices": [inv]}, datetime(2026, 4, 5, tzinfo=UTC))
    run("stripe")
    assert recognised() == [("2026-03", D(50), D(0), D(50))]


def test_an_invoice_without_lines_paid_at_midnight_on_the_first_counts_in_its_month(data_dir):
    """An invoice with no lines paid exactly 2026-03-01T00:00:00Z (its whole 50.00 at paid_at)."""
    ledger = [txn("txn_1", 5_000, "usd", "2026-03-01T00:00:00")]
    inv = invoice("in_1", "usd", 5_000, 0, "2026-03-01T00:00:00", [])
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "invoices": [inv]}, datetime(2026, 4, 5, tzinfo=UTC))
    run("stripe")
    assert recognised() == [("2026-03", D(50), D(0), D(50))]


def test_the_cash_side_of_an_invoice_is_the_month_its_payment_reached_the_ledger(data_dir):
    """A plan of 100.00 for February; its charge (and balance transaction) at 2026-01-31T23:59:58Z, the invoice's
    paid_at 2026-02-01T00:00:01Z. January: cash 100, deferred -100: 0; February: recognised 100 (was January 100,
    February 0: the deferral was taken off in February, the month of paid_at, while the cash was January's)."""
    ledger = [txn("txn_1", 10_000, "usd", "2026-01-31T23:59:58", source="ch_1"),
              txn("txn_fee", -100, "usd", "2026-02-15", category="fee")]
    charges = [charge("ch_1", 10_000, "usd", "2026-01-31T23:59:58", "txn_1", payment_intent="pi_1")]
    inv = invoice("in_1", "usd", 10_000, 0, "2026-02-01T00:00:01", [line(10_000, "2026-02-01", "2026-03-01")],
                  payments=paid_by(payment_intent="pi_1", amount=10_000, currency="usd"))
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "charges": charges, "invoices": [inv]},
                         datetime(2026, 3, 5, tzinfo=UTC))
    run("stripe")
    assert recognised() == [("2026-01", D(100), D(-100), D(0)), ("2026-02", D(0), D(100), D(100))]


def test_an_invoice_paid_in_two_months_defers_each_payment_in_its_own_month(data_dir):
    """An annual-style 300.00 for 2026-03-01..2026-06-01 (92 days), paid in two parts: 100.00 by a charge on
    2026-02-27, 200.00 by a charge on 2026-03-02 (invoice paid_at then). Deferred: -100 in February, -200 in March;
    recognised March 31/92, April 30/92, May 31/92 of 300 (each month's share of the two parts)."""
    ledger = [txn("txn_1", 10_000, "usd", "2026-02-27T10:00:00", source="ch_1"),
              txn("txn_2", 20_000, "usd", "2026-03-02T10:00:00", source="ch_2")]
    charges = [charge("ch_1", 10_000, "usd", "2026-02-27T10:00:00", "txn_1"),
               charge("ch_2", 20_000, "usd", "2026-03-02T10:00:00", "txn_2")]
    payments = paid_by(charge_id="ch_1", amount=10_000, currency="usd")
    payments["data"].append({**payments["data"][0], "id": "inpay_2", "amount_paid": 20_000, "amount_requested": 20_000,
                             "payment": {"type": "charge", "payment_intent": None, "charge": "ch_2"}})
    inv = invoice("in_1", "usd", 30_000, 0, "2026-03-02T10:00:00", [line(30_000, "2026-03-01", "2026-06-01")],
                  payments=payments)
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "charges": charges, "invoices": [inv]},
                         datetime(2026, 6, 5, tzinfo=UTC))
    run("stripe")
    rows = {month: (cash, adjustment) for month, cash, adjustment, _ in recognised()}
    assert rows["2026-02"] == (D(100), D(-100))
    assert rows["2026-03"][0] == D(200)
    assert abs(rows["2026-03"][1] - (D(300) * 31 / 92 - 200)) < D("1e-8")
    months = q("SELECT month, recognised FROM finops.int_stripe__revenue_recognition ORDER BY month")
    assert [month for month, _ in months] == ["2026-02", "2026-03", "2026-04", "2026-05"]
    for (month, amount), days in zip(months[1:], (31, 30, 31), strict=True):
        assert abs(amount - D(300) * days / 92) < D("1e-8"), month
    assert abs(sum(amount for _, amount in months) - D(300)) < D("1e-9")  # each month's share cut at 10 decimals
