"""The sample account being generated: its settings, random generators, window and the objects made so far."""

from __future__ import annotations

import random
import string

from standins.sample_data.stripe.clock import add_months, month_start
from standins.sample_data.stripe.money import CURRENCIES


class SampleAccount:
    """What every module adds to: settings, the two random generators, the window [start, end) and `out`."""

    def __init__(
        self,
        months: list[str],
        seed: int,
        customers: int,
        currencies: tuple[str, ...],
        churn_rate: float,
        failure_rate: float,
        refund_rate: float,
        dispute_rate: float,
        include_events: bool,
    ):
        for c in currencies:
            if c not in CURRENCIES:
                raise ValueError(f"unsupported sample currency {c!r}; choose from {sorted(CURRENCIES)}")
        self.rng = random.Random(seed)
        # Plan changes draw from their own generator, so adding them left every other value as it was.
        self.plan_rng = random.Random(seed * 7919 + 1)
        self.months = sorted(set(months))
        self.start = int(month_start(self.months[0]).timestamp())
        last = month_start(self.months[-1])
        self.end = add_months(int(last.timestamp()), 1)  # exclusive; the "now" of the snapshot
        self.n_customers = customers
        self.currencies = currencies
        self.churn_rate = churn_rate
        self.failure_rate = failure_rate
        self.refund_rate = refund_rate
        self.dispute_rate = dispute_rate
        self.include_events = include_events
        self.out: dict[str, list[dict]] = {
            k: []
            for k in (
                "customers",
                "products",
                "prices",
                "subscriptions",
                "invoices",
                "charges",
                "refunds",
                "disputes",
                "balance_transactions",
                "events",
            )
        }
        self.volume: dict[tuple[str, str], int] = {}  # (month, currency) -> billed amount
        self.prices: dict[tuple[str, str, str], dict] = {}  # (plan, currency, interval) -> price

    def new_id(self, prefix: str, n: int = 24) -> str:
        return prefix + "_" + "".join(self.rng.choices(string.ascii_letters + string.digits, k=n))
