"""VAT given back by Stripe credit notes (include/sql/intermediate/stripe/int_stripe__revenue_recognition.sql): a
credit note's VAT (total - total_excluding_tax), its pre-payment share less VAT in the month its invoice was paid,
its post-payment share less out of band given back in the month it took effect, in its invoice's settlement
currency. Every expected figure is worked out by hand with Decimal in the docstrings."""

from datetime import UTC, datetime
from decimal import Decimal

from tests.helpers.stripe_objects import charge, invoice, line, paid_by, ts, txn
from tests.helpers.transform import q, run
from tests.transform.raw import write_stripe_objects

D = Decimal


def credit_note(note_id, invoice_id, subtotal, tax, day, pre=0, post=0, out_of_band=0, status="issued",
                currency="usd", **extra):
    """A credit note as the API returns it (2025-03-31 and later: total_taxes, no total_excluding_tax)."""
    total = subtotal + tax
    kind = "pre_payment" if pre and not post else "post_payment" if post and not pre else "mixed"
    obj = {"id": note_id, "object": "credit_note", "invoice": invoice_id, "customer": "cus_1", "currency": currency,
           "status": status, "type": kind, "amount": total, "subtotal": subtotal, "subtotal_excluding_tax": subtotal,
           "total": total, "total_taxes": [{"amount": tax, "tax_behavior": "exclusive", "taxability_reason": "standard_rated"}],
           "pre_payment_amount": pre, "post_payment_amount": post, "out_of_band_amount": out_of_band,
           "refunds": [{"amount_refunded": post - out_of_band, "refund": "re_" + note_id}] if post - out_of_band else [],
           "effective_at": ts(day), "created": ts(day), "livemode": False}
    obj.update(extra)
    return obj


def revenue(month, currency="USD"):
    rows = q("SELECT gross_volume, refunds, sales_tax, revenue FROM finops.monthly_revenue "
             f"WHERE month = '{month}' AND currency = '{currency}'")
    assert len(rows) == 1, rows
    return rows[0]


def test_a_post_payment_credit_note_refunding_the_whole_invoice_gives_its_vat_back(data_dir):
    """Invoice 100.00 + 20.00 VAT paid 2026-09-03 (charge 120.00), refunded in full on 2026-09-10 through a
    post-payment credit note of 120.00 (100.00 + 20.00 VAT; refund -120.00 in the ledger). Revenue 120 - 120 -
    (20 - 20) = 0 (was -20: the VAT stayed subtracted); recognised revenue 0 too."""
    loaded = datetime(2026, 10, 5, tzinfo=UTC)
    ledger = [txn("txn_charge", 12_000, "usd", "2026-09-03T10:00:00"),
              txn("txn_refund", -12_000, "usd", "2026-09-10T10:00:00", category="refund")]
    inv = invoice("in_1", "usd", 10_000, 2_000, "2026-09-03T10:00:00", post_payment_credit_notes_amount=12_000)
    note = credit_note("cn_1", "in_1", 10_000, 2_000, "2026-09-10T10:00:00", post=12_000)
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "invoices": [inv], "credit_notes": [note]}, loaded)
    run("stripe")
    assert revenue("2026-09") == (D(120), D(-120), D(0), D(0))
    assert q("SELECT recognised_revenue FROM finops.monthly_recognised_revenue WHERE month = '2026-09' "
             "AND currency = 'USD'") == [(D(0),)]


def test_a_pre_payment_credit_note_lowers_the_vat_of_the_month_the_invoice_is_paid(data_dir):
    """Invoice 100.00 + 20.00 VAT; before it is paid, a pre-payment credit note of 50.00 + 10.00 VAT; the invoice
    then collects 60.00 on 2026-09-05 (50.00 revenue + 10.00 VAT). Revenue 60 - (20 - 10) = 50 (was 40)."""
    loaded = datetime(2026, 10, 5, tzinfo=UTC)
    ledger = [txn("txn_charge", 6_000, "usd", "2026-09-05T10:00:00")]
    inv = invoice("in_1", "usd", 10_000, 2_000, "2026-09-05T10:00:00", amount_due=6_000, amount_paid=6_000,
                  pre_payment_credit_notes_amount=6_000)
    note = credit_note("cn_1", "in_1", 5_000, 1_000, "2026-08-28T10:00:00", pre=6_000)
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "invoices": [inv], "credit_notes": [note]}, loaded)
    run("stripe")
    assert revenue("2026-09") == (D(60), D(0), D(10), D(50))
    # no VAT row in August: the credit note was issued then, but the pre-payment share goes with the payment
    assert q("SELECT count() FROM finops.monthly_revenue WHERE month = '2026-08'") == [(0,)]


