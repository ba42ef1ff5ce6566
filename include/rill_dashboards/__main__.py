"""`python -m include.rill_dashboards` (`make dashboards`): generate the tag dashboards into rill/generated/."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from include.rill_dashboards import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="output folder (default rill/generated)")
    parser.add_argument("--destination", choices=("filesystem", "clickhouse"), default=None,
                        help="where the marts are (default: Variable finops_destination / FINOPS_DESTINATION)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    result = run(args.destination, args.out)
    print(f"{len(result['pages'])} generated files ({len(result['written'])} written, "
          f"{len(result['unchanged'])} unchanged, {len(result['removed'])} removed)")
    for name in result["pages"]:
        print(f"  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
