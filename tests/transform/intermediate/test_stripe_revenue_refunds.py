"""Refunds in recognised revenue (include/sql/intermediate/stripe/int_stripe__revenue_recognition.sql): a refund of
an invoice's payment takes back its share of that invoice's revenue, excluding tax and VAT alike (Stripe Tax splits
a refund by the invoice's tax rate: docs.stripe.com/tax/invoicing/refunds): what the invoice had recognised before
the refund in the refund's month, the rest as the invoice would have earned it. Every expected figure is worked
out by hand in the docstrings."""

from datetime import UTC, datetime
from decimal import Decimal

from tests.helpers.stripe_objects import charge, invoice, line, paid_by, refund, ts, txn
from tests.helpers.transform import q, run
from tests.transform.raw import write_stripe_objects

D = Decimal
CLOSE = D("1e-8")  # each month's share of an invoice is cut at 10 decimals


def recognised(currency="USD"):
    return {
        month: (cash, revenue)
        for month, cash, revenue in q(
            "SELECT month, cash_revenue, recognised_revenue FROM finops.monthly_recognised_revenue "
            f"WHERE currency = '{currency}' ORDER BY month"
        )
    }


def annual_plan_paid_on_new_year(refunds, ledger_refunds):
    """An annual plan of 1,200.00 (no tax) for 2026-01-01..2027-01-01 (365 days), paid by card on 2026-01-01."""
    ledger = [
        txn("txn_1", 120_000, "usd", "2026-01-01T10:00:00", source="ch_1"),
        *ledger_refunds,
        # a Stripe fee (not revenue) in every month up to December keeps each month in the mart
        *[txn(f"txn_fee_{m}", -1, "usd", f"2026-{m:02d}-15", category="fee") for m in range(2, 13)],
    ]
    charges = [charge("ch_1", 120_000, "usd", "2026-01-01T10:00:00", "txn_1", payment_intent="pi_1")]
    inv = invoice(
        "in_1",
        "usd",
        120_000,
        0,
        "2026-01-01T10:00:00",
        [line(120_000, "2026-01-01", "2027-01-01")],
        payments=paid_by(payment_intent="pi_1", amount=120_000, currency="usd"),
    )
    return {"balance_transactions": ledger, "charges": charges, "invoices": [inv], "refunds": refunds}


def test_an_annual_plan_refunded_in_february_earns_nothing_after(data_dir):
    """Refunded in full on 2026-02-01. January earned 1200 x 31/365 = 101.92; February takes it back (cash -1200,
    the plan's February share 92.05, the refund's take-back of January and February -193.97: net -101.92); March
    to December 0 (they were about +101.92 a month: the plan kept being recognised after its refund)."""
    objects = annual_plan_paid_on_new_year(
        [refund("re_1", "ch_1", 120_000, "2026-02-01T09:00:00", "txn_re")],
        [txn("txn_re", -120_000, "usd", "2026-02-01T09:00:00", source="re_1", category="refund")],
    )
    write_stripe_objects(data_dir, objects, datetime(2027, 1, 5, tzinfo=UTC))
    run("stripe")
    rows = recognised()
    january = D(1200) * 31 / 365
    assert abs(rows["2026-01"][1] - january) < CLOSE
    assert rows["2026-02"][0] == D(-1200)
    assert abs(rows["2026-02"][1] + january) < CLOSE
    for month in range(3, 13):
        assert abs(rows[f"2026-{month:02d}"][1]) < CLOSE, month
    assert abs(sum(revenue for _, revenue in rows.values())) < CLOSE


def test_a_partial_refund_takes_back_its_share_of_each_remaining_month(data_dir):
    """300.00 of the 1,200.00 refunded on 2026-07-01 (a quarter). January to June earn 1200/365 a day; July takes
    back a quarter of what January to June earned (300 x 181/365) and earns three quarters of July (900 x 31/365);
    August to December three quarters of their share."""
    objects = annual_plan_paid_on_new_year(
        [refund("re_1", "ch_1", 30_000, "2026-07-01T09:00:00", "txn_re")],
        [txn("txn_re", -30_000, "usd", "2026-07-01T09:00:00", source="re_1", category="refund")],
    )
    write_stripe_objects(data_dir, objects, datetime(2027, 1, 5, tzinfo=UTC))
    run("stripe")
    rows = recognised()
    days = {1: 31, 2: 28, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}
    for month in range(1, 7):
        assert abs(rows[f"2026-{month:02d}"][1] - D(1200) * days[month] / 365) < CLOSE, month
    assert abs(rows["2026-07"][1] - (D(900) * 31 / 365 - D(300) * 181 / 365)) < CLOSE
    for month in range(8, 13):
        assert abs(rows[f"2026-{month:02d}"][1] - D(900) * days[month] / 365) < CLOSE, month
    assert abs(sum(revenue for _, revenue in rows.values()) - D(900)) < CLOSE


def test_a_failed_refund_takes_nothing_back(data_dir):
    """The same refund of 1,200.00 failed (its money came back: refund -1200 and refund_failure +1200 in the
    ledger, both in February): the plan earns 1200 x days/365 every month."""
    objects = annual_plan_paid_on_new_year(
        [refund("re_1", "ch_1", 120_000, "2026-02-01T09:00:00", "txn_re", status="failed")],
        [
            txn("txn_re", -120_000, "usd", "2026-02-01T09:00:00", source="re_1", category="refund"),
            txn("txn_re_failed", 120_000, "usd", "2026-02-03T09:00:00", source="re_1", category="refund_failure"),
        ],
    )
    write_stripe_objects(data_dir, objects, datetime(2027, 1, 5, tzinfo=UTC))
    run("stripe")
    rows = recognised()
    assert abs(rows["2026-03"][1] - D(1200) * 31 / 365) < CLOSE
    assert abs(rows["2026-02"][1] - D(1200) * 28 / 365) < CLOSE


