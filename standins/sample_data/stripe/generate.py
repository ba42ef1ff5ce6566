"""`generate_stripe_data`: the catalogue, then each customer with its billing, then the fees."""

from __future__ import annotations

from standins.sample_data.stripe.account import SampleAccount
from standins.sample_data.stripe.balance import add_billing_fees
from standins.sample_data.stripe.catalogue import add_catalogue
from standins.sample_data.stripe.customers import add_customer


def generate_stripe_data(
    months: list[str],
    seed: int = 7,
    customers: int = 120,
    currencies: tuple[str, ...] | list[str] = ("usd",),
    churn_rate: float = 0.04,
    failure_rate: float = 0.03,
    refund_rate: float = 0.03,
    dispute_rate: float = 0.01,
    include_events: bool = True,
) -> dict[str, list[dict]]:
    """Sample Stripe objects by object type (the stand-in's URL names), deterministic for a seed.

    `months` ("YYYY-MM") is the window: every invoice, charge, refund, dispute, balance transaction
    and event is created inside it (from the first month's first second to the last month's end).
    Customers, subscriptions, products and prices may be older (40% of customers signed up before the
    window). `currencies` are assigned to customers in turn (e.g. ("usd", "jpy")).
    """
    if not months:
        raise ValueError("months must not be empty")
    account = SampleAccount(
        list(months),
        seed,
        customers,
        tuple(c.lower() for c in currencies),
        churn_rate,
        failure_rate,
        refund_rate,
        dispute_rate,
        include_events,
    )
    add_catalogue(account)
    for i in range(account.n_customers):
        add_customer(account, i)
    add_billing_fees(account)
    for objects in account.out.values():
        objects.sort(key=lambda o: (o["created"], o["id"]))
    return account.out
