"""Stripe revenue per month from the ledger: every revenue-moving reporting category counts, balance
movements do not, fees are a cost line, VAT is not revenue, annual prepayments are recognised over their
service period. Every expected figure is worked out by hand in the comments."""

from datetime import UTC, date, datetime
from decimal import Decimal

from tests.helpers.stripe_objects import ts
from tests.helpers.transform import q, run
from tests.transform.raw import write_stripe, write_stripe_objects

D = Decimal


def revenue_row(month: str = "2026-09", currency: str = "USD") -> dict:
    columns = ["gross_volume", "refunds", "failed_payments", "disputes", "platform_earnings", "other", "sales_tax",
               "revenue", "processing_fees", "stripe_fees", "fees", "net"]
    rows = q(f"SELECT {', '.join(columns)} FROM finops.monthly_revenue WHERE month = '{month}' AND currency = '{currency}'")
    assert len(rows) == 1, rows
    return dict(zip(columns, rows[0], strict=True))


def test_payouts_and_transfers_are_not_revenue_and_the_breakdown_adds_up(data_dir):
    write_stripe(
        data_dir,
        [
            {"id": "txn_charge", "amount": 100_000, "fee": 3_200, "currency": "usd", "created": date(2026, 9, 3)},
            {"id": "txn_refund", "amount": -20_000, "currency": "usd", "created": date(2026, 9, 4),
             "type": "refund", "reporting_category": "refund"},
            {"id": "txn_dispute", "amount": -5_000, "fee": 1_500, "currency": "usd", "created": date(2026, 9, 5),
             "type": "adjustment", "reporting_category": "dispute"},
            {"id": "txn_billing_fee", "amount": -700, "currency": "usd", "created": date(2026, 9, 30),
             "type": "stripe_fee", "reporting_category": "fee"},
            {"id": "txn_payout", "amount": -60_000, "currency": "usd", "created": date(2026, 9, 10),
             "type": "payout", "reporting_category": "payout"},
            {"id": "txn_transfer", "amount": -4_000, "currency": "usd", "created": date(2026, 9, 11),
             "type": "transfer", "reporting_category": "transfer"},
            {"id": "txn_topup", "amount": 9_000, "currency": "usd", "created": date(2026, 9, 11),
             "type": "topup", "reporting_category": "topup"},
            {"id": "txn_reserve", "amount": -3_000, "currency": "usd", "created": date(2026, 9, 11),
             "type": "reserve_transaction", "reporting_category": "risk_reserved_funds"},
            {"id": "txn_issuing", "amount": -1_000, "currency": "usd", "created": date(2026, 9, 11),
             "type": "issuing_transaction", "reporting_category": "issuing_transaction"},
            {"id": "txn_jpy", "amount": 12_000, "fee": 400, "currency": "jpy", "exponent": 0,
             "created": date(2026, 9, 12)},
        ],
    )
    run("stripe")
    usd = revenue_row()
    # revenue before fees: 1000 - 200 - 50 = 750; fees: 32 + 15 (processing) + 7 (Billing) = 54; net 696
    assert (usd["revenue"], usd["processing_fees"], usd["stripe_fees"], usd["fees"], usd["net"]) == (
        D(750), D(47), D(7), D(54), D(696))
    assert usd["gross_volume"] + usd["refunds"] + usd["disputes"] + usd["other"] == usd["revenue"]
    assert revenue_row(currency="JPY")["net"] == D(11_600)
    # The margin: revenue 750, Stripe fees 54 a cost line, no cloud cost: 696, 92.8 %.
    assert q("SELECT revenue, stripe_fees, margin, margin_pct FROM finops.monthly_margin "
             "WHERE month = '2026-09' AND currency = 'USD'") == [(D(750), D(54), D(696), 92.8)]


