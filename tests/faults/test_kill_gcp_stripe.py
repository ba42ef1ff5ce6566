"""SIGKILL the GCP and Stripe loads while normalizing and while loading: the rerun finishes what
the killed run left, loads the rest, and the totals are exact (no `NoneType ... row_counts`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

import pyarrow.parquet as pq
import pytest

from tests.helpers.child_process import assert_killed, run_child

KILL_POINTS = ["normalize", "load"]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_gcp_load_killed_then_rerun(point, bigquery_emulator, bigquery_client, billing_dataset, local_data):
    from include.loaders import gcp as gcp_loader
    from include.run_intent import request_for
    from standins.sample_data.gcp import STANDARD_TABLE, generate_billing_rows, seed_bigquery
    from tests.helpers.gcp_billing import dedup_totals, expected_totals, ts

    rows = generate_billing_rows(["2026-09"], rows_per_month=120, seed=5)
    cutoff = ts(sorted({r["export_time"] for r in rows})[len(rows) // 2]) if rows else None
    first = [r for r in rows if ts(r["export_time"]) < cutoff - timedelta(days=6)]
    later = [r for r in rows if r not in first]
    table_id = seed_bigquery(bigquery_client, billing_dataset, STANDARD_TABLE, first)
    gcp_loader.load(request_for("gcp_costs"), config={"billing_table": table_id}, client=bigquery_client)
    seed_bigquery(bigquery_client, billing_dataset, STANDARD_TABLE, later)

    assert_killed(run_child("gcp", point, FAULT_GCP_PROJECT=bigquery_emulator.project,
                            FAULT_GCP_ENDPOINT=bigquery_emulator.endpoint, FAULT_GCP_TABLE=table_id), point)
    gcp_loader.load(request_for("gcp_costs"), config={"billing_table": table_id}, client=bigquery_client)
    assert dedup_totals() == expected_totals(rows)
    assert not any((local_data / "dlt_pipelines" / "gcp_costs" / "load" / "loaded").iterdir())


def _balance_sums(objects):
    sums: dict[str, Counter] = defaultdict(Counter)
    for o in objects:
        sums[o["currency"]].update({"amount": o["amount"], "fee": o["fee"], "net": o["net"], "count": 1})
    return {c: dict(v) for c, v in sums.items()}


@pytest.mark.parametrize("point", KILL_POINTS)
def test_stripe_load_killed_then_rerun(point, stripe_api, local_data):
    from include.loaders import stripe as stripe_loader
    from include.run_intent import request_for
    from include.sources.stripe_revenue.client import make_client
    from standins.sample_data.stripe import generate_stripe_data
    from tests.fixtures.stripe import TEST_API_KEY

    data = generate_stripe_data(["2026-08", "2026-09"], seed=4, customers=30)
    stripe_api.add_all(data)
    assert_killed(run_child("stripe", point, FAULT_STRIPE_URL=stripe_api.url, FAULT_STRIPE_KEY=TEST_API_KEY), point)

    config = {"retry_attempts": 1, "retry_backoff_seconds": 0.01}
    stripe_loader.load(request_for("stripe_revenue"), config=config,
                       client=make_client(TEST_API_KEY, base_url=stripe_api.url, max_network_retries=1))
    files = sorted((local_data / "raw" / "stripe_revenue" / "balance_transactions").rglob("*.parquet"))
    rows = {r["id"]: r for f in files for r in pq.read_table(f).to_pylist()}  # the SQL keeps one row per id
    assert _balance_sums(rows.values()) == _balance_sums(data["balance_transactions"])
