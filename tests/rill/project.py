"""The Rill project in rill/, read the way Rill reads it, and its SQL run on DuckDB and ClickHouse (chdb).

Rill's binary cannot run here, so the tests do what it would do with these files:
* environments: a file's `dev:` / `prod:` block is merged over its top level (Rill's environment
  overrides); dev is the local DuckDB mode, prod the ClickHouse mode;
* templates: `{{ .env.<name> }}` is replaced with a project variable (defaults from rill.yaml `env:`);
  any other template syntax fails the test, so nothing goes unchecked;
* models become views (`materialize: false`), named after the model, in the OLAP engine of the
  environment; metrics views query them the way Rill does: dimensions and measures as expressions
  over the model, grouped by the dimensions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
RILL_DIR = ROOT / "rill"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
TEMPLATE = re.compile(r"\{\{\s*(.*?)\s*\}\}")
ENV_REFERENCE = re.compile(r"^\.env\.([A-Za-z_][A-Za-z0-9_.]*)$")
CLICKHOUSE_MODEL_DATABASE = "finops_rill"  # the database of the DSN in rill/connectors/clickhouse.yaml


@dataclass
class RillFile:
    path: Path
    data: dict

    @property
    def name(self) -> str:
        return self.data.get("name") or self.path.stem

    @property
    def type(self) -> str:
        return self.data.get("type", "")

    def resolved(self, environment: str) -> dict:
        """The file as Rill sees it in `environment`: the environment's block merged over the top level."""
        merged = {k: v for k, v in self.data.items() if k not in ("dev", "prod")}
        merged.update(self.data.get(environment) or {})
        return merged


@dataclass
class Project:
    rill_yaml: dict
    files: list[RillFile] = field(default_factory=list)

    def of_type(self, kind: str) -> dict[str, RillFile]:
        return {f.name: f for f in self.files if f.type == kind}

    @property
    def models(self) -> dict[str, RillFile]:
        return self.of_type("model")

    @property
    def metrics_views(self) -> dict[str, RillFile]:
        return self.of_type("metrics_view")

    @property
    def explores(self) -> dict[str, RillFile]:
        return self.of_type("explore")

    @property
    def canvases(self) -> dict[str, RillFile]:
        return self.of_type("canvas")

    @property
    def connectors(self) -> dict[str, RillFile]:
        return self.of_type("connector")

    def olap_connector(self, environment: str) -> str:
        override = (self.rill_yaml.get(environment) or {}).get("olap_connector")
        return override or self.rill_yaml.get("olap_connector") or "duckdb"

    def variables(self, **overrides: str) -> dict[str, str]:
        values = {k: str(v) for k, v in (self.rill_yaml.get("env") or {}).items() if not isinstance(v, dict)}
        values.update(overrides)
        return values


def yaml_files() -> list[Path]:
    # rill/generated/ holds pages generated from the data (`make dashboards`): tested by tests/rill_dashboards
    return sorted(p for p in RILL_DIR.rglob("*.yaml") if not {"tmp", "generated"} & set(p.relative_to(RILL_DIR).parts))


@cache
def load_project() -> Project:
    rill_yaml = yaml.safe_load((RILL_DIR / "rill.yaml").read_text())
    files = [RillFile(path, yaml.safe_load(path.read_text())) for path in yaml_files() if path.name != "rill.yaml"]
    return Project(rill_yaml, files)


def render(text: str, variables: dict[str, str]) -> str:
    """Rill's `{{ .env.<name> }}` templating; anything else is an error."""

    def replace(match: re.Match) -> str:
        reference = ENV_REFERENCE.match(match.group(1))
        if not reference:
            raise ValueError(f"unsupported template {match.group(0)!r}")
        name = reference.group(1)
        if name not in variables:
            raise KeyError(f"project variable {name!r} is not set (rill.yaml env: or --env)")
        return variables[name]

    return TEMPLATE.sub(replace, text)


def model_sql(model: RillFile, environment: str, variables: dict[str, str]) -> tuple[str, str]:
    """(connector, rendered SQL) of a model in an environment."""
    spec = model.resolved(environment)
    return spec["connector"], render(spec["sql"], variables)


def quote(identifier: str) -> str:
    """A quoted identifier, valid in DuckDB and ClickHouse."""
    return '"' + identifier.replace('"', '""') + '"'


def dimension_sql(dimension: dict) -> str:
    return dimension["expression"] if dimension.get("expression") else quote(dimension["column"])


def measure_select(metrics_view: dict) -> str:
    return ", ".join(f"{m['expression']} AS {quote(m['name'])}" for m in metrics_view["measures"])


def is_ratio(measure: dict) -> bool:
    """A ratio is empty (NULL) when its denominator is 0 (e.g. RI utilization without reservations)."""
    return "nullif(" in measure["expression"].lower()


def canvas_components(canvas: dict) -> list[tuple[str, dict]]:
    """(component type, spec) of every inline component of a canvas."""
    components = []
    for row in canvas.get("rows") or []:
        for item in row.get("items") or []:
            for key, value in item.items():
                if key != "width" and isinstance(value, dict):
                    components.append((key, value))
    return components


def schema(name: str) -> dict:
    import json

    return json.loads((SCHEMA_DIR / name).read_text())


def validator(name: str):
    """A draft-07 validator for one of Rill's schemas, both schemas registered under their $id."""
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    registry = Registry()
    for schema_name in ("project.schema.json", "rillyaml.schema.json"):
        contents = schema(schema_name)
        registry = registry.with_resource(contents["$id"], Resource.from_contents(contents, default_specification=DRAFT7))
    return Draft7Validator(schema(name), registry=registry)


