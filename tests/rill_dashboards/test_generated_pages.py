"""The pages generated from the demo's marts: valid Rill files, every query runs on both engines with
the same numbers, the numbers equal the SQL layer's to the cent, and regenerating changes nothing."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from include.rill_dashboards import generate
from include.rill_dashboards.chart_rules import ChartRules
from include.rill_dashboards.render import MARKER
from tests.helpers.chdb import chdb_client
from tests.rill import project as rill

CENT = Decimal("0.01")
FILTER = re.compile(r"^(\w+) (NOT IN|IN) \((.*)\)$")
RILL_STRING = re.compile(r"'((?:[^'\\]|\\.)*)'")
PROVIDER_NAMES = {"aws": "aws", "gcp": "gcp"}


def cents(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def files(generated) -> dict[str, dict]:
    return {p.name: yaml.safe_load(p.read_text()) for p in sorted(Path(generated["dir"]).glob("*.yaml"))}


def of_type(generated, kind: str) -> dict[str, dict]:
    return {name.removesuffix(".yaml"): spec for name, spec in files(generated).items() if spec["type"] == kind}


def filter_sql(text: str) -> str:
    """Rill's `dim [NOT] IN ('a', 'b')` as SQL both engines run ('' quoting)."""
    match = FILTER.match(text)
    assert match, f"unexpected dimension filter {text!r}"
    values = [re.sub(r"\\(.)", r"\1", v) for v in RILL_STRING.findall(match.group(3))]
    assert ", ".join("'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'" for v in values) == match.group(3)
    listed = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{rill.quote(match.group(1))} {match.group(2)} ({listed})"


def component_query(component: str, spec: dict, views: dict[str, dict]) -> tuple[str, list[str], list[str], str]:
    """(model, dimension columns, measure names, WHERE) of a canvas component, as Rill would query it."""
    view = views[spec["metrics_view"]]
    dimensions = {d["name"]: d["column"] for d in view["dimensions"]}
    if component == "kpi_grid":
        dims, measures = [], spec["measures"]
    elif component == "donut_chart":
        dims, measures = [spec["color"]["field"]], [spec["measure"]["field"]]
    elif component == "bar_chart":
        dims, measures = [spec["x"]["field"]], [spec["y"]["field"]]
    elif component == "leaderboard":
        dims, measures = spec["dimensions"], spec["measures"]
    elif component in ("line_chart", "stacked_bar"):
        dims = [spec["color"]["field"]] if isinstance(spec.get("color"), dict) else []
        measures = [spec["y"]["field"]]
    else:
        raise AssertionError(f"no query for component {component}")
    where = filter_sql(spec["dimension_filters"]) if spec.get("dimension_filters") else "1 = 1"
    return view["model"], [dimensions[d] for d in dims], measures, where


def run(engine, views, model, dims, measures, where, view_name, grain: str | None = None) -> dict:
    """The component's query; a temporal chart's x axis is Rill's time bucket SQL of the engine at `grain`."""
    expressions = {m["name"]: m["expression"] for m in views[view_name]["measures"]}
    select = [rill.quote(d) for d in dims] + [f"{expressions[m]} AS {rill.quote(m)}" for m in measures]
    if grain:
        dims = [None, *dims]
        select.insert(0, rill.time_bucket(engine, views[view_name]["timeseries"], grain))
    group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(dims)))}" if dims else ""
    rows = engine.rows(f"SELECT {', '.join(select)} FROM {engine.table(model)} WHERE {where}{group}")
    return {tuple(row[:len(dims)]): dict(zip(measures, row[len(dims):], strict=True)) for row in rows}


def components(canvas: dict):
    for kind, spec in rill.canvas_components(canvas):
        if kind != "markdown":
            yield kind, spec


