"""Helpers of the SQL layer tests: build a provider's models and the marts, query the embedded engine."""

from decimal import Decimal

from include import transform

CENT = Decimal("0.01")


def run(provider: str, periods=None, config: dict | None = None, export: bool = False) -> dict:
    """What a provider DAG's build leads to: the provider's models, then the cross-provider marts (without their
    parquet export for local dashboards unless `export`: only tests/rill reads those files)."""
    config = config if config is not None else {}
    built = transform.run_transformations(provider, periods=periods, config=config)
    transform.run_transformations("marts", config=config, export=export)
    return built


def q(sql: str) -> list[tuple]:
    return transform.query(sql)[1]


def one(sql: str):
    rows = q(sql)
    assert len(rows) == 1 and len(rows[0]) == 1, rows
    return rows[0][0]


def cents(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def forecast_as_of(provider: str) -> list[tuple]:
    """(month, as_of_date, elapsed_days) of a provider's cost_forecast: how far each month has run."""
    return q(f"SELECT DISTINCT month, as_of_date, elapsed_days FROM finops.cost_forecast "
             f"WHERE provider = '{provider}' ORDER BY month")


def coverage_by_scope(provider: str) -> dict[str, tuple[Decimal, Decimal]]:
    """'month service region instance_family' -> (covered, eligible on-demand cost) to the cent, for a provider."""
    rows = q("SELECT concat(month, ' ', service, ' ', region, ' ', instance_family), sum(covered_on_demand_cost), "
             f"sum(eligible_on_demand_cost) FROM finops.commitment_coverage_monthly WHERE provider = '{provider}' "
             "GROUP BY 1")
    return {scope: (cents(covered), cents(eligible)) for scope, covered, eligible in rows}


def utilization_by_commitment(provider: str) -> dict[str, tuple]:
    """'month commitment_id commitment_type' -> (purchased, used, unused, fees, covered on-demand cost, realized
    savings) to the cent (None where the provider's export lacks the figure), utilization to 6 places, billing account
    and region, for a provider's commitment_utilization_monthly."""
    rows = q("SELECT concat(month, ' ', commitment_id, ' ', commitment_type), commitment_cost, used_commitment, "
             "unused_cost, fee_cost, covered_on_demand_cost, realized_savings, round(utilization, 6), "
             "billing_account_id, region FROM finops.commitment_utilization_monthly "
             f"WHERE provider = '{provider}'")
    return {key: (*(None if v is None else cents(v) for v in money), utilization, account, region)
            for key, *money, utilization, account, region in rows}