def test_ach_failure_refund_failure_connect_fees_and_new_categories(data_dir):
    write_stripe(
        data_dir,
        [
            # an ACH debit of 1000.00 (fee 8.00) that succeeded, then failed: the money goes back, the fee
            # stays: revenue 0, fees 8, net -8 (not +992)
            {"id": "txn_ach", "amount": 100_000, "fee": 800, "currency": "usd", "created": date(2026, 9, 1)},
            {"id": "txn_ach_failed", "amount": -100_000, "currency": "usd", "created": date(2026, 9, 6),
             "type": "payment_failure_refund", "reporting_category": "charge_failure"},
            # a 200.00 refund that failed: the money comes back, the refund nets to 0
            {"id": "txn_card", "amount": 50_000, "fee": 1_480, "currency": "usd", "created": date(2026, 9, 2)},
            {"id": "txn_refund", "amount": -20_000, "currency": "usd", "created": date(2026, 9, 3),
             "type": "refund", "reporting_category": "refund"},
            {"id": "txn_refund_failed", "amount": 20_000, "currency": "usd", "created": date(2026, 9, 9),
             "type": "refund_failure", "reporting_category": "refund_failure"},
            # Connect application fees earned (50.00) and one refunded (5.00): revenue
            {"id": "txn_app_fee", "amount": 5_000, "currency": "usd", "created": date(2026, 9, 4),
             "type": "application_fee", "reporting_category": "platform_earning"},
            {"id": "txn_app_fee_refund", "amount": -500, "currency": "usd", "created": date(2026, 9, 5),
             "type": "application_fee_refund", "reporting_category": "platform_earning_refund"},
            # tax Stripe charges on its fees (1.60): a fee, not revenue
            {"id": "txn_fee_tax", "amount": -160, "currency": "usd", "created": date(2026, 9, 30),
             "type": "tax_fee", "reporting_category": "tax"},
            # a category this code has never heard of: counted in `other`, never dropped
            {"id": "txn_new", "amount": 300, "currency": "usd", "created": date(2026, 9, 12),
             "type": "adjustment", "reporting_category": "brand_new_category"},
        ],
    )
    run("stripe")
    row = revenue_row()
    assert row["failed_payments"] == D(-1000)
    assert row["refunds"] == D(0)
    assert row["platform_earnings"] == D(45)
    assert row["other"] == D(3)
    # revenue = 1000 + 500 - 1000 + 0 + 45 + 3 = 548; fees = 8 + 14.80 + 1.60 = 24.40
    assert (row["revenue"], row["fees"], row["net"]) == (D(548), D("24.4"), D("523.6"))


def test_ach_failure_alone_nets_minus_the_fee(data_dir):
    write_stripe(
        data_dir,
        [
            {"id": "txn_ach", "amount": 100_000, "fee": 800, "currency": "usd", "created": date(2026, 9, 1)},
            {"id": "txn_ach_failed", "amount": -100_000, "currency": "usd", "created": date(2026, 9, 6),
             "type": "payment_failure_refund", "reporting_category": "charge_failure"},
        ],
    )
    run("stripe")
    assert revenue_row()["net"] == D(-8)


def paid_invoice(invoice_id, total_excluding_tax, tax, paid_on, lines, currency="eur"):
    return {"id": invoice_id, "object": "invoice", "customer": "cus_1", "currency": currency, "status": "paid",
            "created": ts(paid_on), "total": total_excluding_tax + tax, "subtotal": total_excluding_tax,
            "total_excluding_tax": total_excluding_tax, "amount_paid": total_excluding_tax + tax,
            "status_transitions": {"paid_at": ts(paid_on), "finalized_at": ts(paid_on)},
            "lines": {"object": "list", "has_more": False, "data": lines}}


def period_line(amount, start, end, discount=0):
    return {"object": "line_item", "amount": amount, "period": {"start": ts(start), "end": ts(end)},
            "discount_amounts": [{"amount": discount, "discount": "di_1"}] if discount else []}