# ------------------------------------------------------------------------------ structure
def test_the_demo_gets_a_page_per_provider_and_per_tag_key_worth_one(generated):
    names = sorted(files(generated))
    assert names == sorted([
        "generated_aws_costs.yaml", "generated_aws_costs_explore.yaml", "generated_aws_overview.yaml",
        "generated_aws_tag_team.yaml", "generated_aws_tag_environment.yaml",
        "generated_aws_tag_customer.yaml",  # the demo's cost-per-customer tag (runners/demo_allocation.py)
        "generated_gcp_costs.yaml", "generated_gcp_costs_explore.yaml", "generated_gcp_overview.yaml",
        "generated_gcp_tag_team.yaml", "generated_gcp_tag_env.yaml", "generated_gcp_tag_app.yaml",
    ])
    for path in Path(generated["dir"]).glob("*.yaml"):
        assert path.read_text().startswith(MARKER), f"{path.name} is not marked as generated"


def test_every_generated_file_validates_against_rills_schema(generated):
    validator = rill.validator("project.schema.json")
    for name, spec in files(generated).items():
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(spec)]
        assert errors == [], name


def test_references_hold(generated):
    views = of_type(generated, "metrics_view")
    models = rill.load_project().models
    for name, view in views.items():
        assert view["model"] in models, f"{name}: no model {view['model']}"
        assert "dev" not in view and "prod" not in view
    for name, explore in of_type(generated, "explore").items():
        view = views[explore["metrics_view"]]
        assert set(explore["defaults"]["measures"]) <= {m["name"] for m in view["measures"]}, name
        assert set(explore["defaults"]["dimensions"]) <= {d["name"] for d in view["dimensions"]}, name
    canvases = of_type(generated, "canvas")
    assert canvases
    for name, canvas in canvases.items():
        for kind, spec in components(canvas):
            view = views[spec["metrics_view"]]
            _, dims, measures, _ = component_query(kind, spec, views)
            assert set(measures) <= {m["name"] for m in view["measures"]}, (name, kind)
            assert set(dims) <= {d["column"] for d in view["dimensions"]}, (name, kind)
            if isinstance(spec.get("x"), dict) and spec["x"]["type"] == "temporal":
                assert spec["x"]["field"] == view["timeseries"]


@pytest.mark.parametrize("engine_name", ["duck", "clickhouse"])
def test_metrics_view_columns_exist_and_no_measure_shadows_a_column(generated, request, engine_name):
    engine = request.getfixturevalue(engine_name)
    for name, view in of_type(generated, "metrics_view").items():
        columns = engine.columns(view["model"])
        assert columns[view["timeseries"]].startswith(("DATE", "Date")), name
        for dimension in view["dimensions"]:
            assert dimension["column"] in columns, f"{name}: no column {dimension['column']}"
        assert not {m["name"].lower() for m in view["measures"]} & {c.lower() for c in columns}, name


# ---------------------------------------------------------------------------- the numbers
def test_every_component_query_gives_the_same_numbers_on_both_engines(generated, duck, clickhouse):
    views = of_type(generated, "metrics_view")
    checked = 0
    for name, canvas in of_type(generated, "canvas").items():
        for kind, spec in components(canvas):
            query = component_query(kind, spec, views)
            temporal = isinstance(spec.get("x"), dict) and spec["x"]["type"] == "temporal"
            grain = "month" if temporal else None
            on_duck = run(duck, views, *query, spec["metrics_view"], grain)
            on_clickhouse = run(clickhouse, views, *query, spec["metrics_view"], grain)
            normalize = rill.normalize
            assert {tuple(map(normalize, k)): {m: normalize(v) for m, v in vals.items()} for k, vals in on_duck.items()} \
                == {tuple(map(normalize, k)): {m: normalize(v) for m, v in vals.items()}
                    for k, vals in on_clickhouse.items()}, (name, kind, spec.get("title"))
            assert on_duck, (name, kind, "no rows")
            checked += 1
    assert checked > 30