def normalize(value: Any) -> Any:
    """A value comparable across engines (DuckDB and ClickHouse return different Python types)."""
    from datetime import date, datetime
    from decimal import Decimal

    if value is None:
        return None
    if isinstance(value, (Decimal, float, int)) and not isinstance(value, bool):
        return round(float(value), 6)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


# ------------------------------------------------------------------------------------- engines
class Engine:
    """Runs the project's SQL on one engine; `table(model)` is how queries name a model's view."""

    name = ""

    def rows(self, sql: str) -> list[tuple]:
        raise NotImplementedError

    def columns(self, model: str) -> dict[str, str]:
        raise NotImplementedError

    def table(self, model: str) -> str:
        raise NotImplementedError


class DuckEngine(Engine):
    name = "duckdb"

    def __init__(self, connection):
        self.connection = connection

    def rows(self, sql: str) -> list[tuple]:
        return self.connection.execute(sql).fetchall()

    def columns(self, model: str) -> dict[str, str]:
        return {name: type_ for name, type_, *_ in self.rows(f"DESCRIBE SELECT * FROM {self.table(model)}")}

    def table(self, model: str) -> str:
        return quote(model)


class ClickHouseEngine(Engine):
    name = "clickhouse"

    def __init__(self, client):
        self.client = client

    def rows(self, sql: str) -> list[tuple]:
        return self.client.query(sql).result_rows

    def columns(self, model: str) -> dict[str, str]:
        return {row[0]: row[1] for row in self.rows(f"DESCRIBE TABLE {self.table(model)}")}

    def table(self, model: str) -> str:
        return f"{CLICKHOUSE_MODEL_DATABASE}.{quote(model)}"


# --------------------------------------------------------------------- Rill's queries, per engine
def spec(name: str) -> dict:
    return load_project().metrics_views[name].resolved("dev")


def measure_totals(engine, view: str, by: str | None = None) -> dict:
    """{dimension value or None: {measure: value}} of a metrics view on an engine."""
    metrics = spec(view)
    table = engine.table(metrics["model"])
    if by is None:
        row = engine.rows(f"SELECT {measure_select(metrics)} FROM {table}")[0]
        return {None: dict(zip([m["name"] for m in metrics["measures"]], row, strict=True))}
    dimension = next(d for d in metrics["dimensions"] if d["name"] == by)
    rows = engine.rows(f"SELECT {dimension_sql(dimension)} AS {quote(by)}, {measure_select(metrics)} "
                       f"FROM {table} GROUP BY 1")
    return {row[0]: dict(zip([m["name"] for m in metrics["measures"]], row[1:], strict=True)) for row in rows}


GRAINS = ["day", "week", "month", "quarter", "year"]


def time_bucket(engine, column: str, grain: str) -> str:
    """Rill's own time-bucket SQL per engine (runtime/drivers/{duckdb,clickhouse}/dialect.go, UTC)."""
    if engine.name == "duckdb":
        return f"date_trunc('{grain.upper()}', {quote(column)}::TIMESTAMP)::TIMESTAMP"
    return f"date_trunc('{grain}', {quote(column)})::DateTime64"


def time_series(engine, view: str, grain: str) -> list[tuple]:
    metrics = spec(view)
    bucket = time_bucket(engine, metrics["timeseries"], grain)
    return engine.rows(f"SELECT {bucket} AS t, {measure_select(metrics)} "
                       f"FROM {engine.table(metrics['model'])} GROUP BY 1 ORDER BY 1")


# ------------------------------------------------------------------------------ model creation
def duckdb_models(connection, data_dir) -> None:
    """Rill's dev mode: every model as a DuckDB view over the parquet export in `data_dir`."""
    project = load_project()
    variables = project.variables(finops_data_dir=str(data_dir))
    for name, model in project.models.items():
        connector, sql = model_sql(model, "dev", variables)
        assert connector == "duckdb", f"{model.path}: the dev variant must run on DuckDB"
        connection.execute(f"CREATE VIEW {quote(name)} AS {sql}")


def clickhouse_models(client) -> None:
    """Rill's prod mode: every model as a ClickHouse view in finops_rill (the database must exist)."""
    project = load_project()
    for name, model in project.models.items():
        connector, sql = model_sql(model, "prod", project.variables())
        assert connector == "clickhouse", f"{model.path}: the prod variant must run on ClickHouse"
        client.command(f"CREATE OR REPLACE VIEW {CLICKHOUSE_MODEL_DATABASE}.{quote(name)} AS {sql}")


@contextmanager
def duck_engine(data_dir) -> Iterator[DuckEngine]:
    """A DuckDB connection with every model of rill/ as a view over the parquet export of `data_dir`."""
    import duckdb

    connection = duckdb.connect()
    try:
        duckdb_models(connection, data_dir)
        yield DuckEngine(connection)
    finally:
        connection.close()


@contextmanager
def clickhouse_engine(data_dir) -> Iterator[ClickHouseEngine]:
    """The embedded ClickHouse of `data_dir` with every model of rill/ as a view in finops_rill."""
    import clickhouse_connect

    client = clickhouse_connect.get_client(dsn=f"chdb://{Path(data_dir) / 'chdb'}")
    try:
        client.command(f"CREATE DATABASE IF NOT EXISTS {CLICKHOUSE_MODEL_DATABASE}")
        clickhouse_models(client)
        yield ClickHouseEngine(client)
    finally:
        client.close()


def marts_read_by_models() -> list[str]:
    """The `finops` tables the prod models read."""
    names = set()
    for model in load_project().models.values():
        names.update(re.findall(r"\bfinops\.(\w+)", model.resolved("prod")["sql"]))
    return sorted(names)