def test_vat_is_not_revenue_and_an_annual_prepayment_is_recognised_over_its_year(data_dir):
    loaded = datetime(2026, 12, 5, tzinfo=UTC)
    ledger = [
        # 1 Jan 2026: an annual plan of 1,200.00 + 20 % VAT (240.00) paid up front: charge 1,440.00, fee 42.00
        {"id": "txn_annual", "object": "balance_transaction", "type": "charge", "reporting_category": "charge",
         "amount": 144_000, "fee": 4_200, "net": 139_800, "currency": "eur", "created": ts("2026-01-01")},
        # 10 Jan: a one-off charge without an invoice (100.00): cash and recognised in January
        {"id": "txn_oneoff", "object": "balance_transaction", "type": "charge", "reporting_category": "charge",
         "amount": 10_000, "fee": 320, "net": 9_680, "currency": "eur", "created": ts("2026-01-10")},
        {"id": "txn_feb", "object": "balance_transaction", "type": "stripe_fee", "reporting_category": "fee",
         "amount": -100, "fee": 0, "net": -100, "currency": "eur", "created": ts("2026-02-28")},
    ]
    # the annual line: 1,300.00 less a 100.00 discount = 1,200.00 over 2026-01-01 .. 2027-01-01 (365 days)
    invoice = paid_invoice("in_annual", 120_000, 24_000, "2026-01-01",
                           [period_line(130_000, "2026-01-01", "2027-01-01", discount=10_000)])
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "invoices": [invoice]}, loaded)
    run("stripe")
    jan = revenue_row("2026-01", "EUR")
    # cash revenue excludes the VAT: 1,440 + 100 - 240 = 1,300; fees 42 + 3.20
    assert (jan["sales_tax"], jan["revenue"], jan["fees"]) == (D(240), D(1300), D("45.2"))
    recognised = dict(q("SELECT month, recognised_revenue FROM finops.monthly_recognised_revenue "
                        "WHERE currency = 'EUR' ORDER BY month"))
    # January: 1,200 * 31/365 = 101.9178082191... + the one-off 100; February: 1,200 * 28/365 = 92.0547945205...
    assert recognised["2026-01"].quantize(D("0.01")) == D("201.92")
    assert recognised["2026-02"].quantize(D("0.01")) == D("92.05")
    total = q("SELECT sum(recognised) FROM finops.int_stripe__revenue_recognition WHERE currency = 'eur'")[0][0]
    assert abs(total - D(1200)) < D("0.000001")


def test_balance_holds_and_their_releases_are_not_revenue_in_any_month(data_dir):
    """A payout on Sep 30 keeps back the account's minimum balance (payout_minimum_balance_hold -100.00) and
    releases it with the next payout on Oct 1 (+100.00); a card network reserve holds 50.00 in September and
    releases it in October. Whatever reporting category Stripe gives them, they are money kept back, not revenue:
    September and October earn only their charges (1000.00 and 200.00). Before: September 850.00 (1000 - 100 - 50
    in `other`), October 350.00 (with the releases)."""
    write_stripe(
        data_dir,
        [
            {"id": "txn_charge", "amount": 100_000, "currency": "usd", "created": date(2026, 9, 3)},
            {"id": "txn_hold", "amount": -10_000, "currency": "usd", "created": date(2026, 9, 30),
             "type": "payout_minimum_balance_hold", "reporting_category": "payout_minimum_balance_hold"},
            {"id": "txn_network_hold", "amount": -5_000, "currency": "usd", "created": date(2026, 9, 12),
             "type": "payment_network_reserve_hold", "reporting_category": "other_adjustment"},
            {"id": "txn_release", "amount": 10_000, "currency": "usd", "created": date(2026, 10, 1),
             "type": "payout_minimum_balance_release", "reporting_category": "payout_minimum_balance_release"},
            {"id": "txn_network_release", "amount": 5_000, "currency": "usd", "created": date(2026, 10, 12),
             "type": "payment_network_reserve_release", "reporting_category": "other_adjustment"},
            {"id": "txn_charge_oct", "amount": 20_000, "currency": "usd", "created": date(2026, 10, 5)},
        ],
    )
    run("stripe")
    september, october = revenue_row("2026-09"), revenue_row("2026-10")
    assert (september["other"], september["revenue"]) == (D(0), D(1000))
    assert (october["other"], october["revenue"]) == (D(0), D(200))
