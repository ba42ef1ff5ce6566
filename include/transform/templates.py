"""The Jinja environment models are rendered with: ref/source, the helpers and macros.jinja.

StrictUndefined: a missing variable fails the run, naming the file.
"""

from __future__ import annotations

from include import settings
from include.transform import models as model_files
from include.transform.errors import SqlFileError
from include.transform.literals import identifier, quote_string, sql_literal
from include.transform.models import Model

MACROS = ("money", "gcp_credit_amount", "mul_money", "div_money", "mul_div", "focus_unit", "tag_map", "gcp_resource_manager_tags",
          "gcp_tag_value", "gcp_tags", "tag_key_norm", "aws_tag_value",
          "aws_charge_category", "gcp_charge_category", "aws_charge_frequency", "gcp_charge_frequency", "aws_billed_cost",
          "completed_loads", "stripe_current", "monthly", "cost_match",
          "load_time", "newest_period_load", "stripe_coupon_id", "stripe_coupon_percent_off",
          "currency_option", "azure_covered_on_demand", "fx_rate", "fx_convert")


class MissingSourceError(LookupError):
    """A model reads a raw table that no load has written yet (the model is skipped)."""


_compiled_templates = None


def _bytecode_cache():
    """One in-memory cache of compiled templates per process: every build makes a new environment (its
    globals are the build's context) and would otherwise compile every template again (a few seconds per build).
    Jinja checks each entry against the template's source, so an edited file is compiled again."""
    global _compiled_templates
    if _compiled_templates is None:
        import jinja2

        class MemoryBytecodeCache(jinja2.BytecodeCache):
            def __init__(self):
                self.entries: dict[str, bytes] = {}

            def load_bytecode(self, bucket):
                if bucket.key in self.entries:
                    bucket.bytecode_from_string(self.entries[bucket.key])

            def dump_bytecode(self, bucket):
                self.entries[bucket.key] = bucket.bytecode_to_string()

        _compiled_templates = MemoryBytecodeCache()
    return _compiled_templates


def template_environment(context: dict, models: dict[str, Model]):
    """A Jinja2 environment over include/sql. `context`: config, periods, raw_columns, replace_empty_setting."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(model_files.SQL_DIR)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        bytecode_cache=_bytecode_cache(),
    )
    columns = context["raw_columns"]

    def has_column(view: str, column: str) -> bool:
        return column in columns.get(view, {})

    def column_or(view: str, column: str, default: str) -> str:
        """The raw column when the view has it, else `default` (SQL text): optional CUR/export columns."""
        return f"`{column}`" if has_column(view, column) else default

    def in_periods(expression: str) -> str:
        periods = context["periods"]
        if periods is None:
            return "1 = 1"
        return f"{expression} IN ({', '.join(quote_string(p) for p in periods)})" if periods else "1 = 0"

    def ref(name: str) -> str:
        if name not in models:
            raise KeyError(f"ref('{name}') names no model")
        return models[name].relation

    def source(dataset: str, table: str) -> str:
        view = f"{identifier(dataset)}__{identifier(table)}"
        if view not in columns:
            raise MissingSourceError(f"{settings.RAW_DATABASE}.{view}")
        return f"{settings.RAW_DATABASE}.{view}"

    env.globals.update(lit=sql_literal, ident=identifier, has_column=has_column, column_or=column_or,
                       in_periods=in_periods, ref=ref, source=source, **context)
    macros = env.get_template("macros.jinja").module
    env.globals.update({name: getattr(macros, name) for name in MACROS})
    return env


def render(env, model: Model) -> str:
    """The model's SELECT; MissingSourceError when it reads a raw table not loaded yet."""
    try:
        return env.get_template(model.relative_path).render().strip().rstrip(";").strip()
    except MissingSourceError:
        raise
    except Exception as exc:  # template errors name the file like SQL errors do
        raise SqlFileError(f"include/sql/{model.relative_path}: template error: {type(exc).__name__}: {exc}") from exc
