"""Stripe revenue per month: only revenue moves count; the breakdown adds up to net."""

from datetime import date
from decimal import Decimal

from tests.sql.conftest import q, run
from tests.sql.raw import write_stripe


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
            {"id": "txn_jpy", "amount": 12_000, "fee": 400, "currency": "jpy", "exponent": 0,
             "created": date(2026, 9, 12)},
        ],
    )
    run("stripe")
    rows = q("SELECT currency, gross_volume, refunds, disputes, processing_fees, stripe_fees, other, net "
             "FROM finops.monthly_revenue WHERE month = '2026-09' ORDER BY currency")
    assert rows == [
        ("JPY", Decimal(12_000), 0, 0, Decimal(400), 0, 0, Decimal(11_600)),
        ("USD", Decimal("1000"), Decimal("-200"), Decimal("-50"), Decimal("47"), Decimal("7"), 0, Decimal("696")),
    ]
    for _currency, gross, refunds, disputes, processing, stripe_fees, other, net in rows:
        assert gross + refunds + disputes + other - processing - stripe_fees == net
    # The margin uses the same revenue: 1000 - 200 - 50 - 32 - 15 - 7 = 696, payouts and transfers left out.
    assert q("SELECT revenue FROM finops.monthly_margin WHERE month = '2026-09' AND currency = 'USD'") == [
        (Decimal("696"),)
    ]