@pytest.mark.parametrize("engine_name", ["duck", "clickhouse"])
def test_kpis_chart_and_unset_rows_add_up_to_the_sql_layers_total_to_the_cent(generated, request, engine_name, clickhouse):
    """Per charted dimension: peeled KPIs + the chart's rest + rows without the dimension = the provider's
    billed cost in finops.fct_cost_daily, and each value equals the SQL layer (fct_cost_daily_by_tag for tags)."""
    engine = request.getfixturevalue(engine_name)
    views = of_type(generated, "metrics_view")
    canvases = of_type(generated, "canvas")
    total = {p: cents(v) for p, v in clickhouse.rows("SELECT provider, sum(billed_cost) FROM finops.fct_cost_daily GROUP BY 1")}
    by_tag = {}
    for provider, key, value, billed in clickhouse.rows(
            "SELECT provider, tag_key, tag_value, sum(billed_cost) FROM finops.fct_cost_daily_by_tag GROUP BY 1, 2, 3"):
        by_tag.setdefault((provider, key), {})[value] = cents(billed)
    for provider, choices in generated["result"].choices.items():
        canvas = canvases[f"generated_{provider}_overview"]
        view_name = f"generated_{provider}_costs"
        shown = {}
        for kind, spec in components(canvas):
            model, dims, measures, where = component_query(kind, spec, views)
            if kind == "kpi_grid" and spec.get("dimension_filters"):
                column = FILTER.match(spec["dimension_filters"]).group(1)
                value = run(engine, views, model, [], ["total_billed_cost"], where, view_name)[()]["total_billed_cost"]
                shown.setdefault(column, {})[RILL_STRING.findall(spec["dimension_filters"])[0]] = value
            elif kind in ("donut_chart", "bar_chart", "leaderboard"):
                for (value,), measures_ in run(engine, views, model, dims, ["total_billed_cost"], where, view_name).items():
                    shown.setdefault(dims[0], {})[value] = measures_["total_billed_cost"]
        kept = [column for column, choice in choices.items() if choice.kept]
        assert set(shown) == set(kept)
        for column in kept:
            unset = run(engine, views, views[view_name]["model"], [], ["total_billed_cost"],
                        f"{rill.quote(column)} = ''", view_name)[()]["total_billed_cost"]
            assert cents(sum(shown[column].values()) + (unset or 0)) == total[provider], (provider, column)
            assert len(shown[column]) == choices[column].distinct_values
            if column.startswith("tag_"):
                expected = by_tag[(provider, column.removeprefix("tag_"))]
                assert {v: c for v, c in expected.items() if v} == {v: cents(c) for v, c in shown[column].items()}, (
                    provider, column)


def test_the_demo_pages_follow_the_rules(generated, marts):
    """Independent of the generator: the chart of each charted dimension from the SQL layer's numbers."""
    canvases = of_type(generated, "canvas")
    aws_team = [spec for kind, spec in components(canvases["generated_aws_tag_team"]) if kind == "donut_chart"]
    assert len(aws_team) == 1 and aws_team[0]["color"]["limit"] == 6  # six teams, none dominant
    choices = generated["result"].choices
    assert choices["gcp"]["tag_app"].kept and choices["gcp"]["region"].kept


# -------------------------------------------------------------------- determinism and reruns
def test_regenerating_with_unchanged_data_changes_no_file(generated, marts):
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in Path(generated["dir"]).glob("*.yaml")}
    client = chdb_client(marts["data_dir"])
    try:
        again = generate(client, generated["dir"], sql_config={})
    finally:
        client.close()
    assert again.written == [] and again.removed == [] and sorted(again.unchanged) == sorted(before)
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in Path(generated["dir"]).glob("*.yaml")} == before


def test_pages_no_longer_earned_are_deleted_and_other_files_kept(marts, tmp_path):
    """At the threshold: GCP label `app` is set on a share s of the spend; min_spend_share = s keeps its
    page, anything above removes it. Files without the generated marker are never touched."""
    client = chdb_client(marts["data_dir"])
    try:
        (tmp_path / "generated_mine.yaml").write_text("type: canvas\nrows: []\n")
        first = generate(client, tmp_path, sql_config={})
        share = first.choices["gcp"]["tag_app"].spend_share
        at = generate(client, tmp_path, ChartRules(min_spend_share=share), sql_config={})
        assert "generated_gcp_tag_app.yaml" in at.written  # rewritten: the page states the rules
        assert "generated_aws_tag_team.yaml" in at.removed or first.choices["aws"]["tag_team"].spend_share >= share
        above = generate(client, tmp_path, ChartRules(min_spend_share=share + Decimal("1e-9")), sql_config={})
        assert "generated_gcp_tag_app.yaml" in above.removed
        assert not (tmp_path / "generated_gcp_tag_app.yaml").exists()
        assert (tmp_path / "generated_mine.yaml").exists()
    finally:
        client.close()
