"""Fixtures of the SQL layer tests: a data folder per test (raw parquet + embedded ClickHouse)."""

from decimal import Decimal

import pytest

from include import sql_runner

CENT = Decimal("0.01")


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FINOPS_DESTINATION", "filesystem")
    monkeypatch.setenv("FINOPS_DATA_DIR", str(tmp_path))
    return tmp_path


def run(provider: str, periods=None, config: dict | None = None) -> dict:
    return sql_runner.run_transformations(provider, periods=periods, config=config if config is not None else {})


def q(sql: str) -> list[tuple]:
    return sql_runner.query(sql)[1]


def one(sql: str):
    rows = q(sql)
    assert len(rows) == 1 and len(rows[0]) == 1, rows
    return rows[0][0]


def cents(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)
