"""Customers (names, addresses, segment), each with one subscription."""

from __future__ import annotations

import string

from standins.sample_data.stripe.account import SampleAccount
from standins.sample_data.stripe.clock import DAY
from standins.sample_data.stripe.events import event
from standins.sample_data.stripe.subscriptions import add_subscription

_FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Ken",
    "Margaret",
    "Donald",
    "Frances",
    "John",
    "Radia",
    "Tim",
    "Hedy",
    "Linus",
    "Guido",
    "Yukihiro",
    "Sophie",
    "Niklaus",
    "Anita",
    "Dennis",
]
_LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Thompson",
    "Hamilton",
    "Knuth",
    "Allen",
    "Backus",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "Torvalds",
    "van Rossum",
    "Matsumoto",
    "Wilson",
    "Wirth",
    "Borg",
    "Ritchie",
]
_CITIES = [
    ("San Francisco", "US", "CA", "94107"),
    ("Berlin", "DE", None, "10115"),
    ("London", "GB", None, "EC1A 1BB"),
    ("Tokyo", "JP", None, "100-0001"),
    ("Austin", "US", "TX", "73301"),
    ("Kuwait City", "KW", None, "13001"),
]
_SEGMENTS = ["smb", "smb", "smb", "mid_market", "mid_market", "enterprise"]
_CHANNELS = ["organic", "paid_search", "partner", "sales"]


def add_customer(account: SampleAccount, index: int) -> None:
    rng = account.rng
    if index < account.n_customers * 0.4:
        created = account.start - rng.randint(1, 330) * DAY + rng.randint(0, DAY - 1)
    else:
        created = rng.randint(account.start, account.end - 3 * DAY)
    currency = account.currencies[index % len(account.currencies)]
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    city, country, state, postal = rng.choice(_CITIES)
    customer = {
        "id": account.new_id("cus", 14),
        "object": "customer",
        "address": {
            "city": city,
            "country": country,
            "line1": f"{rng.randint(1, 999)} Main St",
            "line2": None,
            "postal_code": postal,
            "state": state,
        },
        "balance": 0,
        "created": created,
        "currency": currency,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": f"{first.lower()}.{last.lower().replace(' ', '')}{index}@example.com",
        "invoice_prefix": "".join(rng.choices(string.ascii_uppercase + string.digits, k=8)),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": account.new_id("pm"),
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {"segment": rng.choice(_SEGMENTS), "signup_channel": rng.choice(_CHANNELS)},
        "name": f"{first} {last}",
        "next_invoice_sequence": 1,
        "phone": f"+1555{rng.randint(1000000, 9999999)}",
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }
    account.out["customers"].append(customer)
    event(account, "customer.created", customer, created)
    add_subscription(account, customer)
