"""The Stripe sample data is the same, object for object, as when its generator was one module
(standins/sample_data/stripe.py before issue 15 split it): the demo's figures and every Stripe test
rest on it. A change meant to alter the sample updates these digests in the same commit."""

from __future__ import annotations

import hashlib
import json

import pytest

from standins.sample_data.stripe import generate_stripe_data

# sha256 of json.dumps(generate_stripe_data(**case)), measured on the single-module generator
CASES = [
    pytest.param(
        {"months": ["2026-07", "2026-08", "2026-09"]},
        "997269387f0b210e61fee86db4dc0e9c3d4e8229a5786a51fc47d239f37d3fff",
        id="defaults-three-months",
    ),
    pytest.param(
        {"months": ["2026-01", "2026-02"], "seed": 3, "customers": 200, "currencies": ("usd", "jpy", "kwd", "eur")},
        "40e90af4d838a227f1319a26d4f2b2fcf6884a24f3c3ceb919fb3ba0ff4e78cd",
        id="four-currencies",
    ),
    pytest.param(
        {"months": ["2025-12"], "seed": 11, "customers": 60, "churn_rate": 0.2, "failure_rate": 0.2,
         "refund_rate": 0.2, "dispute_rate": 0.2, "include_events": False},
        "a0457fea0e2d99f2493928d791137341b8438431dbaf60841d3d4e00a8b3d8f8",
        id="high-rates-no-events",
    ),
]


@pytest.mark.parametrize(("case", "digest"), CASES)
def test_sample_is_byte_for_byte_what_it_was(case, digest):
    assert hashlib.sha256(json.dumps(generate_stripe_data(**case)).encode()).hexdigest() == digest


def test_cli_writes_the_same_sample(tmp_path):
    from standins.sample_data.stripe.__main__ import main

    out = tmp_path / "stripe.json"
    assert main(["--months", "2026-07", "2026-08", "2026-09", "--out", str(out)]) == 0
    assert hashlib.sha256(out.read_bytes()).hexdigest() == CASES[0].values[1]
