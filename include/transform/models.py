"""The models of include/sql: one SQL file (a SELECT) and one YAML file per object, like dbt.

Layers: `seeds/` (reference data from CSV and the configuration), `staging/<source>/` (one view per raw
table), `intermediate/[<provider>/]` and `marts/`. A model reads other models with `ref('<name>')` and
raw tables with `source('<dataset>', '<table>')`; the build order comes from those references.
"""

from __future__ import annotations

import graphlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from include.transform.errors import ModelError

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
LAYERS = ("seeds", "staging", "intermediate", "marts")
# What each layer may ref: the layer below (and its own layer, for chains inside it); seeds everywhere.
READS = {
    "seeds": set(),
    "staging": {"seeds"},
    "intermediate": {"seeds", "staging", "intermediate"},
    "marts": {"seeds", "intermediate", "marts"},
}
PROVIDERS = ("aws", "azure", "gcp", "stripe")
MATERIALIZATIONS = ("view", "table")
REF = re.compile(r"""\bref\(\s*['"]([a-z0-9_]+)['"]\s*\)""")


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    description: str
    tests: tuple = ()


@dataclass(frozen=True)
class Model:
    name: str
    layer: str
    group: str | None  # the provider folder (aws, gcp, stripe) in staging/intermediate; None: shared
    path: Path
    materialized: str
    partition_by: str | None
    order_by: tuple[str, ...]
    columns: tuple[Column, ...]
    # a month's rows depend on whether later months have data (cost_forecast: "the month is over")
    depends_on_later_months: bool = False
    refs: frozenset[str] = field(default_factory=frozenset)
    spec: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def relation(self) -> str:
        return f"finops.{self.name}"

    @property
    def relative_path(self) -> str:
        return self.path.relative_to(SQL_DIR).as_posix()


def _model(path: Path) -> Model:
    import yaml

    name = path.stem
    relative = path.relative_to(SQL_DIR)
    layer = relative.parts[0]
    group = relative.parts[1] if len(relative.parts) > 2 else None
    spec_path = path.with_suffix(".yml")
    where = f"include/sql/{relative.as_posix()}"
    if not spec_path.exists():
        raise ModelError(f"{where}: no YAML beside it ({spec_path.name}): every model is documented")
    try:
        # libyaml's loader when PyYAML has it: the pure-Python one took 4 s of every build for 70 files
        document = yaml.load(spec_path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except yaml.YAMLError as exc:
        raise ModelError(f"include/sql/{spec_path.relative_to(SQL_DIR).as_posix()}: invalid YAML: {exc}") from exc
    specs = [m for m in document.get("models") or [] if m.get("name") == name]
    if len(specs) != 1:
        raise ModelError(f"{spec_path}: needs exactly one entry `models: - name: {name}`")
    spec = specs[0]
    config = spec.get("config") or {}
    materialized = config.get("materialized", "view")
    if materialized not in MATERIALIZATIONS:
        raise ModelError(f"{spec_path}: materialized {materialized!r} is not one of {MATERIALIZATIONS}")
    columns = tuple(
        Column(c["name"], str(c.get("data_type") or ""), str(c.get("description") or ""), tuple(c.get("data_tests") or ()))
        for c in spec.get("columns") or ()
    )
    if materialized == "table" and (not columns or any(not c.data_type for c in columns) or not config.get("order_by")):
        raise ModelError(f"{spec_path}: a table needs config.order_by and every column's data_type (its DDL)")
    return Model(
        name=name, layer=layer, group=group, path=path, materialized=materialized,
        partition_by=config.get("partition_by"), order_by=tuple(config.get("order_by") or ()), columns=columns,
        depends_on_later_months=bool(config.get("depends_on_later_months", False)),
        refs=frozenset(REF.findall(path.read_text())) - {name}, spec=spec,
    )


def load_models(sql_dir: Path | None = None) -> dict[str, Model]:
    """Every model of include/sql, checked: unique names, known refs, each ref to an allowed layer."""
    root = sql_dir or SQL_DIR
    models: dict[str, Model] = {}
    for layer in LAYERS:
        for path in sorted((root / layer).rglob("*.sql")):
            model = _model(path)
            if model.name in models:
                raise ModelError(f"two models named {model.name}: {models[model.name].path} and {path}")
            models[model.name] = model
    for model in models.values():
        for ref in sorted(model.refs):
            if ref not in models:
                raise ModelError(f"include/sql/{model.relative_path}: ref('{ref}') names no model")
            if models[ref].layer not in READS[model.layer]:
                raise ModelError(f"include/sql/{model.relative_path}: a {model.layer} model may not read "
                                 f"{ref} ({models[ref].layer})")
    return models


def select_models(models: dict[str, Model], target: str) -> list[Model]:
    """The models a target builds, in build order (every model after the models it refs).

    A provider target: the seeds and that provider's staging and intermediate models. `marts`: the seeds,
    the shared (cross-provider) intermediate models and the marts."""
    if target in PROVIDERS:
        chosen = [m for m in models.values()
                  if m.layer == "seeds" or (m.layer in ("staging", "intermediate") and m.group == target)]
    elif target == "marts":
        chosen = [m for m in models.values()
                  if m.layer in ("seeds", "marts") or (m.layer == "intermediate" and m.group is None)]
    else:
        raise ValueError(f"target must be one of {(*PROVIDERS, 'marts')}, got {target!r}")
    names = {m.name for m in chosen}
    sorter = graphlib.TopologicalSorter({m.name: sorted(m.refs & names) for m in sorted(chosen, key=lambda m: m.name)})
    return [models[name] for name in sorter.static_order()]


def upstream_tables(models: dict[str, Model], chosen: list[Model]) -> list[Model]:
    """Models read by `chosen` but built by another target. They must be tables (created empty when
    their provider never loaded); a view there is a ModelError."""
    names = {m.name for m in chosen}
    upstream = sorted({ref for m in chosen for ref in m.refs} - names)
    views = [name for name in upstream if models[name].materialized != "table"]
    if views:
        raise ModelError(f"models of this target read views built by another target: {views}")
    return [models[name] for name in upstream]
