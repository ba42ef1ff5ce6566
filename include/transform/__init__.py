"""The transformations: the models of include/sql (dbt-style layers) built on ClickHouse.

One module per job: literals, config, raw_views, models, templates, materialize, table_engine (engine and
ON CLUSTER of the DDL), statements, build_state, change_plan (what a build may skip), client, run
(orchestration) and export (parquet marts for Rill).
"""

from include.transform.errors import MissingRawDataError, ModelError, SqlConfigError, SqlFileError
from include.transform.run import TARGETS, query, run_transformations

__all__ = ["TARGETS", "MissingRawDataError", "ModelError", "SqlConfigError", "SqlFileError", "query",
           "run_transformations"]
