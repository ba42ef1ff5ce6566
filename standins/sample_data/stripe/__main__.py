"""CLI: write sample Stripe data as JSON for the stand-in (see the package's docstring)."""

from __future__ import annotations

import argparse
import json

from standins.sample_data.stripe.generate import generate_stripe_data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write sample Stripe data as JSON for the stand-in.")
    parser.add_argument("--months", nargs="+", required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--customers", type=int, default=120)
    parser.add_argument("--currencies", nargs="+", default=["usd"])
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    data = generate_stripe_data(args.months, seed=args.seed, customers=args.customers, currencies=args.currencies)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    print({k: len(v) for k, v in data.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
