"""The YAML beside each model is its contract: run its tests (unique key, not_null, accepted_values)
and compare its columns with what ClickHouse built, on the demo data, for every model; so the docs
cannot drift from the SQL."""

from __future__ import annotations

import pytest

from include.transform.config import sql_config
from include.transform.models import load_models
from tests.helpers.chdb import chdb_client

MODELS = load_models()
# The demo's Stripe account has no coupons nor credit notes, so their raw tables (and these staging views) never
# exist (stg_stripe__credit_notes' YAML is checked in tests/transform/intermediate/test_stripe_revenue_credit_notes.py).
NOT_IN_DEMO_DATA = {"stg_stripe__coupons", "stg_stripe__credit_notes"}


@pytest.fixture(scope="module")
def demo_tag_columns(demo_marts) -> dict[str, list[str]]:
    """{provider: tag_<name> columns} of the configuration the demo ran with (the YAML documents the default's)."""
    return {provider: [f"tag_{name}" for name, _ in pairs] for provider, pairs in sql_config(demo_marts["sql_config"])["tags"].items()}


@pytest.fixture(scope="module")
def demo(demo_marts):
    """A client on the demo data built by the real loads and every target (the session's one demo build,
    tests/fixtures/demo_marts.py)."""
    client = chdb_client(demo_marts["data_dir"])
    yield client
    client.close()


def built_columns(client, name: str) -> list[tuple[str, str]]:
    rows = client.query("SELECT name, type FROM system.columns WHERE database = 'finops' AND table = {t:String} "
                        "ORDER BY position", parameters={"t": name}).result_rows
    return [tuple(row) for row in rows]


def test_every_model_is_built_from_the_demo_data(demo):
    missing = {name for name in MODELS if not built_columns(demo, name)}
    assert missing == NOT_IN_DEMO_DATA


@pytest.mark.parametrize("name", sorted(set(MODELS) - NOT_IN_DEMO_DATA))
def test_the_yaml_holds_on_the_demo_data(demo, demo_tag_columns, name):
    model = MODELS[name]
    documented = [(c.name, c.data_type) for c in model.columns]
    actual = built_columns(demo, name)
    # one column per configured tag key (`*_tagged`, or meta.tag_columns: the provider whose keys): the demo's keys,
    # the default's in the YAML
    provider = (model.spec.get("meta") or {}).get("tag_columns") or (
        name.removeprefix("int_").split("__")[0] if name.endswith("_tagged") else None)
    if provider:
        assert [c for c, _ in actual if c.startswith("tag_")] == demo_tag_columns[provider]
        actual = [(c, t) for c, t in actual if not c.startswith("tag_")]
        documented = [(c, t) for c, t in documented if not c.startswith("tag_")]
    if model.layer == "staging":  # raw columns pass through; the YAML lists the ones models rely on
        assert set(documented) <= set(actual), f"{name}: documented columns not in the view"
    else:
        assert documented == actual, f"{name}: YAML columns differ from the built columns"
    relation = model.relation
    failures = []
    for test in model.spec.get("data_tests") or []:
        listed = test["unique_combination_of_columns"]["combination_of_columns"]
        # 'tag_*': every configured tag key's column (the key of a rollup that groups by them)
        columns = [c for entry in listed for c in ([n for n, _ in built_columns(demo, name) if n.startswith("tag_")]
                                                    if entry == "tag_*" else [entry])]
        key = ", ".join(f"`{c}`" for c in columns)
        duplicates = demo.query(f"SELECT count() FROM (SELECT {key} FROM {relation} GROUP BY {key} "
                                "HAVING count() > 1)").result_rows[0][0]
        if duplicates:
            failures.append(f"unique ({key}): {duplicates} duplicated keys")
    types = dict(actual)
    for column in model.columns:
        for test in column.tests:
            if test == "not_null":
                assert types[column.name].startswith("Nullable("), f"{name}.{column.name}: not_null on a type that cannot be NULL"
                nulls = demo.query(f"SELECT countIf(`{column.name}` IS NULL) FROM {relation}").result_rows[0][0]
                if nulls:
                    failures.append(f"not_null {column.name}: {nulls} NULL rows")
            elif "accepted_values" in test:
                values = test["accepted_values"]["values"]
                listed = ", ".join(repr(v) for v in values)
                wrong = demo.query(f"SELECT groupUniqArray(10)(`{column.name}`) FROM {relation} "
                                   f"WHERE `{column.name}` NOT IN ({listed})").result_rows[0][0]
                if wrong:
                    failures.append(f"accepted_values {column.name}: {wrong} not in {values}")
            else:
                failures.append(f"{column.name}: unknown test {test!r}")
    assert not failures, f"{name}: " + "; ".join(failures)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_is_documented(name):
    model = MODELS[name]
    assert str(model.spec.get("description") or "").strip(), f"{name}: no description"
    assert (model.spec.get("meta") or {}).get("grain"), f"{name}: no meta.grain"
    assert any("unique_combination_of_columns" in t for t in model.spec.get("data_tests") or []), f"{name}: no key"
    assert model.columns, f"{name}: no columns"
    for column in model.columns:
        assert column.data_type and column.description, f"{name}.{column.name}: needs data_type and description"
