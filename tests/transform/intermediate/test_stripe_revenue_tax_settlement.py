"""VAT and deferrals of Stripe invoices against the ledger's cash: in the currency the invoice settled in
(multi-currency accounts), and only for invoices paid through Stripe (not paid out of band). Every expected
figure is worked out by hand with Decimal in the comments."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.helpers.stripe_objects import charge, invoice, line, paid_by, txn
from tests.helpers.transform import q, run
from tests.transform.raw import write_stripe_objects

D = Decimal


def revenue(month, currency):
    rows = q("SELECT gross_volume, sales_tax, revenue FROM finops.monthly_revenue "
             f"WHERE month = '{month}' AND currency = '{currency}'")
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.parametrize("link", ["payment_intent", "charge", "legacy_charge"])
def test_vat_of_an_invoice_settled_in_another_currency_is_taken_in_the_settlement_currency(data_dir, link):
    """A USD-settled account bills 100.00 EUR + 20.00 EUR VAT; the charge of 120.00 EUR settles as USD 139.20
    (exchange_rate 1.16). Revenue excludes the VAT in USD: 139.20 - 20.00 x 1.16 = 116.00 USD (the VAT was
    dropped before: it was keyed on EUR, which has no ledger row). The invoice links to its balance transaction
    through its payments (a PaymentIntent or a charge) or, on old API versions, its top-level charge."""
    loaded = datetime(2026, 10, 5, tzinfo=UTC)
    ledger = [txn("txn_1", 13_920, "usd", "2026-09-03T10:00:00", source="ch_1", exchange_rate=1.16)]
    charges = [charge("ch_1", 12_000, "eur", "2026-09-03T10:00:00", "txn_1", payment_intent="pi_1")]
    how = {"payment_intent": {"payments": paid_by(payment_intent="pi_1", amount=12_000)},
           "charge": {"payments": paid_by(charge_id="ch_1", amount=12_000)},
           "legacy_charge": {"charge": "ch_1"}}[link]
    inv = invoice("in_eur", "eur", 10_000, 2_000, "2026-09-03T10:00:00", [line(10_000, "2026-09-03T10:00:00")], **how)
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "charges": charges, "invoices": [inv]}, loaded)
    run("stripe")
    assert revenue("2026-09", "USD") == (D("139.20"), D("20.00") * D("1.16"), D("139.20") - D("20.00") * D("1.16"))
    assert q("SELECT count() FROM finops.monthly_revenue WHERE currency = 'EUR'") == [(0,)]
    # a one-off line: recognised when paid, so recognised = cash revenue = 116.00 USD
    assert q("SELECT currency, recognised_revenue FROM finops.monthly_recognised_revenue WHERE month = '2026-09'") == [
        ("USD", D("116.00"))]


def test_annual_invoice_in_another_currency_is_deferred_in_the_settlement_currency(data_dir):
    """An annual plan of 1,200.00 EUR (no tax) paid 2026-01-01, settled as USD 1,392.00 (exchange_rate 1.16).
    The deferral runs in USD like the cash: January recognises 1,392 x 31/365 = 118.2246575342 USD and no EUR
    row exists (before: EUR -1,098.08 and USD 1,392.00 in January)."""
    loaded = datetime(2026, 12, 5, tzinfo=UTC)
    ledger = [txn("txn_annual", 139_200, "usd", "2026-01-01T10:00:00", source="ch_annual", exchange_rate=1.16),
              txn("txn_fee", -100, "usd", "2026-11-30", category="fee")]
    charges = [charge("ch_annual", 120_000, "eur", "2026-01-01T10:00:00", "txn_annual", payment_intent="pi_annual")]
    inv = invoice("in_annual", "eur", 120_000, 0, "2026-01-01T10:00:00", [line(120_000, "2026-01-01", "2027-01-01")],
                  payments=paid_by(payment_intent="pi_annual", amount=120_000))
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "charges": charges, "invoices": [inv]}, loaded)
    run("stripe")
    rows = q("SELECT month, currency, revenue FROM finops.unit_economics_by_currency ORDER BY month, currency")
    assert {r[1] for r in rows} == {"USD"}, rows
    by_month = {r[0]: r[2] for r in rows}
    assert abs(by_month["2026-01"] - D(1392) * 31 / 365) < D("0.0000001")
    assert abs(by_month["2026-02"] - D(1392) * 28 / 365) < D("0.0000001")
    recognised = q("SELECT sum(recognised), sum(invoiced_paid) FROM finops.int_stripe__revenue_recognition "
                   "WHERE currency = 'usd'")[0]
    assert abs(recognised[0] - D(1392)) < D("0.000001") and recognised[1] == D(1392)


def test_vat_of_an_invoice_paid_out_of_band_is_not_taken_from_stripe_cash(data_dir):
    """September: a card charge of 50.00 and an invoice of 100.00 + 20.00 VAT marked paid out of band (a bank
    transfer outside Stripe: no charge, no balance transaction). Stripe's cash holds none of that invoice, nor
    its VAT: revenue 50.00, recognised 50.00 (before: 50 - 20 = 30)."""
    loaded = datetime(2026, 10, 5, tzinfo=UTC)
    ledger = [txn("txn_card", 5_000, "usd", "2026-09-02T10:00:00")]
    inv = invoice("in_oob", "usd", 10_000, 2_000, "2026-09-05T10:00:00", [line(10_000, "2026-09-20T10:00:00")],
                  paid_out_of_band=True)
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "invoices": [inv]}, loaded)
    run("stripe")
    assert revenue("2026-09", "USD") == (D(50), D(0), D(50))
    assert q("SELECT recognised_revenue FROM finops.monthly_recognised_revenue WHERE month = '2026-09' "
             "AND currency = 'USD'") == [(D(50),)]


def test_vat_of_an_invoice_paid_through_stripe_is_still_taken_when_paid_out_of_band_is_false_or_missing(data_dir):
    """paid_out_of_band false, and a row without the column's value (loaded before it existed: NULL), are
    paid through Stripe: 120.00 + 120.00 cash less 2 x 20.00 VAT = 200.00."""
    loaded = datetime(2026, 10, 5, tzinfo=UTC)
    ledger = [txn("txn_a", 12_000, "usd", "2026-09-02T10:00:00"), txn("txn_b", 12_000, "usd", "2026-09-03T10:00:00")]
    invoices = [invoice("in_a", "usd", 10_000, 2_000, "2026-09-02T10:00:00", [line(10_000, "2026-09-02")],
                        paid_out_of_band=False),
                invoice("in_b", "usd", 10_000, 2_000, "2026-09-03T10:00:00", [line(10_000, "2026-09-03")])]
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "invoices": invoices}, loaded)
    run("stripe")
    assert revenue("2026-09", "USD") == (D(240), D(40), D(200))


def test_vat_of_an_invoice_not_linked_to_the_ledger_is_kept_in_its_currency_not_dropped(data_dir):
    """An EUR invoice whose payment is not loaded (no payments, no charge): its settlement currency is unknown,
    so its VAT stays in EUR, as a row of its own, instead of vanishing for want of an EUR ledger row."""
    loaded = datetime(2026, 10, 5, tzinfo=UTC)
    ledger = [txn("txn_1", 13_920, "usd", "2026-09-03T10:00:00", exchange_rate=1.16)]
    inv = invoice("in_eur", "eur", 10_000, 2_000, "2026-09-03T10:00:00", [line(10_000, "2026-09-03")])
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "invoices": [inv]}, loaded)
    run("stripe")
    assert revenue("2026-09", "USD") == (D("139.20"), D(0), D("139.20"))
    assert revenue("2026-09", "EUR") == (D(0), D(20), D(-20))


def test_a_conversion_without_an_exchange_rate_fails_the_build(data_dir):
    """A balance transaction in USD settling an EUR invoice must carry Stripe's exchange_rate; without it the
    VAT cannot be converted, and the build says so instead of guessing."""
    loaded = datetime(2026, 10, 5, tzinfo=UTC)
    ledger = [txn("txn_1", 13_920, "usd", "2026-09-03T10:00:00", source="ch_1")]
    charges = [charge("ch_1", 12_000, "eur", "2026-09-03T10:00:00", "txn_1", payment_intent="pi_1")]
    inv = invoice("in_eur", "eur", 10_000, 2_000, "2026-09-03T10:00:00", [line(10_000, "2026-09-03")],
                  payments=paid_by(payment_intent="pi_1", amount=12_000))
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "charges": charges, "invoices": [inv]}, loaded)
    with pytest.raises(Exception, match="without an exchange_rate"):
        run("stripe")


def _payments(*paid: tuple[str, int]) -> dict:
    """The invoice's `payments`: one paid Invoice Payment per (PaymentIntent, amount paid in the invoice's currency)."""
    return {"object": "list", "has_more": False, "data": [
        {"id": f"inpay_{number}", "object": "invoice_payment", "amount_paid": amount, "amount_requested": amount,
         "currency": "eur", "is_default": number == 1, "status": "paid",
         "payment": {"type": "payment_intent", "payment_intent": intent, "charge": None}}
        for number, (intent, amount) in enumerate(paid, start=1)]}


def test_an_invoice_paid_in_parts_takes_each_parts_rate(data_dir):
    """100.00 EUR + 20.00 EUR VAT paid in two halves of 60.00 EUR: on 09-03 settled as USD 69.60 (1.16), on 09-10
    as USD 72.00 (1.20). The invoice's rate is (60 x 1.16 + 60 x 1.20) / 120 = 1.18: VAT 20 x 1.18 = 23.60 USD,
    revenue 141.60 - 23.60 = 118.00 USD = 100 EUR x 1.18 (the first payment's rate alone: VAT 23.20, recognised
    116.00 against 118.40 cash revenue). A second invoice the same, its halves settled as USD 69.60 (1.16) and
    GBP 51.60 (0.86): USD takes 60/120 of it at 1.16 (VAT 11.60, revenue 58.00), GBP 60/120 at 0.86 (VAT 8.60,
    revenue 51.60 - 8.60 = 43.00). USD in all: cash 211.20, VAT 35.20, revenue 176.00."""
    loaded = datetime(2026, 10, 5, tzinfo=UTC)
    ledger = [txn("txn_1", 6_960, "usd", "2026-09-03T10:00:00", source="ch_1", exchange_rate=1.16),
              txn("txn_2", 7_200, "usd", "2026-09-10T10:00:00", source="ch_2", exchange_rate=1.20),
              txn("txn_3", 6_960, "usd", "2026-09-03T11:00:00", source="ch_3", exchange_rate=1.16),
              txn("txn_4", 5_160, "gbp", "2026-09-10T11:00:00", source="ch_4", exchange_rate=0.86)]
    charges = [charge(f"ch_{n}", 6_000, "eur", "2026-09-03T10:00:00", f"txn_{n}", payment_intent=f"pi_{n}")
               for n in range(1, 5)]
    invoices = [invoice("in_usd", "eur", 10_000, 2_000, "2026-09-10T10:00:00", [line(10_000, "2026-09-10T10:00:00")],
                        payments=_payments(("pi_1", 6_000), ("pi_2", 6_000))),
                invoice("in_mixed", "eur", 10_000, 2_000, "2026-09-10T11:00:00", [line(10_000, "2026-09-10T11:00:00")],
                        payments=_payments(("pi_3", 6_000), ("pi_4", 6_000)))]
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "charges": charges, "invoices": invoices}, loaded)
    run("stripe")
    assert revenue("2026-09", "USD") == (D("211.20"), D("35.20"), D("176.00"))
    assert revenue("2026-09", "GBP") == (D("51.60"), D("8.60"), D("43.00"))
    assert dict(q("SELECT currency, recognised_revenue FROM finops.monthly_recognised_revenue "
                  "WHERE month = '2026-09'")) == {"USD": D("176.00"), "GBP": D("43.00")}


def test_an_invoice_paid_in_parts_converts_each_part_exactly(data_dir):
    """EUR 3,000,000,000.00 (no VAT) paid as EUR 1e9 at 1.16 (USD 1,160,000,000.00) and EUR 2e9 at 1.20
    (USD 2,400,000,000.00): USD 3,560,000,000.00 exactly, the ledger's sum (the blended rate 3.56 / 3 truncated to
    1.1866666666 before it multiplied: 3,559,999,999.80)."""
    loaded = datetime(2026, 10, 5, tzinfo=UTC)
    ledger = [txn("txn_1", 116_000_000_000, "usd", "2026-09-03T10:00:00", source="ch_1", exchange_rate=1.16),
              txn("txn_2", 240_000_000_000, "usd", "2026-09-03T11:00:00", source="ch_2", exchange_rate=1.20)]
    charges = [charge("ch_1", 100_000_000_000, "eur", "2026-09-03T10:00:00", "txn_1", payment_intent="pi_1"),
               charge("ch_2", 200_000_000_000, "eur", "2026-09-03T11:00:00", "txn_2", payment_intent="pi_2")]
    inv = invoice("in_big", "eur", 300_000_000_000, 0, "2026-09-03T11:00:00",
                  [line(300_000_000_000, "2026-09-03T11:00:00")],
                  payments=_payments(("pi_1", 100_000_000_000), ("pi_2", 200_000_000_000)))
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "charges": charges, "invoices": [inv]}, loaded)
    run("stripe")
    assert q("SELECT currency, invoiced_paid, recognised FROM finops.int_stripe__revenue_recognition "
             "WHERE month = '2026-09'") == [("usd", D(3_560_000_000), D(3_560_000_000))]
