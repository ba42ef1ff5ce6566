"""Every file of rill/ is valid for Rill and hangs together (no data needed).

Validation uses Rill's own JSON schemas (tests/rill/schemas, see SOURCE.md); the cross-references
(model -> metrics view -> explore / canvas) are checked the way Rill resolves them.
"""

from __future__ import annotations

import re

import pytest
import yaml

from include.transform.export import MONTHLY_TABLES
from tests.rill import project as rill

PROJECT = rill.load_project()
# ISO 8601 durations and Rill's extensions (docs.rilldata.com/reference/rill-iso-extensions).
TIME_RANGE = re.compile(r"^(P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?|inf|rill-(TD|PDC|WTD|MTD|QTD|YTD|PWC|PMC|PQC|PYC))$")
COMPARISON_OFFSET = re.compile(r"^(P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?|rill-(PP|PD|PW|PM|PQ|PY))$")


def schema_errors(name: str, data) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in rill.validator(name).iter_errors(data)]


def test_the_project_has_every_dashboard_of_the_issue():
    assert set(PROJECT.metrics_views) == {
        "aws_costs", "gcp_costs", "focus_costs", "unit_economics", "stripe_revenue", "stripe_mrr", "cost_anomalies",
        "cost_forecast", "reconciliation", "commitments", "commitment_coverage", "showback", "tag_coverage", "budgets",
        "container_costs", "customer_margin",
    }
    assert {e.resolved("dev")["metrics_view"] for e in PROJECT.explores.values()} == set(PROJECT.metrics_views)
    assert len(PROJECT.canvases) >= 2


def test_rill_yaml_validates():
    assert schema_errors("rillyaml.schema.json", PROJECT.rill_yaml) == []


def test_models_are_refreshed_so_dashboards_follow_the_dags():
    """The marts change outside Rill; refreshing the (view) models renews Rill's query cache."""
    refresh = PROJECT.rill_yaml["models"]["refresh"]
    assert refresh["cron"] and refresh["run_in_dev"] is True
    assert not any("refresh" in m.data for m in PROJECT.models.values()), "one schedule, in rill.yaml"


@pytest.mark.parametrize("path", [p for p in rill.yaml_files() if p.name != "rill.yaml"],
                         ids=lambda p: str(p.relative_to(rill.RILL_DIR)))
def test_every_file_validates_against_rills_schema(path):
    data = yaml.safe_load(path.read_text())
    assert schema_errors("project.schema.json", data) == []


@pytest.mark.parametrize("broken", [
    {"type": "metrics_view", "model": "m", "measures": []},  # at least one measure
    {"type": "model", "connector": "no_such_driver", "sql": "select 1"},
    {"type": "explore", "metrics_view": "m", "defaults": {"time_range": "P3M", "comparison": "time"}},
    {"type": "canvas", "rows": [{"height": "40px", "columns": []}]},  # unknown row property
])
def test_the_schemas_reject_broken_files(broken):
    assert schema_errors("project.schema.json", broken), "the validator accepted a broken file"


def test_one_setting_switches_the_engine():
    """dev (rill start) is DuckDB, prod (Rill Cloud, --environment prod) ClickHouse."""
    assert PROJECT.olap_connector("dev") == "duckdb"
    assert PROJECT.olap_connector("prod") == "clickhouse"
    assert {c.resolved("dev")["driver"] for c in PROJECT.connectors.values()} == {"duckdb", "clickhouse"}
    clickhouse = next(c for c in PROJECT.connectors.values() if c.resolved("prod")["driver"] == "clickhouse")
    assert clickhouse.resolved("prod")["dsn"] == "{{ .env.connector.clickhouse.dsn }}", "credentials stay out of git"
    assert clickhouse.resolved("prod")["mode"] == "readwrite", "Rill creates the model views in ClickHouse"


