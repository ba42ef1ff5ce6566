"""Money expressions at enterprise magnitude, compared with Python Decimal.

Decimal(38, 10) * Decimal(38, 10) / Decimal(38, 10) overflows silently in ClickHouse once the product
passes about 1.7e8, so small-number tests cannot catch it. These tests drive the real SQL with
line-item amounts from 1e-10 to 1e12 and monthly totals up to 1e13 (seeded, log-uniform), and
expect exactly what Python's Decimal gives, truncated to the stored scale of 10 decimals.
"""

import random
from decimal import ROUND_DOWN, Decimal, localcontext

from tests.helpers.transform import one, q, run
from tests.transform.raw import aws_line, gcp_row, write_aws_period, write_gcp_rows

D = Decimal
SCALE = D("1e-10")
SP = "arn:aws:savingsplans::999999999999:savingsplan/sp-1"


def amount(rng: random.Random, low_exp: int, high_exp: int) -> Decimal:
    """A log-uniform amount in [10^low_exp, 10^high_exp) with at most 12 significant digits and 10
    decimals, so it survives the raw Float64 column exactly (shortest float text)."""
    exponent = rng.randint(low_exp, high_exp - 1)
    digits = rng.randint(1, 10**12 - 1)
    value = D(digits).scaleb(exponent - 11)  # digits * 10^(exponent-11): magnitude about 10^exponent
    value = value.quantize(SCALE, rounding=ROUND_DOWN) if value.as_tuple().exponent < -10 else value
    return value if value != 0 else SCALE


def exact(value: Decimal) -> Decimal:
    return value.quantize(SCALE, rounding=ROUND_DOWN)