def test_a_refund_without_a_credit_note_gives_its_share_of_the_vat_back(data_dir):
    """Stripe's own example (docs.stripe.com/tax/invoicing/refunds): 100.00 + 25.00 tax paid, 25.00 refunded
    (20.00 net + 5.00 tax). Revenue 125 - 25 - (25 - 5) = 80 (was 75: the whole VAT stayed subtracted)."""
    ledger = [
        txn("txn_1", 12_500, "usd", "2026-09-03T10:00:00", source="ch_1"),
        txn("txn_re", -2_500, "usd", "2026-09-10T10:00:00", source="re_1", category="refund"),
    ]
    charges = [charge("ch_1", 12_500, "usd", "2026-09-03T10:00:00", "txn_1", payment_intent="pi_1")]
    inv = invoice(
        "in_1",
        "usd",
        10_000,
        2_500,
        "2026-09-03T10:00:00",
        payments=paid_by(payment_intent="pi_1", amount=12_500, currency="usd"),
    )
    write_stripe_objects(
        data_dir,
        {
            "balance_transactions": ledger,
            "charges": charges,
            "invoices": [inv],
            "refunds": [refund("re_1", "ch_1", 2_500, "2026-09-10T10:00:00", "txn_re")],
        },
        datetime(2026, 10, 5, tzinfo=UTC),
    )
    run("stripe")
    assert q(
        "SELECT gross_volume, refunds, sales_tax, revenue FROM finops.monthly_revenue "
        "WHERE month = '2026-09' AND currency = 'USD'"
    ) == [(D(125), D(-25), D(20), D(80))]
    assert recognised() == {"2026-09": (D(80), D(80))}


def test_a_refund_a_credit_note_made_gives_the_credit_notes_vat_back_once(data_dir):
    """100.00 + 20.00 VAT for 2026-09-01..2026-12-01 (91 days), paid 2026-09-03; on 2026-10-01 a post-payment
    credit note of 50.00 + 10.00 VAT refunds 60.00. September: cash 100, earns 100 x 30/91; October: cash -60 + 10
    VAT back = -50, earns what 50 earns up to October's end less what September earned (50 x 61/91 - 100 x 30/91);
    November 50 x 30/91. Total 50."""
    ledger = [
        txn("txn_1", 12_000, "usd", "2026-09-03T10:00:00", source="ch_1"),
        txn("txn_re", -6_000, "usd", "2026-10-01T10:00:00", source="re_1", category="refund"),
        txn("txn_fee", -1, "usd", "2026-11-15", category="fee"),
    ]
    charges = [charge("ch_1", 12_000, "usd", "2026-09-03T10:00:00", "txn_1", payment_intent="pi_1")]
    inv = invoice(
        "in_1",
        "usd",
        10_000,
        2_000,
        "2026-09-03T10:00:00",
        [line(10_000, "2026-09-01", "2026-12-01")],
        payments=paid_by(payment_intent="pi_1", amount=12_000, currency="usd"),
        post_payment_credit_notes_amount=6_000,
    )
    note = {
        "id": "cn_1",
        "object": "credit_note",
        "invoice": "in_1",
        "customer": "cus_1",
        "currency": "usd",
        "status": "issued",
        "type": "post_payment",
        "amount": 6_000,
        "subtotal": 5_000,
        "subtotal_excluding_tax": 5_000,
        "total": 6_000,
        "total_taxes": [{"amount": 1_000, "tax_behavior": "exclusive", "taxability_reason": "standard_rated"}],
        "pre_payment_amount": 0,
        "post_payment_amount": 6_000,
        "out_of_band_amount": 0,
        "refunds": [{"amount_refunded": 6_000, "refund": "re_1"}],
        "effective_at": ts("2026-10-01T10:00:00"),
        "created": ts("2026-10-01T10:00:00"),
    }
    write_stripe_objects(
        data_dir,
        {
            "balance_transactions": ledger,
            "charges": charges,
            "invoices": [inv],
            "credit_notes": [note],
            "refunds": [refund("re_1", "ch_1", 6_000, "2026-10-01T10:00:00", "txn_re")],
        },
        datetime(2026, 12, 5, tzinfo=UTC),
    )
    run("stripe")
    taxes = dict(q("SELECT month, sales_tax FROM finops.monthly_revenue WHERE currency = 'USD' ORDER BY month"))
    assert taxes == {"2026-09": D(20), "2026-10": D(-10), "2026-11": D(0)}
    rows = recognised()
    assert rows["2026-10"][0] == D(-50)
    assert abs(rows["2026-09"][1] - D(100) * 30 / 91) < CLOSE
    assert abs(rows["2026-10"][1] - (D(50) * 61 / 91 - D(100) * 30 / 91)) < CLOSE
    assert abs(rows["2026-11"][1] - D(50) * 30 / 91) < CLOSE
    assert abs(sum(revenue for _, revenue in rows.values()) - D(50)) < CLOSE