@pytest.mark.parametrize("name", sorted(PROJECT.models))
def test_every_model_is_a_passthrough_per_engine(name):
    """dev reads the mart's parquet export with DuckDB, prod the same mart in ClickHouse; nothing else differs."""
    model = PROJECT.models[name]
    dev_connector, dev_sql = model.resolved("dev")["connector"], model.resolved("dev")["sql"]
    prod_connector, prod_sql = model.resolved("prod")["connector"], model.resolved("prod")["sql"]
    assert (dev_connector, prod_connector) == ("duckdb", "clickhouse")
    assert model.resolved("dev").get("materialize") is False and model.resolved("prod").get("materialize") is False
    source = re.search(r"read_parquet\('\{\{ \.env\.finops_data_dir \}\}/marts/(\w+)(\.parquet|/\*\.parquet)'\)", dev_sql)
    assert source, dev_sql
    assert source.group(1) == name, "a Rill model is named after the mart it reads (one name per dataset)"
    # a line-item table is exported one file per month (include/transform/export.py), the others as one file
    assert (source.group(2) == "/*.parquet") == (name in MONTHLY_TABLES), dev_sql
    assert dev_sql.replace(source.group(0), f"finops.{source.group(1)}") == prod_sql


@pytest.mark.parametrize("name", sorted(PROJECT.metrics_views))
def test_metrics_views_have_one_definition_for_both_engines(name):
    view = PROJECT.metrics_views[name]
    assert "dev" not in view.data and "prod" not in view.data and "connector" not in view.data, (
        "a metrics view must not differ per environment: the engine difference lives in models/"
    )
    spec = view.resolved("dev")
    assert spec["model"] in PROJECT.models, f"model {spec['model']!r} is not a model of rill/models"
    assert spec.get("timeseries") and spec.get("smallest_time_grain") in ("day", "month")
    names = [d["name"] for d in spec["dimensions"]] + [m["name"] for m in spec["measures"]]
    assert len(names) == len({n.lower() for n in names}), "duplicate dimension or measure name"
    for dimension in spec["dimensions"]:
        assert bool(dimension.get("column")) != bool(dimension.get("expression")), dimension


@pytest.mark.parametrize("name", sorted(PROJECT.explores))
def test_explores_compare_periods_and_name_existing_fields(name):
    explore = PROJECT.explores[name].resolved("dev")
    view = PROJECT.metrics_views[explore["metrics_view"]].resolved("dev")
    defaults = explore["defaults"]
    assert defaults["comparison_mode"] == "time"
    assert TIME_RANGE.match(defaults["time_range"])
    ranges = explore["time_ranges"]
    for entry in ranges:
        value = entry if isinstance(entry, str) else entry["range"]
        assert TIME_RANGE.match(value), value
        for offset in [] if isinstance(entry, str) else entry.get("comparison_offsets", []):
            assert COMPARISON_OFFSET.match(offset), offset
    assert defaults["time_range"] in [e if isinstance(e, str) else e["range"] for e in ranges]
    assert set(defaults["measures"]) <= {m["name"] for m in view["measures"]}
    assert set(defaults["dimensions"]) <= {d["name"] for d in view["dimensions"]}


@pytest.mark.parametrize("name", sorted(PROJECT.canvases))
def test_canvas_components_name_existing_metrics_views_and_fields(name):
    canvas = PROJECT.canvases[name].resolved("dev")
    assert canvas["defaults"]["comparison_mode"] == "time"
    components = rill.canvas_components(canvas)
    assert components
    for kind, spec in components:
        if kind == "markdown":
            continue
        view = PROJECT.metrics_views[spec["metrics_view"]].resolved("dev")
        measures = {m["name"] for m in view["measures"]}
        dimensions = {d["name"] for d in view["dimensions"]} | {view["timeseries"]}
        for measure in spec.get("measures", []):
            assert measure in measures, f"{kind}: {measure}"
        for dimension in spec.get("dimensions", []) + spec.get("row_dimensions", []):
            assert dimension in dimensions, f"{kind}: {dimension}"
        for axis in ("x", "y", "y1", "y2", "color"):
            value = spec.get(axis)
            if isinstance(value, dict) and value.get("type") != "value":
                assert value["field"] in measures | dimensions, f"{kind}.{axis}: {value['field']}"