def test_a_void_credit_note_changes_nothing(data_dir):
    """Invoice 100.00 + 20.00 VAT paid 2026-09-03. A post-payment credit note of 120.00 issued, then voided (no
    refund in the ledger), and one of 30.00 + 6.00 VAT refunded (-36.00) on 2026-09-20. Only the issued one
    gives VAT back: 120 - 36 - (20 - 6) = 70 (was 64; counting the void one too would give 90)."""
    loaded = datetime(2026, 10, 5, tzinfo=UTC)
    ledger = [txn("txn_charge", 12_000, "usd", "2026-09-03T10:00:00"),
              txn("txn_refund", -3_600, "usd", "2026-09-20T10:00:00", category="refund")]
    inv = invoice("in_1", "usd", 10_000, 2_000, "2026-09-03T10:00:00", post_payment_credit_notes_amount=3_600)
    void = credit_note("cn_void", "in_1", 10_000, 2_000, "2026-09-10T10:00:00", post=12_000, status="void",
                       voided_at=ts("2026-09-11"), refunds=[])
    issued = credit_note("cn_1", "in_1", 3_000, 600, "2026-09-20T10:00:00", post=3_600)
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "invoices": [inv], "credit_notes": [void, issued]},
                         loaded)
    run("stripe")
    assert revenue("2026-09") == (D(120), D(-36), D(14), D(70))


def test_a_partial_post_payment_refund_in_a_later_month_gives_back_its_share_of_vat_then(data_dir):
    """Invoice 100.00 + 20.00 VAT paid 2026-09-03; on 2026-10-15 a post-payment credit note of 30.00 + 6.00 VAT
    (36.00 refunded). September: 120 - 20 = 100. October: -36 + 6 = -30 (was -36: the VAT given back was lost)."""
    loaded = datetime(2026, 11, 5, tzinfo=UTC)
    ledger = [txn("txn_charge", 12_000, "usd", "2026-09-03T10:00:00"),
              txn("txn_refund", -3_600, "usd", "2026-10-15T10:00:00", category="refund")]
    inv = invoice("in_1", "usd", 10_000, 2_000, "2026-09-03T10:00:00", post_payment_credit_notes_amount=3_600)
    note = credit_note("cn_1", "in_1", 3_000, 600, "2026-10-15T10:00:00", post=3_600)
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "invoices": [inv], "credit_notes": [note]}, loaded)
    run("stripe")
    assert revenue("2026-09") == (D(120), D(0), D(20), D(100))
    assert revenue("2026-10") == (D(0), D(-36), D(-6), D(-30))


def test_the_out_of_band_part_of_a_post_payment_credit_note_gives_no_vat_back(data_dir):
    """Invoice 100.00 + 20.00 VAT paid 2026-09-03; a post-payment credit note of 60.00 (50.00 + 10.00 VAT) on
    2026-09-20, of which 30.00 refunded through Stripe and 30.00 credited out of band: VAT given back in the
    ledger's books 10 x 30 / 60 = 5. Revenue 120 - 30 - (20 - 5) = 75."""
    loaded = datetime(2026, 10, 5, tzinfo=UTC)
    ledger = [txn("txn_charge", 12_000, "usd", "2026-09-03T10:00:00"),
              txn("txn_refund", -3_000, "usd", "2026-09-20T10:00:00", category="refund")]
    inv = invoice("in_1", "usd", 10_000, 2_000, "2026-09-03T10:00:00", post_payment_credit_notes_amount=6_000)
    note = credit_note("cn_1", "in_1", 5_000, 1_000, "2026-09-20T10:00:00", post=6_000, out_of_band=3_000)
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "invoices": [inv], "credit_notes": [note]}, loaded)
    run("stripe")
    assert revenue("2026-09") == (D(120), D(-30), D(15), D(75))


def test_a_credit_note_in_another_currency_than_settlement_is_converted_at_its_invoice_rate(data_dir):
    """A USD-settled account: invoice 100.00 EUR + 20.00 EUR VAT paid 2026-09-03 by a charge settled as USD 139.20
    (exchange_rate 1.16); on 2026-10-10 a post-payment credit note of 50.00 EUR + 10.00 EUR VAT, refunded as
    USD -69.60. September: 139.20 - 20 x 1.16 = 116.00 USD. October: -69.60 + 10 x 1.16 = -58.00 USD; no EUR row."""
    loaded = datetime(2026, 11, 5, tzinfo=UTC)
    ledger = [txn("txn_1", 13_920, "usd", "2026-09-03T10:00:00", source="ch_1", exchange_rate=1.16),
              txn("txn_re", -6_960, "usd", "2026-10-10T10:00:00", category="refund", exchange_rate=1.16)]
    charges = [charge("ch_1", 12_000, "eur", "2026-09-03T10:00:00", "txn_1", payment_intent="pi_1")]
    inv = invoice("in_eur", "eur", 10_000, 2_000, "2026-09-03T10:00:00",
                  payments=paid_by(payment_intent="pi_1", amount=12_000))
    note = credit_note("cn_eur", "in_eur", 5_000, 1_000, "2026-10-10T10:00:00", post=6_000, currency="eur")
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "charges": charges, "invoices": [inv],
                                    "credit_notes": [note]}, loaded)
    run("stripe")
    assert revenue("2026-09") == (D("139.20"), D(0), D("23.20"), D("116.00"))
    assert revenue("2026-10") == (D(0), D("-69.60"), D("-11.60"), D("-58.00"))
    assert q("SELECT count() FROM finops.monthly_revenue WHERE currency = 'EUR'") == [(0,)]


