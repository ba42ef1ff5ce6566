"""Clear errors instead of ClickHouse internals: SQL before the first load, FX rates out of range."""

from __future__ import annotations

import pytest

from include import transform
from include.transform.config import fx_rates


def test_sql_before_any_delivery_says_so(local_data):
    with pytest.raises(transform.MissingRawDataError,
                       match=r"aws: no raw data yet \(finops_raw.aws_costs__cur_line_items does not exist\): the "
                             r"aws_costs load task has loaded nothing so far"):
        transform.run_transformations("aws", config={})


@pytest.mark.parametrize(("rate", "problem"), [
    pytest.param("1e40", r"'1e40' is above 1,000,000 USD per unit and would overflow amounts", id="overflow"),
    pytest.param("0.0000000000000000001", r"'0.0000000000000000001' rounds to 0 at the 18 decimals rates are kept with "
                 r"\(underflow\)",
                 id="underflow"),
    pytest.param("0", "'0' must be a positive number", id="zero"),
])
def test_an_fx_rate_that_overflows_or_underflows_is_rejected_naming_the_variable(rate, problem):
    with pytest.raises(transform.SqlConfigError, match=r"Variable finops_sql_config fx_rates 2026-09 EUR: " + problem):
        fx_rates([{"month": "2026-09", "currency": "EUR", "rate_to_usd": rate}])


def test_small_and_large_real_rates_are_kept():
    rates = fx_rates([{"month": "2026-09", "currency": "VES", "rate_to_usd": "0.0000270000"},
                                 {"month": "2026-09", "currency": "KWD", "rate_to_usd": "3.26"}])
    assert ("2026-09", "VES", "0.0000270000") in rates and ("2026-09", "KWD", "3.26") in rates


def test_a_rate_with_more_than_18_decimals_is_rounded_to_18_not_cut_off():
    rates = fx_rates([{"month": "2026-09", "currency": "VND", "rate_to_usd": "0.0000393700787401574803"},
                      {"month": "2026-09", "currency": "IRR", "rate_to_usd": "0.00000002380952380952381"}])
    assert ("2026-09", "VND", "0.000039370078740157") in rates  # ...1574|803 rounds down
    assert ("2026-09", "IRR", "0.000000023809523810") in rates  # ...0952|381 rounds up