def mul_div(a: Decimal, b: Decimal, c: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 100
        return exact(a * b / c)


def test_savings_plan_recurring_fee_net_amortized_cost_is_exact_at_any_magnitude(data_dir):
    rng = random.Random(13)
    rows, want = [], {}
    # The review's case first: unused 10000, net commitment 19000, commitment 20000 -> 9500 (not -7514.12).
    cases = [(D("20000"), D("10000"), D("20000"), D("19000"))]
    for _ in range(80):
        commitment = amount(rng, -10, 12)
        net = exact(commitment * D(rng.randint(1, 1000)) / 1000) or commitment  # negotiated: 0.1 %..100 %
        total = amount(rng, -10, 12)
        used = exact(total * D(rng.randint(0, 1000)) / 1000)
        cases.append((total, used, commitment, net))
    for number, (total, used, commitment, net) in enumerate(cases):
        line_id = f"sp-{number}"
        rows.append(aws_line(
            "2026-09", "SavingsPlanRecurringFee", float(total), identity_line_item_id=line_id,
            savings_plan_savings_plan_a_r_n=SP, savings_plan_total_commitment_to_date=float(total),
            savings_plan_used_commitment=float(used),
            savings_plan_recurring_commitment_for_billing_period=float(commitment),
            savings_plan_net_recurring_commitment_for_billing_period=float(net),
            savings_plan_amortized_upfront_commitment_for_billing_period=0.0,
            savings_plan_net_amortized_upfront_commitment_for_billing_period=0.0))
        want[line_id] = (total - used, mul_div(total - used, net, commitment))
    write_aws_period(data_dir, "2026-09", rows)
    run("aws")
    got = {r[0]: (r[1], r[2]) for r in q(
        "SELECT line_item_id, amortized_cost, net_amortized_cost FROM finops.int_aws__cost_line_items")}
    assert got["sp-0"] == (D("10000"), D("9500"))
    wrong = {k: (got[k], v) for k, v in want.items() if got[k] != v}
    assert not wrong, wrong
    assert one("SELECT sum(net_amortized_cost) FROM finops.int_aws__cost_daily") == sum(v[1] for v in want.values())


def test_fx_conversion_of_monthly_totals_up_to_1e13_is_exact(data_dir):
    rng = random.Random(1313)
    months = [f"2025-{m:02d}" for m in range(1, 13)] + [f"2026-{m:02d}" for m in range(1, 13)]
    rates, totals, rows = [], {}, []
    for month in months:
        eur, gbp = amount(rng, -4, 1), amount(rng, -4, 1)
        rates += [{"month": month, "currency": "EUR", "rate_to_usd": str(eur)},
                  {"month": month, "currency": "GBP", "rate_to_usd": str(gbp)}]
        total = amount(rng, 9, 13)  # a month's GCP cost in EUR, up to 1e13
        rows.append(gcp_row(month, float(total), currency="EUR"))
        totals[month] = (total, eur, gbp)
    write_gcp_rows(data_dir, rows)
    config = {"fx_rates": rates, "reporting_currency": "GBP"}
    run("gcp", config=config)
    got = dict(q("SELECT month, gcp_billed_cost FROM finops.unit_economics_monthly"))
    want = {month: mul_div(total, eur, gbp) for month, (total, eur, gbp) in totals.items()}
    assert got == want
    run("gcp", config={"fx_rates": rates})  # reporting in USD: amount * rate / 1
    assert dict(q("SELECT month, gcp_billed_cost FROM finops.unit_economics_monthly")) == {
        month: exact(total * eur) for month, (total, eur, _) in totals.items()}


def test_fx_rates_of_low_value_currencies_keep_18_decimals(data_dir):
    """A rate finance computes as 1 / (units per USD), e.g. 1 / 25,400 VND: at 10 decimals it kept 6 significant
    digits, off by up to 0.0001 % (USD 400 on a VND 1e13 month); kept to 18 decimals, the conversion is exact."""
    rng = random.Random(1818)
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    rates, totals, rows = [], {}, []
    for month in months:
        with localcontext() as ctx:
            ctx.prec = 50
            vnd = (1 / (D(rng.randint(2_400_000, 2_600_000)) / 100)).quantize(D("1e-18"))  # 1 / 25,400.00
            idr = (1 / (D(rng.randint(1_500_000, 1_700_000)) / 100)).quantize(D("1e-18"))  # 1 / 16,420.00
        rates += [{"month": month, "currency": "VND", "rate_to_usd": str(vnd)},
                  {"month": month, "currency": "IDR", "rate_to_usd": str(idr)}]
        total = amount(rng, 9, 13)  # a month's GCP cost in VND
        rows.append(gcp_row(month, float(total), currency="VND"))
        totals[month] = (total, vnd, idr)
    write_gcp_rows(data_dir, rows)
    run("gcp", config={"fx_rates": rates})
    assert dict(q("SELECT month, gcp_billed_cost FROM finops.unit_economics_monthly")) == {
        month: exact(total * vnd) for month, (total, vnd, _) in totals.items()}
    run("gcp", config={"fx_rates": rates, "reporting_currency": "IDR"})
    assert dict(q("SELECT month, gcp_billed_cost FROM finops.unit_economics_monthly")) == {
        month: mul_div(total, vnd, idr) for month, (total, vnd, idr) in totals.items()}


def test_a_gcp_focus_credit_amount_is_read_as_written_and_a_missing_one_counts_zero():
    """x_Credits' Amount as NUMERIC text, as a JSON number, null, or absent (a credit struct without the field)."""
    import chdb
    import jinja2

    from include.transform.models import SQL_DIR

    macros = jinja2.Environment(loader=jinja2.FileSystemLoader(str(SQL_DIR))).get_template("macros.jinja").module
    credits = ['{"Amount":"-1234567890.0123456789","Type":"X"}', '{"Amount":-0.25}', '{"Amount":null}',
               '{"Name":"no amount"}', '{"Amount":"0"}']
    values = ", ".join("'" + credit.replace("'", "''") + "'" for credit in credits)
    rows = chdb.query(f"SELECT toString({macros.gcp_credit_amount('c')}) FROM (SELECT arrayJoin([{values}]) AS c)",
                      "CSV").bytes().decode().split()
    assert [D(row.strip('"')) for row in rows] == [D("-1234567890.0123456789"), D("-0.25"), 0, 0, 0]
