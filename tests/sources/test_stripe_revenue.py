"""The `stripe_revenue` source against the local Stripe API stand-in (tests own the server)."""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from standins.sample_data.stripe import generate_stripe_data
from tests.fixtures.stripe import TEST_API_KEY

MONTHS = ["2026-06", "2026-07", "2026-08"]
# Independent of the source's table: decimals of Stripe's minor unit per currency.
EXPONENTS = {"usd": 2, "eur": 2, "gbp": 2, "jpy": 0, "krw": 0, "kwd": 3}


@pytest.fixture
def filesystem_env(monkeypatch, tmp_path):
    monkeypatch.setenv("FINOPS_DESTINATION", "filesystem")
    monkeypatch.setenv("FINOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_home"))
    return tmp_path / "data"


def _fast_retry():
    from include.sources.stripe_revenue import RetryPolicy

    return RetryPolicy(attempts=2, backoff_seconds=0.01, sleep=lambda s: None)


def _run(client, **kwargs):
    from include.pipelines import run_pipeline
    from include.sources.stripe_revenue import stripe_revenue_source

    run_kwargs = kwargs.pop("run_kwargs", {})
    kwargs.setdefault("retry", _fast_retry())
    return run_pipeline("stripe_revenue", stripe_revenue_source(client, **kwargs), **run_kwargs)


def _read(data_dir: Path, table: str) -> list[dict]:
    import pyarrow.parquet as pq

    files = sorted((data_dir / "raw" / "stripe_revenue" / table).rglob("*.parquet"))
    rows: list[dict] = []
    for f in files:
        rows.extend(pq.read_table(f).to_pylist())
    return rows


def _schema(data_dir: Path, table: str):
    import pyarrow.parquet as pq

    return pq.read_schema(next((data_dir / "raw" / "stripe_revenue" / table).rglob("*.parquet")))


def _sums(objects, fields=("amount", "fee", "net")):
    out: dict[str, Counter] = defaultdict(Counter)
    for o in objects:
        for f in fields:
            out[o["currency"]][f] += o[f]
        out[o["currency"]]["count"] += 1
    return {c: dict(v) for c, v in out.items()}


# --------------------------------------------------------------------------------- the stand-in itself
def _get(server, path, key=TEST_API_KEY, **params):
    import urllib.error
    import urllib.parse
    import urllib.request

    query = urllib.parse.urlencode(params)
    request = urllib.request.Request(f"{server.url}{path}?{query}")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), dict(exc.headers)


def test_standin_list_semantics(stripe_api):
    objs = [{"id": f"ch_{i:03d}", "created": 1_780_000_000 + i * 10, "amount": i, "currency": "usd"} for i in range(25)]
    stripe_api.add("charges", objs)

    status, page, _ = _get(stripe_api, "/v1/charges")
    assert status == 200 and page["object"] == "list" and page["url"] == "/v1/charges"
    assert [o["id"] for o in page["data"]] == [f"ch_{i:03d}" for i in range(24, 14, -1)]  # newest first, 10
    assert page["has_more"] is True and page["data"][0]["object"] == "charge"

    _, page2, _ = _get(stripe_api, "/v1/charges", limit=10, starting_after="ch_015")
    assert [o["id"] for o in page2["data"]] == [f"ch_{i:03d}" for i in range(14, 4, -1)] and page2["has_more"]
    _, page3, _ = _get(stripe_api, "/v1/charges", limit=10, starting_after="ch_005")
    assert [o["id"] for o in page3["data"]] == [f"ch_{i:03d}" for i in range(4, -1, -1)] and not page3["has_more"]
    _, before, _ = _get(stripe_api, "/v1/charges", limit=3, ending_before="ch_010")
    assert [o["id"] for o in before["data"]] == ["ch_013", "ch_012", "ch_011"] and before["has_more"]

    _, ranged, _ = _get(
        stripe_api, "/v1/charges", limit=100, **{"created[gte]": 1_780_000_050, "created[lt]": 1_780_000_100}
    )
    assert [o["id"] for o in ranged["data"]] == ["ch_009", "ch_008", "ch_007", "ch_006", "ch_005"]
    _, gt, _ = _get(
        stripe_api, "/v1/charges", limit=100, **{"created[gt]": 1_780_000_200, "created[lte]": 1_780_000_220}
    )
    assert [o["id"] for o in gt["data"]] == ["ch_022", "ch_021"]

    _, one, _ = _get(stripe_api, "/v1/charges/ch_003")
    assert one["id"] == "ch_003"

    status, err, _ = _get(stripe_api, "/v1/charges/ch_nope")
    assert (
        status == 404 and err["error"]["code"] == "resource_missing" and err["error"]["type"] == "invalid_request_error"
    )
    assert _get(stripe_api, "/v1/charges", limit=101)[0] == 400
    assert _get(stripe_api, "/v1/charges", limit=0)[0] == 400
    assert _get(stripe_api, "/v1/charges", bogus=1)[0] == 400
    status, err, _ = _get(stripe_api, "/v1/charges", starting_after="ch_missing")
    assert status == 400 and err["error"]["param"] == "starting_after"
    status, err, _ = _get(stripe_api, "/v1/charges", key=None)
    assert status == 401 and "API key" in err["error"]["message"]
    status, err, _ = _get(stripe_api, "/v1/charges", key="pk_test_publishable")
    assert status == 401 and err["error"]["type"] == "invalid_request_error"


def test_standin_subscription_status_filter_and_faults(stripe_api):
    stripe_api.add(
        "subscriptions",
        [
            {"id": "sub_a", "created": 100, "status": "active"},
            {"id": "sub_c", "created": 200, "status": "canceled"},
            {"id": "sub_p", "created": 300, "status": "past_due"},
        ],
    )
    ids = lambda page: [o["id"] for o in page["data"]]  # noqa: E731
    assert ids(_get(stripe_api, "/v1/subscriptions")[1]) == ["sub_p", "sub_a"]
    assert ids(_get(stripe_api, "/v1/subscriptions", status="all")[1]) == ["sub_p", "sub_c", "sub_a"]
    assert ids(_get(stripe_api, "/v1/subscriptions", status="canceled")[1]) == ["sub_c"]

    stripe_api.fail_next(1, status=429, path_prefix="/v1/subscriptions")
    status, err, headers = _get(stripe_api, "/v1/subscriptions")
    assert status == 429 and err["error"]["code"] == "rate_limit"
    assert headers.get("Stripe-Should-Retry") == "true"
    stripe_api.fail_next(1, status=500, retry_after=2)
    status, err, headers = _get(stripe_api, "/v1/charges")
    assert status == 500 and err["error"]["type"] == "api_error" and headers.get("Retry-After") == "2"
    assert _get(stripe_api, "/v1/subscriptions")[0] == 200
    assert [r["status"] for r in stripe_api.requests[-3:]] == [429, 500, 200]


