"""Rill dashboards generated from the data: a page per provider and one per tag/label key worth a page.

`generate(client, out_dir)` reads the configured tag keys (Variable `finops_sql_config`) and the marts
(on ClickHouse: chdb locally, the server in production), picks each page's charts with the rules of
chart_rules.py, and writes the pages (pages.py for the data, render.py for the YAML) into `out_dir`
(rill/generated/ by default, part of the Rill project). Only files that change are rewritten;
generated files of pages no longer earned are deleted; hand-written files are never touched.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from include import settings
from include.rill_dashboards.chart_rules import ChartRules, DimensionChoice, choose
from include.rill_dashboards.pages import PROVIDERS, describe, load_spend
from include.rill_dashboards.render import MARKER, PREFIX, provider_files

log = logging.getLogger(__name__)

RILL_DIR = settings.PROJECT_ROOT / "rill"
GENERATED_DIR = RILL_DIR / "generated"
CONFIG_VARIABLE = settings.DASHBOARDS_CONFIG_VARIABLE


@dataclass
class GenerateResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    choices: dict[str, dict[str, DimensionChoice]] = field(default_factory=dict)  # provider -> column -> choice


def dashboards_config(overrides: dict | None = None) -> dict:
    """Variable `finops_dashboards_config` (JSON: `chart_rules`, `output_dir`), or `overrides` (tests)."""
    return dict(overrides) if overrides is not None else settings.variable_json(CONFIG_VARIABLE, {})


def tag_names(sql_config: dict | None = None) -> dict[str, dict[str, str]]:
    """{provider: {column suffix: configured key}} from `finops_sql_config` (for the pages' titles)."""
    from include.transform.config import sql_config as load_sql_config

    tags = load_sql_config(sql_config)["tags"]
    return {provider: dict(pairs) for provider, pairs in tags.items()}


def is_generated(path: Path) -> bool:
    try:
        with path.open() as handle:
            return handle.readline().startswith(MARKER)
    except OSError:
        return False


def write_files(files: dict[str, str], out_dir: Path, result: GenerateResult) -> None:
    """Write what changed (atomically), delete generated files that are no longer produced."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in sorted(files.items()):
        path = out_dir / name
        if path.exists() and path.read_text() == text:
            result.unchanged.append(name)
            continue
        temporary = path.with_name(f".{name}.{os.getpid()}.tmp")
        temporary.write_text(text)
        os.replace(temporary, path)
        result.written.append(name)
    for path in sorted(out_dir.glob(f"{PREFIX}*.yaml")):
        if path.name not in files and is_generated(path):
            path.unlink()
            result.removed.append(path.name)


def generate(client, out_dir: Path = GENERATED_DIR, rules: ChartRules | None = None, rill_dir: Path = RILL_DIR,
             sql_config: dict | None = None) -> GenerateResult:
    """Generate every page from the marts `client` reads; see the module docstring."""
    rules = rules or ChartRules()
    names = tag_names(sql_config)
    result = GenerateResult()
    files: dict[str, str] = {}
    for source in PROVIDERS:
        data = describe(client, source, rill_dir, names.get(source.provider, {}))
        if data is None:
            log.info("no %s mart: no %s pages", source.mart, source.provider)
            continue
        load_spend(client, data)
        choices = {column: choose(column, data.spend[column], rules) for column, _, _ in data.dimensions}
        for column, choice in choices.items():
            log.info("%s %s: %s%s", source.provider, column, "chart" if choice.kept else "left out", f" ({choice.reason})")
        result.choices[source.provider] = choices
        files.update(provider_files(data, choices, rules))
    write_files(files, Path(out_dir), result)
    log.info("generated dashboards in %s: %d written, %d unchanged, %d removed", out_dir, len(result.written),
             len(result.unchanged), len(result.removed))
    return result


def run(destination: str | None = None, out_dir: Path | None = None, config: dict | None = None,
        sql_config: dict | None = None) -> dict:
    """The command and the DAG task: generate on the active destination with the Variables' settings."""
    from include.clickhouse import clickhouse_client

    cfg = dashboards_config(config)
    rules = ChartRules.from_config(cfg.get("chart_rules"))
    target = Path(out_dir or cfg.get("output_dir") or GENERATED_DIR)
    client = clickhouse_client(destination)
    try:
        result = generate(client, target, rules, sql_config=sql_config)
    finally:
        client.close()
    return {"written": result.written, "unchanged": result.unchanged, "removed": result.removed,
            "pages": sorted(result.written + result.unchanged)}
