"""Post-payment credit notes credited to the customer balance (include/sql/intermediate/stripe/
int_stripe__revenue_recognition.sql): no money leaves, but the credit note takes its amount excluding VAT off what its
invoice earns (the invoice's share from when it took effect, what fell in months before in its month), and the
credit it leaves on the balance pays later invoices, which earn what it pays. USD 100.00 = 10000 minor units; every
expected figure is worked out by hand in the docstrings."""

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

from tests.helpers.stripe_objects import charge, invoice, line, paid_by, refund, ts, txn
from tests.helpers.transform import q, run
from tests.transform.raw import write_stripe_objects


def balance_credit_note(note_id, invoice_id, subtotal, tax, day, refunded=0):
    """A post-payment credit note of `subtotal` + `tax`, `refunded` of it refunded, the rest credited to the
    customer balance (customer_balance_transaction set)."""
    total = subtotal + tax
    return {
        "id": note_id,
        "object": "credit_note",
        "invoice": invoice_id,
        "customer": "cus_1",
        "currency": "usd",
        "status": "issued",
        "type": "post_payment",
        "amount": total,
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal,
        "total": total,
        "total_taxes": [{"amount": tax, "tax_behavior": "exclusive", "taxability_reason": "standard_rated"}],
        "pre_payment_amount": 0,
        "post_payment_amount": total,
        "out_of_band_amount": 0,
        "refunds": [{"amount_refunded": refunded, "refund": "re_" + note_id}] if refunded else [],
        "customer_balance_transaction": "cbtxn_" + note_id if refunded < total else None,
        "effective_at": ts(day),
        "created": ts(day),
    }


def recognition():
    """{month: (invoiced_paid, recognised)} of int_stripe__revenue_recognition in USD, to 6 decimals."""
    return {
        month: (round(paid, 6), round(recognised, 6))
        for month, paid, recognised in q(
            "SELECT month, invoiced_paid, recognised FROM finops.int_stripe__revenue_recognition "
            "WHERE currency = 'usd' ORDER BY month"
        )
    }


def d(fraction):
    return round(Decimal(fraction.numerator) / Decimal(fraction.denominator), 6)


def test_a_credit_note_to_the_balance_takes_revenue_back_and_the_invoice_it_pays_earns_it(data_dir):
    """A 3-month plan 100.00 + 20.00 VAT (2026-09-01..12-01: 30 + 31 + 30 = 91 days) paid by card on Sep 1. On Oct 16
    a post-payment credit note of 50.00 + 10.00 VAT is credited to the customer balance (no refund, nothing in the
    ledger). On Nov 1 an invoice of 50.00 + 10.00 VAT for November is paid from that balance (amount_paid 0).
    The plan earns 100 x 30/91 in September; the credit note takes back 50 x 30/91 of September and 50 x 31/91 of
    October in October, 50 x 30/91 of November in November; the November invoice earns 50.00 in November:
      September 3000/91, October (3100 - 3050)/91 = 50/91, November (3000 - 1500)/91 + 50 = 1500/91 + 50.
    In all 100.00, the cash kept (120.00 less 20.00 VAT). Before: 3000/91, 3100/91, 3000/91 (the credit note
    never took revenue back, and the November invoice, paid by a credit no invoice had left, earned nothing)."""
    ledger = [txn("txn_charge", 12_000, "usd", "2026-09-01T10:00:00")]
    plan = invoice(
        "in_1",
        "usd",
        10_000,
        2_000,
        "2026-09-01T10:00:00",
        [line(10_000, "2026-09-01", "2026-12-01")],
        post_payment_credit_notes_amount=6_000,
    )
    november = invoice(
        "in_2",
        "usd",
        5_000,
        1_000,
        "2026-11-01T00:00:00",
        [line(5_000, "2026-11-01", "2026-12-01")],
        amount_due=0,
        amount_paid=0,
        starting_balance=-6_000,
        ending_balance=0,
    )
    note = balance_credit_note("cn_1", "in_1", 5_000, 1_000, "2026-10-16T00:00:00")
    write_stripe_objects(
        data_dir,
        {"balance_transactions": ledger, "invoices": [plan, november], "credit_notes": [note]},
        datetime(2026, 12, 5, tzinfo=UTC),
    )
    run("stripe")
    assert recognition() == {
        "2026-09": (Decimal(100), d(Fraction(3000, 91))),
        "2026-10": (Decimal(0), d(Fraction(50, 91))),
        "2026-11": (Decimal(0), d(Fraction(1500, 91) + 50)),
    }


def test_a_credit_note_partly_refunded_takes_back_only_its_balance_part_here(data_dir):
    """An invoice of 100.00 + 20.00 VAT for September (a one-off at payment, Sep 1), paid by card. On Sep 20 a
    post-payment credit note of 100.00 + 20.00 VAT: 60.00 refunded (-60.00 in the ledger; the refund takes back
    its share itself), 60.00 credited to the balance, which takes back 60 x 100/120 = 50.00 in September. No later
    invoice uses it. September: 100 (paid) - 50 (refund's share) - 50 (balance credit) = 0 recognised; invoiced_paid
    100 - 50 = 50 (before: recognised 50, the balance part never taken back)."""
    ledger = [
        txn("txn_charge", 12_000, "usd", "2026-09-01T10:00:00", source="ch_1"),
        txn("txn_re", -6_000, "usd", "2026-09-20T10:00:00", source="re_cn_1", category="refund"),
    ]
    charges = [charge("ch_1", 12_000, "usd", "2026-09-01T10:00:00", "txn_charge")]
    payments = paid_by(charge_id="ch_1", amount=12_000, currency="usd")
    inv = invoice(
        "in_1", "usd", 10_000, 2_000, "2026-09-01T10:00:00", payments=payments, post_payment_credit_notes_amount=12_000
    )
    refunded = refund("re_cn_1", "ch_1", 6_000, "2026-09-20T10:00:00", "txn_re")
    note = balance_credit_note("cn_1", "in_1", 10_000, 2_000, "2026-09-20T10:00:00", refunded=6_000)
    write_stripe_objects(
        data_dir,
        {
            "balance_transactions": ledger,
            "charges": charges,
            "invoices": [inv],
            "credit_notes": [note],
            "refunds": [refunded],
        },
        datetime(2026, 10, 5, tzinfo=UTC),
    )
    run("stripe")
    assert recognition() == {"2026-09": (Decimal(50), Decimal(0))}
