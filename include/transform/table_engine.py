"""Where the runner's tables live: their MergeTree engine and the cluster its DDL runs on.

One server or chdb (the default): `ENGINE = MergeTree`, no `ON CLUSTER`. A cluster (README, "Past one
machine") sets, in the Airflow Variable `finops_sql_config`:

* `table_engine`: `ReplicatedMergeTree` (a self-managed cluster; no arguments: the server's
  `default_replica_path` / `default_replica_name`, `/clickhouse/tables/{uuid}/{shard}` and `{replica}`,
  so `CREATE TABLE <t>__stage AS <t>` gets a replication path of its own) or `SharedMergeTree`
  (ClickHouse Cloud, where plain MergeTree is turned into it anyway);
* `on_cluster`: the cluster's name (or a macro such as `{cluster}`): every DDL statement of the runner
  (CREATE / ALTER / DROP / EXCHANGE TABLES / CREATE VIEW / CREATE DATABASE) gets `ON CLUSTER '<name>'`,
  for databases of the Atomic engine. Leave it empty in a `Replicated` database, which replicates DDL
  itself (and refuses ON CLUSTER).

Inserts never take ON CLUSTER: they go to one replica, and ReplicatedMergeTree copies the parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from include.transform.errors import SqlConfigError
from include.transform.literals import quote_string

ENGINES = ("MergeTree", "ReplicatedMergeTree", "SharedMergeTree")
# a cluster name as in <remote_servers>, or a macro of the server's <macros> ({cluster})
CLUSTER_NAME = re.compile(r"^(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_.-]*)$")


@dataclass(frozen=True)
class TableEngine:
    engine: str = "MergeTree"
    cluster: str = ""

    @property
    def on_cluster(self) -> str:
        """` ON CLUSTER '<name>'` or nothing: goes right after the object's name in DDL."""
        return f" ON CLUSTER {quote_string(self.cluster)}" if self.cluster else ""


SINGLE_NODE = TableEngine()


def table_engine(engine: object = None, cluster: object = None) -> TableEngine:
    """The validated `table_engine` / `on_cluster` settings of `finops_sql_config` (None: single node)."""
    engine = "MergeTree" if engine in (None, "") else engine
    if engine not in ENGINES:
        raise SqlConfigError(f"table_engine {engine!r} must be one of {', '.join(ENGINES)} (a name, no arguments: "
                             "the server's default_replica_path and default_replica_name apply)")
    cluster = "" if cluster is None else cluster
    if not isinstance(cluster, str) or (cluster and not CLUSTER_NAME.match(cluster)):
        raise SqlConfigError(f"on_cluster {cluster!r} must be a cluster name (letters, digits, _ . -) or a macro "
                             "such as {cluster}, or empty")
    return TableEngine(engine, cluster)
