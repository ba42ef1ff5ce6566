"""Sample currencies and Stripe's minor units."""

from __future__ import annotations

# currency -> (exponent of Stripe's minor unit, units of the currency per USD)
CURRENCIES: dict[str, tuple[int, float]] = {
    "usd": (2, 1.0),
    "eur": (2, 0.92),
    "gbp": (2, 0.79),
    "jpy": (0, 150.0),
    "krw": (0, 1380.0),
    "kwd": (3, 0.31),
}


def minor_amount(usd: float, currency: str) -> int:
    """A USD amount converted to `currency`, in Stripe minor units, rounded to a price-like value."""
    exponent, rate = CURRENCIES[currency]
    major = usd * rate
    if exponent == 0:
        step = 100 if major >= 1000 else 10
        return int(round(major / step) * step)
    if exponent == 3:
        return int(round(major * 100)) * 10  # Stripe requires three-decimal amounts to end in 0
    return int(round(major)) * 10**exponent


def fixed_fee(currency: str) -> int:
    """The card fee's fixed part ($0.30) in `currency`'s minor units."""
    return minor_amount(0.30, currency) if CURRENCIES[currency][0] else int(round(0.30 * CURRENCIES[currency][1]))
