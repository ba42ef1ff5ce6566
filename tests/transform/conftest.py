"""Fixtures of the SQL layer tests: a data folder per test (raw parquet + embedded ClickHouse)."""

from decimal import Decimal

import pytest

from include import transform

CENT = Decimal("0.01")


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FINOPS_DESTINATION", "filesystem")
    monkeypatch.setenv("FINOPS_DATA_DIR", str(tmp_path))
    return tmp_path


def run(provider: str, periods=None, config: dict | None = None) -> dict:
    """What a provider DAG's build leads to: the provider's models, then the cross-provider marts."""
    config = config if config is not None else {}
    built = transform.run_transformations(provider, periods=periods, config=config)
    transform.run_transformations("marts", config=config)
    return built


def q(sql: str) -> list[tuple]:
    return transform.query(sql)[1]


def one(sql: str):
    rows = q(sql)
    assert len(rows) == 1 and len(rows[0]) == 1, rows
    return rows[0][0]


def cents(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)