def test_credit_notes_of_an_invoice_paid_out_of_band_are_left_out(data_dir):
    """An invoice of 100.00 + 20.00 VAT paid out of band (never in the ledger), then a post-payment credit note of
    120.00 on it: neither its VAT nor the credit note's touches Stripe revenue: 50.00 (a card charge) stays 50.00."""
    loaded = datetime(2026, 10, 5, tzinfo=UTC)
    ledger = [txn("txn_card", 5_000, "usd", "2026-09-02T10:00:00")]
    inv = invoice("in_oob", "usd", 10_000, 2_000, "2026-09-05T10:00:00", paid_out_of_band=True)
    note = credit_note("cn_oob", "in_oob", 10_000, 2_000, "2026-09-10T10:00:00", post=12_000, out_of_band=12_000)
    note_refund = credit_note("cn_oob2", "in_oob", 1_000, 200, "2026-09-11T10:00:00", post=1_200)
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "invoices": [inv],
                                    "credit_notes": [note, note_refund]}, loaded)
    run("stripe")
    assert revenue("2026-09") == (D(50), D(0), D(0), D(50))


def test_the_staging_view_documents_its_columns(data_dir):
    """stg_stripe__credit_notes (not in the demo data, so tests/transform/test_model_yaml.py cannot build it):
    the columns its YAML lists are in the view, with those types, and the dedup rule keeps the newest copy."""
    from include.transform.models import load_models

    inv = invoice("in_1", "usd", 10_000, 2_000, "2026-09-03T10:00:00")
    issued = credit_note("cn_1", "in_1", 10_000, 2_000, "2026-09-10T10:00:00", post=12_000)
    write_stripe_objects(data_dir, {"invoices": [inv], "credit_notes": [issued],
                                    "balance_transactions": [txn("txn_1", 12_000, "usd", "2026-09-03")]},
                         datetime(2026, 9, 20, tzinfo=UTC))
    write_stripe_objects(data_dir, {"credit_notes": [dict(issued, status="void")]}, datetime(2026, 9, 25, tzinfo=UTC))
    run("stripe")
    built = dict(q("SELECT name, type FROM system.columns WHERE database = 'finops' "
                   "AND table = 'stg_stripe__credit_notes'"))
    # _dlt_load_id is String (not null) in real loads; tests/transform/raw.py writes it as a nullable column
    documented = {c.name: c.data_type for c in load_models()["stg_stripe__credit_notes"].columns
                  if c.name != "_dlt_load_id"}
    assert {n: built.get(n) for n in documented} == documented
    assert q("SELECT id, status, total, total_excluding_tax FROM finops.stg_stripe__credit_notes") == [
        ("cn_1", "void", 12_000, 10_000)]


def test_a_pre_payment_credit_note_lowers_what_the_invoice_defers(data_dir):
    """An annual plan of 1,200.00 + 240.00 VAT from 2026-01-01; before it is paid, a pre-payment credit note of
    600.00 + 120.00 VAT; the invoice then collects 720.00 on 2026-01-01 (600.00 revenue + 120.00 VAT). The year
    recognises 600.00, a day's share each month: January 600 x 31/365 = 50.9589041096, February 600 x 28/365
    (before: January 600 - 1,200 + 1,200 x 31/365 = -498.08, the credit moved to the first month)."""
    loaded = datetime(2026, 12, 5, tzinfo=UTC)
    ledger = [txn("txn_charge", 72_000, "usd", "2026-01-01T10:00:00"),
              txn("txn_fee", -100, "usd", "2026-11-30", category="fee")]
    inv = invoice("in_1", "usd", 120_000, 24_000, "2026-01-01T10:00:00", [line(120_000, "2026-01-01", "2027-01-01")],
                  amount_due=72_000, amount_paid=72_000, pre_payment_credit_notes_amount=72_000)
    note = credit_note("cn_1", "in_1", 60_000, 12_000, "2025-12-28T10:00:00", pre=72_000)
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "invoices": [inv], "credit_notes": [note]}, loaded)
    run("stripe")
    recognised = dict(q("SELECT month, recognised_revenue FROM finops.monthly_recognised_revenue "
                        "WHERE currency = 'USD' AND month < '2026-12'"))
    assert abs(recognised["2026-01"] - D(600) * 31 / 365) < D("0.000001")
    assert abs(recognised["2026-02"] - D(600) * 28 / 365) < D("0.000001")
    assert abs(sum(recognised.values()) - D(600) * 334 / 365) < D("0.000001")  # January to November