def test_standin_cli_serves_a_dump(tmp_path):
    import subprocess
    import sys

    from standins.ports import free_port, wait_for_http

    dump = tmp_path / "stripe.json"
    dump.write_text(json.dumps(generate_stripe_data(["2026-08"], customers=5)))
    port = free_port()
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "standins.stripe_api", "--port", str(port), "--data", str(dump)],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_http(url + "/v1/customers", timeout=30, process=proc)

        class _S:
            pass

        s = _S()
        s.url = url
        status, page, _ = _get(s, "/v1/customers", limit=100)
        assert status == 200 and len(page["data"]) == 5
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# --------------------------------------------------------------------------------- loading
def test_generator_is_deterministic_and_consistent():
    a = generate_stripe_data(MONTHS, seed=3, customers=40)
    b = generate_stripe_data(MONTHS, seed=3, customers=40)
    assert a == b
    assert generate_stripe_data(MONTHS, seed=4, customers=40) != a
    for txn in a["balance_transactions"]:
        assert txn["net"] == txn["amount"] - txn["fee"]
        assert txn["fee"] == sum(d["amount"] for d in txn["fee_details"])
        assert isinstance(txn["amount"], int) and txn["currency"] == "usd"
    start = datetime(2026, 6, 1, tzinfo=UTC).timestamp()
    end = datetime(2026, 9, 1, tzinfo=UTC).timestamp()
    for name in ("invoices", "charges", "refunds", "disputes", "balance_transactions", "events"):
        assert a[name] and all(start <= o["created"] < end for o in a[name]), name
    assert any(c["created"] < start for c in a["customers"])
    charges = {c["id"]: c for c in a["charges"]}
    for txn in a["balance_transactions"]:
        if txn["type"] == "charge":
            assert charges[txn["source"]]["balance_transaction"] == txn["id"]


def test_balance_transactions_match_generated_data(stripe_api, stripe_client, filesystem_env):
    data = generate_stripe_data(MONTHS, seed=11, customers=150)
    stripe_api.add_all(data)
    counts = _run(stripe_client)

    expected_counts = {
        name: len(data[name])
        for name in (
            "balance_transactions",
            "charges",
            "refunds",
            "disputes",
            "invoices",
            "subscriptions",
            "customers",
            "products",
            "prices",
        )
    }
    for name, n in expected_counts.items():
        assert counts[name] == n, name
    assert counts["subscription_items"] == sum(len(s["items"]["data"]) for s in data["subscriptions"])

    rows = _read(filesystem_env, "balance_transactions")
    assert len(rows) == len(data["balance_transactions"])
    assert _sums(rows) == _sums(data["balance_transactions"])
    assert {r["id"] for r in rows} == {t["id"] for t in data["balance_transactions"]}
    by_id = {t["id"]: t for t in data["balance_transactions"]}
    for row in rows:
        src = by_id[row["id"]]
        assert int(row["created"].timestamp()) == src["created"]
        assert int(row["available_on"].timestamp()) == src["available_on"]
        assert row["created"].tzinfo is not None
        assert json.loads(row["fee_details"]) == src["fee_details"]
        assert row["reporting_category"] == src["reporting_category"] and row["source"] == src["source"]

    schema = _schema(filesystem_env, "balance_transactions")
    assert str(schema.field("amount").type) == "int64"
    assert str(schema.field("created").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("fee_details").type) == "string"

    charges = _read(filesystem_env, "charges")
    assert sum(r["amount"] for r in charges) == sum(c["amount"] for c in data["charges"])
    assert sum(r["amount_refunded"] for r in charges) == sum(c["amount_refunded"] for c in data["charges"])
    invoices = _read(filesystem_env, "invoices")
    assert sum(r["amount_paid"] for r in invoices) == sum(i["amount_paid"] for i in data["invoices"])
    assert all(r["subscription"] for r in invoices)


def test_pagination_follows_has_more_and_starting_after(stripe_api, stripe_client, filesystem_env):
    data = generate_stripe_data(MONTHS, seed=5, customers=200)
    stripe_api.add_all(data)
    n = len(data["balance_transactions"])
    assert n > 300
    _run(stripe_client, resources=["balance_transactions"])

    requests = stripe_api.requests_to("/v1/balance_transactions")
    assert len(requests) == math.ceil(n / 100) + (1 if n % 100 == 0 else 0)
    assert all(r["params"]["limit"] == "100" for r in requests)
    assert "starting_after" not in requests[0]["params"]
    cursors = [r["params"].get("starting_after") for r in requests[1:]]
    assert all(cursors) and len(set(cursors)) == len(cursors)
    rows = _read(filesystem_env, "balance_transactions")
    assert len(rows) == n and len({r["id"] for r in rows}) == n
    assert all(r["stripe_version"] for r in requests)


def test_rate_limit_burst_and_server_error_succeed_on_retry(stripe_api, stripe_client, filesystem_env):
    data = generate_stripe_data(MONTHS, seed=5, customers=60)
    stripe_api.add_all(data)
    stripe_api.fail_next(3, status=429, path_prefix="/v1/balance_transactions")
    stripe_api.fail_next(1, status=500, path_prefix="/v1/balance_transactions")
    _run(stripe_client, resources=["balance_transactions"])

    statuses = [r["status"] for r in stripe_api.requests_to("/v1/balance_transactions")]
    assert statuses[:4] == [429, 429, 429, 500] and statuses[4:] and set(statuses[4:]) == {200}
    rows = _read(filesystem_env, "balance_transactions")
    assert _sums(rows) == _sums(data["balance_transactions"])


def test_rate_limit_without_should_retry_header_resumes_from_cursor(stripe_api, stripe_client, filesystem_env):
    """A 429 the SDK does not retry (no Stripe-Should-Retry) is retried by the source from its cursor."""
    data = generate_stripe_data(MONTHS, seed=5, customers=150)
    stripe_api.add_all(data)
    # let the first page through, then rate limit the second one
    original_handle = stripe_api.handle
    calls = {"n": 0}

    def handle(method, path, headers):
        if path.startswith("/v1/balance_transactions"):
            calls["n"] += 1
            if calls["n"] == 2:
                stripe_api.fail_next(1, status=429, should_retry=False)
        return original_handle(method, path, headers)

    stripe_api.handle = handle
    _run(stripe_client, resources=["balance_transactions"])
    requests = stripe_api.requests_to("/v1/balance_transactions")
    assert [r["status"] for r in requests[:3]] == [200, 429, 200]
    assert requests[1]["params"]["starting_after"] == requests[2]["params"]["starting_after"]
    rows = _read(filesystem_env, "balance_transactions")
    assert len(rows) == len(data["balance_transactions"])


