"""Products and their prices: each plan monthly and yearly in every sample currency."""

from __future__ import annotations

from standins.sample_data.stripe.account import SampleAccount
from standins.sample_data.stripe.clock import DAY
from standins.sample_data.stripe.money import minor_amount

# name, monthly price in USD, yearly price in USD
PLANS = [
    ("Starter", 29, 290),
    ("Pro", 99, 990),
    ("Business", 299, 2990),
]


def add_catalogue(account: SampleAccount) -> None:
    created = account.start - 400 * DAY
    for name, monthly, yearly in PLANS:
        product_id = account.new_id("prod", 14)
        product = {
            "id": product_id,
            "object": "product",
            "active": True,
            "created": created,
            "default_price": None,
            "description": f"{name} plan",
            "images": [],
            "livemode": False,
            "marketing_features": [],
            "metadata": {"tier": name.lower()},
            "name": name,
            "package_dimensions": None,
            "shippable": None,
            "statement_descriptor": None,
            "tax_code": None,
            "type": "service",
            "unit_label": "seat",
            "updated": created,
            "url": None,
        }
        for currency in account.currencies:
            for interval, usd in (("month", monthly), ("year", yearly)):
                price = {
                    "id": account.new_id("price"),
                    "object": "price",
                    "active": True,
                    "billing_scheme": "per_unit",
                    "created": created + 60,
                    "currency": currency,
                    "custom_unit_amount": None,
                    "livemode": False,
                    "lookup_key": f"{name.lower()}_{interval}ly_{currency}",
                    "metadata": {},
                    "nickname": f"{name} {interval}ly ({currency.upper()})",
                    "product": product_id,
                    "recurring": {
                        "interval": interval,
                        "interval_count": 1,
                        "meter": None,
                        "trial_period_days": None,
                        "usage_type": "licensed",
                    },
                    "tax_behavior": "exclusive",
                    "tiers_mode": None,
                    "transform_quantity": None,
                    "type": "recurring",
                    "unit_amount": minor_amount(usd, currency),
                    "unit_amount_decimal": str(minor_amount(usd, currency)),
                }
                account.prices[(name, currency, interval)] = price
                account.out["prices"].append(price)
                if currency == account.currencies[0] and interval == "month":
                    product["default_price"] = price["id"]
        account.out["products"].append(product)
        created += 3600
