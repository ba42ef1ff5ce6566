"""`make bench`: the fixed cost of a SQL build (rendering, splitting, DDL) on a fresh data folder.

One AWS line item, so what is measured is not data but everything around it: a provider build and a marts build on a
fresh folder, then both again with nothing changed (what a scheduled run that found no new load pays). Each in one
process, as an Airflow task runs it. With `--profile` the first marts build runs under cProfile and the 25 largest
cumulative entries are written too (the profile that showed sqlparse, PyYAML and Jinja taking 20 of 25 s).

Writes the wall seconds to bench/results/sql_build.json and prints them.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "sql_build.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", action="store_true", help="profile the first marts build")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="finops-bench-sql-"))
    os.environ.update(FINOPS_DATA_DIR=str(data_dir), FINOPS_DESTINATION="filesystem", RUNTIME__DLTHUB_TELEMETRY="false")
    from include import transform
    from tests.transform.raw import aws_line, write_aws_period

    write_aws_period(data_dir, "2026-09", [aws_line("2026-09", "Usage", 5.0)])
    seconds, profile = {}, None

    def timed(name: str, target: str, **kwargs) -> None:
        nonlocal profile
        started = time.perf_counter()
        if name == "marts_first" and args.profile:
            profile = cProfile.Profile()
            profile.runcall(transform.run_transformations, target, config={}, **kwargs)
        else:
            transform.run_transformations(target, config={}, **kwargs)
        seconds[name] = round(time.perf_counter() - started, 2)

    timed("aws_first", "aws")
    timed("marts_first", "marts", export=False)
    timed("aws_again", "aws", periods="changed")
    timed("marts_again", "marts", export=False)
    result = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "seconds": seconds}
    if profile is not None:
        text = io.StringIO()
        pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(25)
        result["marts_first_profile"] = text.getvalue().splitlines()
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(seconds, indent=2))


if __name__ == "__main__":
    main()