# --------------------------------------------------------------------------------- step 2: issue 5
def _chdb_query(sql: str, tmp_path: Path) -> list[list]:
    """Run ClickHouse SQL on chdb in a subprocess (chdb allows one session per process)."""
    import subprocess
    import sys

    script = (
        "import json, sys, clickhouse_connect\n"
        f"c = clickhouse_connect.get_client(dsn='chdb://{tmp_path / 'chdb_session'}')\n"
        "rows = c.query(sys.stdin.read()).result_rows\n"
        "print(json.dumps([list(r) for r in rows], default=str))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], input=sql, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _parquet_glob(data_dir: Path, table: str) -> str:
    return str(data_dir / "raw" / "stripe_revenue" / table / "**" / "*.parquet")


def _split(data: dict, cutoff: int, names=("balance_transactions", "charges", "refunds")):
    before = {k: [o for o in v if k not in names or o["created"] < cutoff] for k, v in data.items()}
    after = {k: [o for o in v if o["created"] >= cutoff] for k, v in data.items() if k in names}
    return before, after


def test_incremental_on_created_loads_only_new_objects(stripe_api, stripe_client, filesystem_env):
    from datetime import datetime

    data = generate_stripe_data(MONTHS, seed=21, customers=80)
    cutoff = int(datetime(2026, 8, 1, tzinfo=UTC).timestamp())
    before, after = _split(data, cutoff)
    stripe_api.add_all(before)
    first = _run(stripe_client)
    assert first["balance_transactions"] == len(before["balance_transactions"])
    last_created = max(t["created"] for t in before["balance_transactions"])

    # new objects, one of them in the same second as the newest already loaded one
    same_second = dict(before["balance_transactions"][-1], id="txn_same_second_new")
    assert same_second["created"] == last_created
    stripe_api.add_all(after)
    stripe_api.add("balance_transactions", [same_second])
    stripe_api.clear_requests()
    second = _run(stripe_client)

    requests = stripe_api.requests_to("/v1/balance_transactions")
    assert requests[0]["params"]["created[gte]"] == str(last_created)
    assert second["balance_transactions"] == len(after["balance_transactions"]) + 1
    assert second["charges"] == len(after["charges"])
    rows = _read(filesystem_env, "balance_transactions")
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == len(data["balance_transactions"]) + 1  # no boundary duplicate
    # nothing new: the third run loads nothing from the immutable tables
    third = _run(stripe_client)
    assert "balance_transactions" not in third and "charges" not in third


def test_subscription_cancelled_between_runs_shows_cancelled(stripe_api, stripe_client, filesystem_env):
    data = generate_stripe_data(MONTHS, seed=8, customers=40)
    stripe_api.add_all(data)
    _run(stripe_client)
    active = next(s for s in data["subscriptions"] if s["status"] == "active")
    subs = {r["id"]: r for r in _read(filesystem_env, "subscriptions")}
    assert subs[active["id"]]["status"] == "active" and subs[active["id"]]["canceled_at"] is None
    assert len(subs) == len(data["subscriptions"])  # canceled ones included (status=all)

    canceled_at = active["items"]["data"][0]["current_period_start"] + 3 * 86400
    stripe_api.update_object(
        "subscriptions",
        active["id"],
        event_type="customer.subscription.deleted",
        status="canceled",
        canceled_at=canceled_at,
        ended_at=canceled_at,
        cancellation_details={"comment": None, "feedback": "too_expensive", "reason": "cancellation_requested"},
    )
    _run(stripe_client)
    # subscriptions are appended: both states stay, each with the time it was seen; the newest is cancelled
    rows = sorted((r for r in _read(filesystem_env, "subscriptions") if r["id"] == active["id"]),
                  key=lambda r: r["_loaded_at"])
    assert [r["status"] for r in rows] == ["active", "canceled"]
    assert int(rows[-1]["canceled_at"].timestamp()) == canceled_at
    assert rows[-1]["cancellation_feedback"] == "too_expensive"
    items = sorted((r for r in _read(filesystem_env, "subscription_items") if r["subscription"] == active["id"]),
                   key=lambda r: r["_loaded_at"])
    assert [i["subscription_status"] for i in items] == ["active", "canceled"]
    assert len(_read(filesystem_env, "subscriptions")) == 2 * len(data["subscriptions"])
    # the cancellation's event is loaded too, dated when Stripe made the change
    events = [e for e in _read(filesystem_env, "events") if e["subscription"] == active["id"]]
    assert [e["type"] for e in events][-1] == "customer.subscription.deleted"
    assert int(events[-1]["created"].timestamp()) > 0


def test_jpy_usd_and_three_decimal_amounts(stripe_api, stripe_client, filesystem_env):
    data = generate_stripe_data(MONTHS, seed=9, customers=90, currencies=("usd", "jpy", "kwd"))
    stripe_api.add_all(data)
    _run(stripe_client)
    rows = _read(filesystem_env, "balance_transactions")
    assert {r["currency"] for r in rows} == {"usd", "jpy", "kwd"}
    for r in rows:
        assert r["currency_exponent"] == EXPONENTS[r["currency"]]
    assert _sums(rows) == _sums(data["balance_transactions"])  # minor units as Stripe gives them

    def major(objects):
        out: dict[str, float] = defaultdict(float)
        for o in objects:
            out[o["currency"]] += o["amount"] / 10 ** EXPONENTS[o["currency"]]
        return out

    loaded = {}
    for r in rows:
        loaded[r["currency"]] = loaded.get(r["currency"], 0) + r["amount"] / 10 ** r["currency_exponent"]
    for currency, value in major(data["balance_transactions"]).items():
        assert loaded[currency] == pytest.approx(value)
    prices = {r["id"]: r for r in _read(filesystem_env, "prices")}
    jpy = [p for p in data["prices"] if p["currency"] == "jpy"]
    assert jpy and all(
        prices[p["id"]]["unit_amount"] == p["unit_amount"] and prices[p["id"]]["currency_exponent"] == 0 for p in jpy
    )
    # a JPY subscription item reads in yen: 4,400 yen stays 4400, not 44.00
    items = [i for i in _read(filesystem_env, "subscription_items") if i["currency"] == "jpy"]
    assert items and all(i["unit_amount"] / 10 ** i["currency_exponent"] == i["unit_amount"] for i in items)


def test_customers_carry_no_personal_fields_by_default(
    stripe_api, stripe_client, filesystem_env, tmp_path, monkeypatch
):
    data = generate_stripe_data(["2026-08"], seed=2, customers=20)
    stripe_api.add_all(data)
    _run(stripe_client, resources=["customers"])
    pii = {"name", "email", "phone", "address", "shipping", "description"}
    schema = _schema(filesystem_env, "customers")
    assert not pii & set(schema.names)
    assert {"id", "created", "currency", "metadata", "delinquent"} <= set(schema.names)
    raw = b"".join(p.read_bytes() for p in (filesystem_env / "raw" / "stripe_revenue" / "customers").rglob("*.parquet"))
    assert data["customers"][0]["email"].encode() not in raw
    assert data["customers"][0]["name"].encode() not in raw
    rows = {r["id"]: r for r in _read(filesystem_env, "customers")}
    c = data["customers"][0]
    assert json.loads(rows[c["id"]]["metadata"]) == c["metadata"]

    # opting in loads them
    monkeypatch.setenv("FINOPS_DATA_DIR", str(tmp_path / "pii"))
    _run(stripe_client, resources=["customers"], include_customer_pii=True)
    rows = {r["id"]: r for r in _read(tmp_path / "pii", "customers")}
    assert rows[c["id"]]["email"] == c["email"] and json.loads(rows[c["id"]]["address"]) == c["address"]


def test_backfill_range_reloads_without_duplicates_after_dedup(stripe_api, stripe_client, filesystem_env, tmp_path):
    from datetime import datetime

    data = generate_stripe_data(MONTHS, seed=13, customers=60)
    stripe_api.add_all(data)
    _run(stripe_client)
    start = int(datetime(2026, 7, 1, tzinfo=UTC).timestamp())
    end = int(datetime(2026, 8, 1, tzinfo=UTC).timestamp())
    in_range = [t for t in data["balance_transactions"] if start <= t["created"] < end]
    stripe_api.clear_requests()
    counts = _run(
        stripe_client, start_date="2026-07-01", end_date="2026-08-01", resources=["balance_transactions", "charges"]
    )
    assert counts["balance_transactions"] == len(in_range)
    params = stripe_api.requests_to("/v1/balance_transactions")[0]["params"]
    assert params["created[gte]"] == str(start) and params["created[lt]"] == str(end)
    raw = _read(filesystem_env, "balance_transactions")
    assert len(raw) == len(data["balance_transactions"]) + len(in_range)  # appended: raw holds both

    # the contract's dedup rule gives each object once, with the generated totals
    glob = _parquet_glob(filesystem_env, "balance_transactions")
    rows = _chdb_query(
        f"""
        SELECT currency, count(), uniqExact(id), sum(amount), sum(fee), sum(net)
        FROM (
            SELECT * FROM file('{glob}', Parquet)
            ORDER BY _loaded_at DESC, _dlt_load_id DESC
            LIMIT 1 BY id
        )
        GROUP BY currency
    """,
        tmp_path,
    )
    expected = _sums(data["balance_transactions"])["usd"]
    assert rows == [["usd", expected["count"], expected["count"], expected["amount"], expected["fee"], expected["net"]]]

    # a backfill does not move the incremental state: the next scheduled run finds nothing new
    stripe_api.clear_requests()
    again = _run(stripe_client, resources=["balance_transactions"])
    assert "balance_transactions" not in again
    last = max(t["created"] for t in data["balance_transactions"])
    assert stripe_api.requests_to("/v1/balance_transactions")[0]["params"]["created[gte]"] == str(last)


def test_loader_full_refresh_failure_message_and_intact_data(stripe_api, filesystem_env, monkeypatch):
    """Through the DAG's entry point: Airflow connection, params, a failure after retries, full_refresh."""
    from include.loaders import stripe as loader
    from include.run_intent import request_for
    from include.sources.stripe_revenue import StripeLoadError

    monkeypatch.setenv(
        "AIRFLOW_CONN_STRIPE_TEST",
        json.dumps(
            {
                "conn_type": "generic",
                "password": TEST_API_KEY,
                "host": stripe_api.url,
                "extra": {"max_network_retries": 1},
            }
        ),
    )
    monkeypatch.setenv("AIRFLOW_VAR_STRIPE_REVENUE_CONFIG", json.dumps({"stripe_conn_id": "stripe_test"}))
    data = generate_stripe_data(MONTHS, seed=17, customers=150)
    stripe_api.add_all(data)
    first = loader.load(request_for("stripe_revenue", {"start_date": None, "end_date": None, "full_refresh": False})).tables
    assert first["charges"] == len(data["charges"])
    table_dir = filesystem_env / "raw" / "stripe_revenue"
    snapshot = {p: p.read_bytes() for p in table_dir.rglob("*.parquet")}

    # new charges, then Stripe fails on the second page of charges beyond all retries
    newest = max(c["created"] for c in data["charges"])
    extra = [dict(c, id=f"ch_new_{i:04d}", created=newest + 60 + i) for i, c in enumerate(data["charges"][:250])]
    stripe_api.add("charges", extra)
    stripe_api.fail_next(1000, status=500, path_prefix="/v1/charges", skip=1)
    monkeypatch.setenv(
        "AIRFLOW_VAR_STRIPE_REVENUE_CONFIG",
        json.dumps({"stripe_conn_id": "stripe_test", "retry_attempts": 1, "retry_backoff_seconds": 0.01}),
    )
    with pytest.raises(StripeLoadError) as info:
        loader.load(request_for("stripe_revenue", {}))
    message = str(info.value)
    assert "charges" in message and "starting_after='ch_" in message and "HTTP 500" in message
    assert info.value.object_type == "charges" and info.value.cursor.startswith("ch_")
    assert {p: p.read_bytes() for p in table_dir.rglob("*.parquet")} == snapshot  # already-loaded data intact

    # after the fault: the next run loads exactly the new charges (state was not moved)
    stripe_api.clear_faults()
    second = loader.load(request_for("stripe_revenue", {})).tables
    assert second["charges"] == len(extra)

    # a manual backfill with DAG-style dates: end_date is the last day reloaded
    stripe_api.clear_requests()
    loader.load(request_for("stripe_revenue", {"start_date": "2026-07-01", "end_date": "2026-07-31", "full_refresh": False}))
    params = stripe_api.requests_to("/v1/charges")[0]["params"]
    assert params["created[gte]"] == str(int(datetime(2026, 7, 1, tzinfo=UTC).timestamp()))
    assert params["created[lt]"] == str(int(datetime(2026, 8, 1, tzinfo=UTC).timestamp()))

    # full_refresh: tables and state dropped, everything reloaded once; the history Stripe cannot serve
    # again (subscription states seen by earlier loads) is kept and added to
    subscriptions_before = _read(filesystem_env, "subscriptions")
    stripe_api.clear_requests()
    third = loader.load(request_for("stripe_revenue", {"full_refresh": True})).tables
    subscriptions_after = _read(filesystem_env, "subscriptions")
    assert subscriptions_before
    seen = {(r["id"], r["_loaded_at"]) for r in subscriptions_after}
    assert {(r["id"], r["_loaded_at"]) for r in subscriptions_before} <= seen
    assert len(subscriptions_after) > len(subscriptions_before)
    assert third["charges"] == len(data["charges"]) + len(extra)
    assert "created[gte]" not in stripe_api.requests_to("/v1/charges")[0]["params"]
    charges = _read(filesystem_env, "charges")
    assert len(charges) == len({c["id"] for c in charges}) == len(data["charges"]) + len(extra)
    assert len(_read(filesystem_env, "balance_transactions")) == len(data["balance_transactions"])


def _month_ends(months: list[str]) -> list[tuple[str, int, int]]:
    """(month, first second, first second of the next month) per month."""
    out = []
    for month in months:
        y, m = map(int, month.split("-"))
        start = int(datetime(y, m, 1, tzinfo=UTC).timestamp())
        out.append((month, start, int(datetime(y + m // 12, m % 12 + 1, 1, tzinfo=UTC).timestamp())))
    return out


def test_mrr_movements_and_churn_on_chdb_equal_an_independent_computation(stripe_api, stripe_client, filesystem_env):
    """Loaded through the real source, built by the real SQL task, checked against the generator's own
    history: each subscription's plan before and after its change comes from the
    customer.subscription.updated events (not loaded here, so the SQL cannot read them), the current plan
    from the subscription. With no history before this first load, months that invoices cover show what
    was billed then (reconstructed), the others the state seen."""
    from include.transform import query, run_transformations

    data = generate_stripe_data(MONTHS, seed=31, customers=120, currencies=("usd", "jpy"))
    stripe_api.add_all(data)
    resources = ["subscriptions", "invoices", "prices", "balance_transactions"]
    _run(stripe_client, resources=resources)
    _run(stripe_client, resources=resources)  # a second snapshot: dedup must hold
    run_transformations("stripe", periods=None, config={})
    loaded_at = query("SELECT toUnixTimestamp(max(_loaded_at)) FROM finops_raw.stripe_revenue__subscriptions")[1][0][0]
    columns = ["mrr", "mrr_at_start", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr",
               "reactivation_mrr", "active_subscriptions", "new_subscriptions", "churned_subscriptions",
               "subscriptions_at_start", "subscription_churn_rate"]
    rows = query(f"SELECT month, currency, {', '.join(f'toFloat64({c})' for c in columns)} "
                 "FROM finops.int_stripe__mrr_monthly ORDER BY month, currency")[1]
    got = {(r[0], r[1]): dict(zip(columns, r[2:], strict=True)) for r in rows}

    factor = {"month": 1, "year": 1 / 12}

    def monthly(items, currency) -> float:
        return sum(i["price"]["unit_amount"] * i["quantity"] * factor[i["price"]["recurring"]["interval"]]
                   for i in items) / 10 ** EXPONENTS[currency]

    changes = {e["data"]["object"]["id"]: e for e in data["events"] if e["type"] == "customer.subscription.updated"}
    covered = defaultdict(list)  # subscription -> [(start, end)] of its billed lines
    for invoice in data["invoices"]:
        if invoice["status"] not in ("draft", "void"):
            sub_id = invoice["parent"]["subscription_details"]["subscription"]
            covered[sub_id] += [(x["period"]["start"], x["period"]["end"]) for x in invoice["lines"]["data"]]

    def mrr_at(sub, end) -> float:
        if not (sub["start_date"] < end and (sub["ended_at"] is None or sub["ended_at"] >= end)):
            return 0.0
        items = sub["items"]["data"]
        billed = end <= loaded_at and any(s < end <= e for s, e in covered[sub["id"]])
        change = changes.get(sub["id"])
        if billed and change and end <= change["created"]:
            items = change["data"]["previous_attributes"]["items"]["data"]
        return monthly(items, sub["currency"])

    months = _month_ends([m for m, _ in sorted({k[0]: 0 for k in got}.items())])
    assert months[0][0] <= MONTHS[0] and months[-1][0] == datetime.fromtimestamp(loaded_at, UTC).strftime("%Y-%m")
    moves = Counter()
    for currency in ("usd", "jpy"):
        subs = [s for s in data["subscriptions"] if s["currency"] == currency]
        previous = {s["id"]: 0.0 for s in subs}
        for month, _start, end in months:
            now = {s["id"]: mrr_at(s, end) for s in subs}
            delta = {k: now[k] - previous[k] for k in now}
            expected = {
                "mrr": sum(now.values()),
                "mrr_at_start": sum(previous.values()),
                "new_mrr": sum(d for k, d in delta.items() if previous[k] == 0 and now[k] > 0),
                "expansion_mrr": sum(d for k, d in delta.items() if previous[k] > 0 and d > 0),
                "contraction_mrr": -sum(d for k, d in delta.items() if now[k] > 0 and d < 0),
                "churned_mrr": sum(previous[k] for k in now if previous[k] > 0 and now[k] == 0),
                "reactivation_mrr": 0.0,  # one subscription per customer here
            }
            g = got.get((month, currency))
            if g is None:
                assert all(v == 0 for v in expected.values()), (month, currency)
                previous = now
                continue
            for name, value in expected.items():
                assert g[name] == pytest.approx(value, rel=1e-9, abs=1e-6), (month, currency, name)
                moves[name] += value > 0
            # Stripe's subscriber counts: active = with MRR at the instant; churn rate over (at start + new)
            active = [k for k in now if now[k] > 0]
            at_start = [k for k in now if previous[k] > 0]
            churned = [k for k in now if previous[k] > 0 and now[k] == 0]
            new = [k for k in now if previous[k] == 0 and now[k] > 0]
            assert [g["active_subscriptions"], g["new_subscriptions"], g["churned_subscriptions"],
                    g["subscriptions_at_start"]] == [len(active), len(new), len(churned), len(at_start)], month
            base = len(at_start) + len(new)
            assert g["subscription_churn_rate"] == pytest.approx(len(churned) / base if base else 0)
            previous = now
    # the sample has every kind of movement, so each comparison above could have failed
    assert all(moves[k] > 0 for k in ("new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr")), moves


def test_invoice_lines_beyond_the_embedded_page_are_fetched(stripe_api, stripe_client, filesystem_env):
    data = generate_stripe_data(["2026-08"], seed=4, customers=5)
    invoice = data["invoices"][0]
    line = invoice["lines"]["data"][0]
    invoice["lines"]["data"] = [dict(line, id=f"il_many_{i:03d}", amount=100 + i) for i in range(25)]
    stripe_api.add_all(data)
    _, listed, _ = _get(stripe_api, "/v1/invoices", limit=100)
    embedded = next(i for i in listed["data"] if i["id"] == invoice["id"])["lines"]
    assert len(embedded["data"]) == 10 and embedded["has_more"] is True

    _run(stripe_client, resources=["invoices"])
    row = next(r for r in _read(filesystem_env, "invoices") if r["id"] == invoice["id"])
    lines = json.loads(row["lines"])
    assert [x["id"] for x in lines] == [f"il_many_{i:03d}" for i in range(25)]
    assert sum(x["amount"] for x in lines) == sum(100 + i for i in range(25))
    assert any(r["path"] == f"/v1/invoices/{invoice['id']}/lines" for r in stripe_api.requests)


_CLICKHOUSE_TYPES = {
    "int64": "Int64",
    "string": "String",
    "double": "Float64",
    "bool": "Bool",
    "timestamp[us, tz=UTC]": "DateTime64(6, 'UTC')",
}


@pytest.mark.integration
def test_clickhouse_columns_have_the_parquet_types(stripe_api, stripe_client, filesystem_env, monkeypatch):
    """Same raw column types on both destinations (needs CLICKHOUSE_HOST etc.; skipped otherwise)."""
    import os

    host = os.environ.get("CLICKHOUSE_HOST")
    if not host:
        pytest.skip(
            "no ClickHouse server (set CLICKHOUSE_HOST, CLICKHOUSE_PORT, CLICKHOUSE_NATIVE_PORT, "
            "CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE)"
        )
    database = os.environ.get("CLICKHOUSE_DATABASE", "default")
    monkeypatch.setenv(
        "AIRFLOW_CONN_CLICKHOUSE_DEFAULT",
        json.dumps(
            {
                "conn_type": "generic",
                "host": host,
                "port": int(os.environ.get("CLICKHOUSE_PORT", 8123)),
                "login": os.environ.get("CLICKHOUSE_USER", "default"),
                "password": os.environ.get("CLICKHOUSE_PASSWORD", ""),
                "schema": database,
                "extra": {"native_port": int(os.environ.get("CLICKHOUSE_NATIVE_PORT", 9000))},
            }
        ),
    )
    stripe_api.add_all(generate_stripe_data(["2026-08"], seed=3, customers=30, currencies=("usd", "jpy")))
    tables = ["balance_transactions", "charges", "subscriptions", "customers"]
    _run(stripe_client, resources=tables)  # filesystem (FINOPS_DESTINATION from filesystem_env)
    monkeypatch.setenv("FINOPS_DESTINATION", "clickhouse")
    _run(stripe_client, resources=tables, run_kwargs={"refresh": "drop_sources"})

    import clickhouse_connect

    client = clickhouse_connect.get_client(
        host=host,
        port=int(os.environ.get("CLICKHOUSE_PORT", 8123)),
        username=os.environ.get("CLICKHOUSE_USER", "default"),
        password=os.environ.get("CLICKHOUSE_PASSWORD", ""),
        database=database,
    )
    for table in tables + ["subscription_items"]:
        parquet = _schema(filesystem_env, table)
        rows = client.query(
            "SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String}",
            parameters={"db": database, "t": f"stripe_revenue___{table}"},
        ).result_rows
        clickhouse = dict(rows)
        for field in parquet:
            if field.name == "_dlt_load_id":
                continue
            assert clickhouse[field.name] == f"Nullable({_CLICKHOUSE_TYPES[str(field.type)]})", (table, field.name)


# ------------------------------------------------------------------ history that later loads never rewrite
def _monthly_mrr(query) -> dict[str, float]:
    return {m: float(v) for m, v in query(
        "SELECT month, mrr FROM finops.int_stripe__mrr_monthly WHERE currency = 'usd' ORDER BY month")[1]}


def test_a_later_load_never_changes_a_closed_month_and_months_replay_from_snapshots_and_events(
        stripe_api, stripe_client, filesystem_env):
    """Two loads a month apart, the stand-in's clock moving on in between (events dated by Stripe):
    September, closed at the first load, keeps its MRR; October (running at the first load) takes the
    upgrade made before its end, traced to the event; events Stripe no longer serves stay in the history."""
    from include.transform import query, run_transformations

    def ts(day):
        return int(datetime.fromisoformat(day + "T00:00:00+00:00").timestamp())

    def price(price_id, amount, interval="month"):
        return {"id": price_id, "object": "price", "active": True, "currency": "usd", "unit_amount": amount,
                "unit_amount_decimal": str(amount), "billing_scheme": "per_unit", "type": "recurring",
                "created": ts("2026-01-01"), "recurring": {"interval": interval, "interval_count": 1,
                                                           "usage_type": "licensed"}}

    prices = {"basic": price("price_basic", 10_000), "pro": price("price_pro", 30_000),
              "annual": price("price_annual", 120_000, "year"), "annual_plus": price("price_annual_plus", 240_000, "year")}

    def sub(sub_id, key, start):
        return {"id": sub_id, "object": "subscription", "customer": f"cus_{sub_id}", "currency": "usd",
                "status": "active", "start_date": ts(start), "created": ts(start), "ended_at": None,
                "trial_end": None, "discounts": [],
                "items": {"object": "list", "data": [{"id": f"si_{sub_id}", "object": "subscription_item",
                                                      "quantity": 1, "price": prices[key]}]}}

    stripe_api.add("prices", list(prices.values()))
    stripe_api.add("balance_transactions", [{"id": "txn_1", "object": "balance_transaction", "type": "charge",
                                             "reporting_category": "charge", "amount": 10_000, "fee": 320,
                                             "net": 9_680, "currency": "usd", "created": ts("2026-09-01")}])
    stripe_api.add("subscriptions", [sub("sub_a", "basic", "2026-09-01"), sub("sub_b", "pro", "2026-09-01"),
                                     sub("sub_c", "annual", "2026-07-01")])
    for sub_id in ("sub_a", "sub_b"):
        stripe_api.add("events", [{"id": f"evt_created_{sub_id}", "object": "event", "type": "customer.subscription.created",
                                   "created": ts("2026-09-01"), "data": {"object": stripe_api.get("subscriptions", sub_id)},
                                   "livemode": False, "request": {"id": None}}])

    first_load = datetime(2026, 10, 15, 6, tzinfo=UTC)
    _run(stripe_client, loaded_at=first_load, resources=["subscriptions", "events", "prices", "balance_transactions"])
    run_transformations("stripe", periods=None, config={})
    before = _monthly_mrr(query)
    # Sep: 100 + 300 + 1200/12 = 500; October (running) the same
    assert before == {"2026-07": 100.0, "2026-08": 100.0, "2026-09": 500.0, "2026-10": 500.0}

    # Stripe moves on: sub_a upgraded on Oct 20, sub_b cancelled on Nov 5, sub_c's annual plan changed on
    # Nov 10 without an invoice; Stripe drops September's events (it serves 30 days of them).
    upgraded = dict(stripe_api.get("subscriptions", "sub_a"))
    upgraded["items"] = {"object": "list", "data": [dict(upgraded["items"]["data"][0], price=prices["pro"])]}
    upgrade = stripe_api.replace_object("subscriptions", upgraded, event_type="customer.subscription.updated",
                                        event_created=ts("2026-10-20"))
    cancelled = dict(stripe_api.get("subscriptions", "sub_b"), status="canceled", ended_at=ts("2026-11-05"),
                     canceled_at=ts("2026-11-05"))
    stripe_api.replace_object("subscriptions", cancelled, event_type="customer.subscription.deleted",
                              event_created=ts("2026-11-05"))
    changed = dict(stripe_api.get("subscriptions", "sub_c"))
    changed["items"] = {"object": "list", "data": [dict(changed["items"]["data"][0], price=prices["annual_plus"])]}
    stripe_api.replace_object("subscriptions", changed, event_type="customer.subscription.updated",
                              event_created=ts("2026-11-10"))
    for sub_id in ("sub_a", "sub_b"):
        stripe_api.remove("events", f"evt_created_{sub_id}")

    _run(stripe_client, loaded_at=datetime(2026, 11, 20, 6, tzinfo=UTC),
         resources=["subscriptions", "events", "prices", "balance_transactions"])
    run_transformations("stripe", periods=None, config={})
    after = _monthly_mrr(query)
    # closed months unchanged; October: 300 (sub_a upgraded Oct 20) + 300 + 100; November: 300 + 200
    assert after == {"2026-07": 100.0, "2026-08": 100.0, "2026-09": 500.0, "2026-10": 700.0, "2026-11": 500.0}
    rows = query("SELECT month, toFloat64(mrr), mrr_source, mrr_source_id, reconstructed "
                 "FROM finops.int_stripe__subscription_mrr WHERE subscription = 'sub_a' ORDER BY month")[1]
    assert [(m, v, src, rec) for m, v, src, _, rec in rows] == [
        ("2026-09", 100.0, "event", False), ("2026-10", 300.0, "event", False), ("2026-11", 300.0, "snapshot", False)]
    assert rows[1][3] == upgrade["id"]  # October's figure names the event that set it
    # sub_c began before the oldest event (Sep 1): July's end is reconstructed (no invoice: the state
    # first seen) and flagged; from Sep 1 on events date every change, so August's end is known
    flags = dict(query("SELECT month, reconstructed FROM finops.int_stripe__subscription_mrr "
                       "WHERE subscription = 'sub_c' ORDER BY month")[1])
    assert flags == {"2026-07": True, "2026-08": False, "2026-09": False, "2026-10": False, "2026-11": False}
    assert query("SELECT month, reconstructed_subscriptions FROM finops.int_stripe__mrr_monthly "
                 "WHERE currency = 'usd' ORDER BY month")[1][:2] == [("2026-07", 1), ("2026-08", 0)]


def test_currency_options_applies_to_and_item_discounts_are_loaded_and_valued(stripe_api, stripe_client, filesystem_env):
    """The stand-in serves what Stripe does: a price's currency_options (and each option's tiers), a coupon's
    applies_to and currency_options and a subscription item's discounts only when expanded, and never a currency
    option on the price a subscription item embeds. The source asks for them (a tiered price's option tiers by
    retrieving that price), so September's MRR is right: a JPY subscription on a USD 10.00 price with a JPY 1,500
    option is 1,500 JPY (not 1,000); 12 seats of volume tiers USD 10.00 / 8.00 above 10 with JPY tiers
    1,500 / 1,200 are 14,400 JPY (not 9,600 on the USD tiers); prod_a 100.00 + prod_b 50.00 with a 50 % coupon
    restricted to prod_a is 100.00 (not 75.00); prod_a 100.00 with its own 50 % item discount + prod_b 50.00
    is 100.00 (not 150.00); EUR 100.00 with a USD 10.00 off coupon whose EUR option is 9.00 is 91.00."""
    from include.transform import query, run_transformations

    def ts(day):
        return int(datetime.fromisoformat(day + "T00:00:00+00:00").timestamp())

    def price(price_id, amount, product, **extra):
        return {"id": price_id, "object": "price", "active": True, "currency": "usd", "unit_amount": amount,
                "unit_amount_decimal": str(amount), "billing_scheme": "per_unit", "type": "recurring",
                "product": product, "created": ts("2026-01-01"),
                "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"}, **extra}

    multi = price("price_multi", 1_000, "prod_m", currency_options={"jpy": {"unit_amount": 1_500,
                                                                           "unit_amount_decimal": "1500"}})
    tiered = price("price_tiered", None, "prod_t", billing_scheme="tiered", tiers_mode="volume",
                   unit_amount_decimal=None,
                   tiers=[{"up_to": 10, "unit_amount": 1_000, "unit_amount_decimal": "1000", "flat_amount": None},
                          {"up_to": None, "unit_amount": 800, "unit_amount_decimal": "800", "flat_amount": None}],
                   currency_options={"jpy": {"unit_amount": None, "unit_amount_decimal": None, "tiers": [
                       {"up_to": 10, "unit_amount": 1_500, "unit_amount_decimal": "1500", "flat_amount": None},
                       {"up_to": None, "unit_amount": 1_200, "unit_amount_decimal": "1200", "flat_amount": None}]}})
    pa, pb = price("price_a", 10_000, "prod_a"), price("price_b", 5_000, "prod_b")
    euro = dict(price("price_euro", 10_000, "prod_e"), currency="eur")
    ten_off = {"id": "co_ten", "object": "coupon", "percent_off": None, "amount_off": 1_000, "currency": "usd",
               "duration": "forever", "duration_in_months": None, "created": ts("2026-01-01"), "valid": True,
               "currency_options": {"eur": {"amount_off": 900}}}
    half_a = {"id": "co_half_a", "object": "coupon", "percent_off": 50, "amount_off": None, "duration": "forever",
              "duration_in_months": None, "created": ts("2026-01-01"), "valid": True,
              "applies_to": {"products": ["prod_a"]}}
    half = {"id": "co_half", "object": "coupon", "percent_off": 50, "amount_off": None, "duration": "forever",
            "duration_in_months": None, "created": ts("2026-01-01"), "valid": True}

    def discount(discount_id, coupon, item=None):
        return {"id": discount_id, "object": "discount", "start": ts("2026-09-01"), "end": None,
                "coupon": {k: v for k, v in coupon.items() if k not in ("applies_to", "currency_options")},
                "subscription_item": item}

    def sub(sub_id, currency, items, discounts=(), quantity=1):
        return {"id": sub_id, "object": "subscription", "customer": f"cus_{sub_id}", "currency": currency,
                "status": "active", "start_date": ts("2026-09-01"), "created": ts("2026-09-01"), "ended_at": None,
                "trial_end": None, "discounts": list(discounts), "items": {"object": "list", "data": [
                    {"id": i, "object": "subscription_item", "quantity": quantity, "price": p, "discounts": d}
                    for i, p, d in items]}}

    stripe_api.add("prices", [multi, tiered, pa, pb, euro])
    stripe_api.add("coupons", [half_a, half, ten_off])
    stripe_api.add("balance_transactions", [{"id": "txn_1", "object": "balance_transaction", "type": "charge",
                                             "reporting_category": "charge", "amount": 10_000, "fee": 320,
                                             "net": 9_680, "currency": "usd", "created": ts("2026-09-01")}])
    stripe_api.add("subscriptions", [
        sub("sub_jpy", "jpy", [("si_jpy", multi, [])]),
        sub("sub_restricted", "usd", [("si_ra", pa, []), ("si_rb", pb, [])], [discount("di_restricted", half_a)]),
        sub("sub_item", "usd", [("si_ia", pa, [discount("di_item", half, "si_ia")]), ("si_ib", pb, [])]),
        sub("sub_jpy_tiered", "jpy", [("si_jt", tiered, [])], quantity=12),
        sub("sub_eur", "eur", [("si_eur", euro, [])], [discount("di_eur", ten_off)]),
    ])
    stripe_api.fail_next(1, status=429, path_prefix="/v1/prices/price_tiered")  # the retrieve is retried too
    _run(stripe_client, loaded_at=datetime(2026, 9, 20, 6, tzinfo=UTC),
         resources=["subscriptions", "prices", "coupons", "balance_transactions"])

    assert [r["status"] for r in stripe_api.requests_to("/v1/prices/price_tiered")] == [429, 200]
    prices = {r["id"]: r for r in _read(filesystem_env, "prices")}
    assert json.loads(prices["price_multi"]["currency_options"])["jpy"]["unit_amount"] == 1_500
    assert json.loads(prices["price_tiered"]["currency_options"])["jpy"]["tiers"][1]["unit_amount"] == 1_200
    coupons = {r["id"]: r for r in _read(filesystem_env, "coupons")}
    assert json.loads(coupons["co_half_a"]["applies_to"]) == {"products": ["prod_a"]}
    assert json.loads(coupons["co_ten"]["currency_options"]) == {"eur": {"amount_off": 900}}
    items = {s["id"]: json.loads(s["items"]) for s in _read(filesystem_env, "subscriptions")}
    assert items["sub_item"][0]["discounts"][0]["id"] == "di_item"  # the object, not its id

    run_transformations("stripe", periods=None, config={})
    got = dict(query("SELECT subscription, toFloat64(mrr) FROM finops.int_stripe__subscription_mrr "
                     "WHERE month = '2026-09'")[1])
    assert got == {"sub_jpy": 1_500.0, "sub_restricted": 100.0, "sub_item": 100.0, "sub_jpy_tiered": 14_400.0,
                   "sub_eur": 91.0}


def test_credit_notes_are_listed_loaded_replaced_and_give_their_vat_back(stripe_api, stripe_client, filesystem_env):
    """The stand-in serves /v1/credit_notes with Stripe's list semantics (newest first, cursors, the `invoice`
    filter); the source loads them with a fixed schema (total_excluding_tax from `total_taxes` on API versions
    without the field) and replaces the table on every run, so a credit note voided after a first load reads
    void. Invoice 100.00 + 20.00 VAT paid 2026-09-03 and refunded in full by a post-payment credit note: revenue
    120 - 120 - (20 - 20) = 0; once that credit note is void (and a partial one of 30.00 + 6.00 refunded), 120 -
    36 - (20 - 6) = 70 (the ledger keeps the first refund: this only checks the VAT follows the status)."""
    from tests.helpers.transform import q, run

    def ts(day):
        return int(datetime.fromisoformat(day + "+00:00").timestamp())

    def note(note_id, subtotal, tax, day, **extra):
        return {"id": note_id, "object": "credit_note", "invoice": "in_1", "customer": "cus_1", "currency": "usd",
                "status": "issued", "type": "post_payment", "amount": subtotal + tax, "subtotal": subtotal,
                "subtotal_excluding_tax": subtotal, "total": subtotal + tax,
                "total_taxes": [{"amount": tax, "tax_behavior": "exclusive"}], "pre_payment_amount": 0,
                "post_payment_amount": subtotal + tax, "out_of_band_amount": 0,
                "refunds": [{"amount_refunded": subtotal + tax, "refund": f"re_{note_id}"}],
                "effective_at": ts(day), "created": ts(day), "livemode": False, **extra}

    stripe_api.add("balance_transactions", [
        {"id": "txn_ch", "object": "balance_transaction", "type": "charge", "reporting_category": "charge",
         "amount": 12_000, "fee": 0, "net": 12_000, "currency": "usd", "created": ts("2026-09-03T10:00:00")},
        {"id": "txn_re", "object": "balance_transaction", "type": "refund", "reporting_category": "refund",
         "amount": -12_000, "fee": 0, "net": -12_000, "currency": "usd", "created": ts("2026-09-10T10:00:00")}])
    stripe_api.add("invoices", [{
        "id": "in_1", "object": "invoice", "customer": "cus_1", "currency": "usd", "status": "paid",
        "created": ts("2026-09-03T10:00:00"), "total": 12_000, "subtotal": 10_000, "total_excluding_tax": 10_000,
        "amount_due": 12_000, "amount_paid": 12_000, "amount_remaining": 0,
        "status_transitions": {"paid_at": ts("2026-09-03T10:00:00")},
        "lines": {"object": "list", "has_more": False, "data": [
            {"id": "il_1", "object": "line_item", "amount": 10_000, "discount_amounts": [],
             "period": {"start": ts("2026-09-03T10:00:00"), "end": ts("2026-09-03T10:00:00")}}]}}])
    stripe_api.add("credit_notes", [note("cn_full", 10_000, 2_000, "2026-09-10T10:00:00")])
    stripe_api.add("credit_notes", [note(f"cn_other_{i}", 100, 20, "2026-08-01T00:00:00", invoice=f"in_x{i}")
                                    for i in range(3)])

    status, page, _ = _get(stripe_api, "/v1/credit_notes", limit=2)
    assert status == 200 and page["url"] == "/v1/credit_notes" and page["has_more"] is True
    assert page["data"][0]["id"] == "cn_full" and page["data"][0]["object"] == "credit_note"
    _, by_invoice, _ = _get(stripe_api, "/v1/credit_notes", invoice="in_1")
    assert [o["id"] for o in by_invoice["data"]] == ["cn_full"] and not by_invoice["has_more"]
    assert _get(stripe_api, "/v1/credit_notes", bogus=1)[0] == 400

    resources = ["balance_transactions", "invoices", "credit_notes"]
    _run(stripe_client, loaded_at=datetime(2026, 9, 20, 6, tzinfo=UTC), resources=resources, page_size=2)
    assert len(stripe_api.requests_to("/v1/credit_notes")) >= 2  # paged: 4 credit notes, 2 a page
    rows = {r["id"]: r for r in _read(filesystem_env, "credit_notes")}
    assert set(rows) == {"cn_full", "cn_other_0", "cn_other_1", "cn_other_2"}
    full = rows["cn_full"]
    assert (full["invoice"], full["status"], full["type"], full["total"], full["total_excluding_tax"],
            full["post_payment_amount"], full["out_of_band_amount"]) == ("in_1", "issued", "post_payment", 12_000,
                                                                         10_000, 12_000, 0)
    assert json.loads(full["refunds"]) == [{"amount_refunded": 12_000, "refund": "re_cn_full"}]
    assert str(_schema(filesystem_env, "credit_notes").field("effective_at").type) == "timestamp[us, tz=UTC]"
    run("stripe")
    sep = "SELECT sales_tax, revenue FROM finops.monthly_revenue WHERE month = '2026-09'"
    assert q(sep) == [(0, 0)]

    stripe_api.update_object("credit_notes", "cn_full", status="void", voided_at=ts("2026-09-21T00:00:00"))
    stripe_api.add("credit_notes", [note("cn_part", 3_000, 600, "2026-09-22T10:00:00")])
    _run(stripe_client, loaded_at=datetime(2026, 9, 25, 6, tzinfo=UTC), resources=resources)
    rows = {r["id"]: r for r in _read(filesystem_env, "credit_notes")}
    assert len(_read(filesystem_env, "credit_notes")) == 5  # replaced, not appended
    assert (rows["cn_full"]["status"], rows["cn_part"]["status"]) == ("void", "issued")
    run("stripe")
    # ledger: 120 - 120 (the first refund stays in this replay); VAT 20 - 6 (the void note gives none back)
    assert q(sep) == [(14, -14)]


# ------------------------------------------------------------------ archived and inline prices
def test_the_prices_load_keeps_archived_prices_that_subscriptions_still_bill(stripe_api, stripe_client, filesystem_env):
    """Stripe lists active prices unless `active=false` is passed (then only the inactive ones) and never lists the
    inline ones (`price_data`), which can still be retrieved (https://docs.stripe.com/api/prices/list); the
    stand-in does the same. The source lists both and retrieves the inline prices that a subscription item or an
    invoice line bills (and no other), each once, with their tiers and currency options, even when it loads the
    prices alone: the archived graduated and multi-currency prices keep what the SQL values them on."""

    def ts(day):
        return int(datetime.fromisoformat(day + "T00:00:00+00:00").timestamp())

    def price(price_id, amount, active=True, **extra):
        return {"id": price_id, "object": "price", "active": active, "currency": "usd", "unit_amount": amount,
                "unit_amount_decimal": None if amount is None else str(amount), "billing_scheme": "per_unit",
                "type": "recurring", "product": "prod_" + price_id, "created": ts("2026-01-01"),
                "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"}, **extra}

    tiers = [{"up_to": 10, "unit_amount": 1_000, "unit_amount_decimal": "1000", "flat_amount": 2_000},
             {"up_to": None, "unit_amount": 500, "unit_amount_decimal": "500", "flat_amount": None}]
    current = price("price_current", 10_000)
    tiered = price("price_legacy_tiered", None, active=False, billing_scheme="tiered", tiers_mode="graduated",
                   tiers=tiers)
    multi = price("price_legacy_multi", 10_000, active=False,
                  currency_options={"eur": {"unit_amount": 9_000, "unit_amount_decimal": "9000"}})
    inline_item, inline_line, inline_other = (price(f"price_inline_{n}", 5_000, active=False)
                                              for n in ("item", "line", "other"))
    stripe_api.add("prices", [current, tiered, multi])
    stripe_api.add("prices", [inline_item, inline_line, inline_other], inline=True)
    stripe_api.add("subscriptions", [
        {"id": f"sub_{n}", "object": "subscription", "customer": f"cus_{n}", "currency": "usd", "status": status,
         "created": ts("2026-09-01"), "items": {"object": "list", "data": [
             {"id": f"si_{n}", "object": "subscription_item", "quantity": 1,
              "price": {k: v for k, v in p.items() if k not in ("tiers", "currency_options")}}]}}
        for n, p, status in (("a", tiered, "active"), ("b", multi, "active"), ("c", inline_item, "canceled"))])
    stripe_api.add("invoices", [
        {"id": "in_1", "object": "invoice", "customer": "cus_a", "currency": "usd", "status": "paid",
         "created": ts("2026-09-01"), "lines": {"object": "list", "has_more": False, "data": [
             {"id": f"il_{n}", "object": "line_item", "amount": 5_000,
              "pricing": {"type": "price_details", "price_details": {"price": p["id"]}}}
             for n, p in enumerate((current, inline_line))]}}])

    _, listed, _ = _get(stripe_api, "/v1/prices")
    _, active, _ = _get(stripe_api, "/v1/prices", active="true")
    _, archived, _ = _get(stripe_api, "/v1/prices", active="false")
    assert [p["id"] for p in listed["data"]] == [p["id"] for p in active["data"]] == ["price_current"]
    assert {p["id"] for p in archived["data"]} == {"price_legacy_tiered", "price_legacy_multi"}
    assert _get(stripe_api, "/v1/prices/price_inline_other")[1]["id"] == "price_inline_other"
    stripe_api.clear_requests()

    _run(stripe_client, loaded_at=datetime(2026, 9, 20, 6, tzinfo=UTC), resources=["prices"])

    prices = {r["id"]: r for r in _read(filesystem_env, "prices")}
    assert sorted(prices) == ["price_current", "price_inline_item", "price_inline_line", "price_legacy_multi",
                              "price_legacy_tiered"]
    assert json.loads(prices["price_legacy_tiered"]["tiers"]) == tiers
    assert json.loads(prices["price_legacy_multi"]["currency_options"])["eur"]["unit_amount"] == 9_000
    assert prices["price_inline_line"]["unit_amount"] == 5_000
    assert [r["path"] for r in stripe_api.requests if r["path"].startswith("/v1/prices/")] == [
        "/v1/prices/price_inline_item", "/v1/prices/price_inline_line"]
