"""`python -m include.anonymize` (`make anonymize`): the anonymized copy of the marts (see __init__.py)."""

from __future__ import annotations

import argparse
import logging

from include.anonymize import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--destination", choices=("filesystem", "clickhouse"), default=None,
                        help="where the marts are (default: Variable finops_destination / FINOPS_DESTINATION)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    result = run(args.destination)
    print(f"{len(result['tables'])} tables anonymized into database {result['database']}")
    if result["parquet"]:
        print(f"parquet for Rill: {result['parquet']}  (rill start --env finops_data_dir={result['parquet'][:-6]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
