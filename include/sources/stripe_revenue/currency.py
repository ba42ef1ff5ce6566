"""Stripe's minor units per currency: how many decimals an API amount has."""

from __future__ import annotations

# Stripe's minor units (https://docs.stripe.com/currencies): zero-decimal and three-decimal
# currencies; every other currency has two decimals in the API. ISK, HUF and TWD are special cases
# that the API still represents with two decimals, so they keep the default 2.
ZERO_DECIMAL_CURRENCIES = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL_CURRENCIES = frozenset("bhd jod kwd omr tnd".split())


def currency_exponent(currency: str | None) -> int | None:
    """Decimals of Stripe's minor unit for `currency`: major amount = amount / 10**exponent."""
    if not currency:
        return None
    c = currency.lower()
    if c in ZERO_DECIMAL_CURRENCIES:
        return 0
    if c in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


CURRENCY_EXPONENTS_NOTE = {**{c: 0 for c in ZERO_DECIMAL_CURRENCIES}, **{c: 3 for c in THREE_DECIMAL_CURRENCIES}}
