"""An anonymized copy of the marts, for public dashboards: `anonymize(client, ...)` / `run()`.

The copy goes into another database (default `finops_anonymized`; never the source) on the same
ClickHouse, or into another server's database (a separate Airflow connection). Money is scaled by a
secret factor, identifiers, names, free text and tag values become keyed tokens (HMAC-SHA256; the same
value always gives the same token), dates can be shifted by whole years. See columns.py for which
column gets what, copy.py for how tables are written.

The key comes from the Airflow connection `finops_anonymize` (its password) or, without one, the
Variable `finops_anonymize_key`; it never appears in SQL text or logs (its HMAC pads are query
parameters). The factors are derived from the key, so they are as secret as the key and stable
across runs: one factor for every provider by default, which keeps every relative figure true
(shares, growth, margin %, cost per customer ratios); `per_provider_factors` hides the providers'
relative size too, at the price of margin % and cross-provider shares.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from decimal import Decimal
from pathlib import Path

from include import settings
from include.anonymize.columns import PROVIDER_VALUES, AnonymizeError, Settings
from include.anonymize.copy import copy_table

log = logging.getLogger(__name__)

CONFIG_VARIABLE = settings.ANONYMIZE_CONFIG_VARIABLE
KEY_CONN_ID = settings.ANONYMIZE_KEY_CONN_ID
KEY_VARIABLE = settings.ANONYMIZE_KEY_VARIABLE
DEFAULT_DATABASE = "finops_anonymized"
ANONYMIZED_FOLDER = "anonymized"  # local mode: <data dir>/anonymized/marts/<table>.parquet
MIN_KEY_BYTES = 16
DATABASE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PROTECTED_DATABASES = {settings.MART_DATABASE, settings.RAW_DATABASE, "system", "default", "information_schema",
                       "INFORMATION_SCHEMA"}
PROVIDERS = (*PROVIDER_VALUES, "stripe")


def configured_key(conn_id: str = KEY_CONN_ID) -> str | None:
    """The key as set: the connection's password, else the Variable, else None."""
    from airflow.sdk import Connection, Variable

    try:
        key = Connection.get(conn_id).password
    except Exception:  # noqa: BLE001 - a missing connection is not an error while the Variable may hold the key
        key = None
    return key or Variable.get(KEY_VARIABLE, default=None) or None


def key_configured(conn_id: str = KEY_CONN_ID) -> bool:
    """Whether a key is set (the DAG task skips without one; a key that is too short still fails)."""
    return configured_key(conn_id) is not None


def secret_key(conn_id: str = KEY_CONN_ID) -> bytes:
    """The HMAC key; an error naming where to set it when it is missing or too short."""
    key = configured_key(conn_id)
    if not key or len(key.encode()) < MIN_KEY_BYTES:
        raise AnonymizeError(f"set an anonymization key of at least {MIN_KEY_BYTES} bytes as the password of the "
                             f"Airflow connection {conn_id!r} (or the Variable {KEY_VARIABLE!r})")
    return key.encode()


def hmac_pads(key: bytes) -> tuple[str, str]:
    """HMAC-SHA256's inner and outer padded keys (RFC 2104), hex, for the SQL token function."""
    block = hashlib.sha256(key).digest() if len(key) > 64 else key
    block = block.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block).hex(), bytes(b ^ 0x5C for b in block).hex()


def derived_factor(key: bytes, scope: str) -> Decimal:
    """A factor in [0.2, 4.0), six decimals, never within 20-25 % of 1: secret as long as the key is."""
    digest = hmac.new(key, f"finops-anonymize-factor:{scope}".encode(), hashlib.sha256).digest()
    value = 0.2 + 3.8 * int.from_bytes(digest[:8], "big") / 2**64
    if 0.8 <= value <= 1.25:
        value += 0.75
    return Decimal(f"{value:.6f}")


def anonymize_settings(key: bytes, config: dict, tag_keys: dict[str, list[tuple[str, str]]]) -> Settings:
    scopes = PROVIDERS if config.get("per_provider_factors") else ("all",)
    keep = set(config.get("keep_tag_values") or [])
    # a kept tag is kept under its column name (tag_<name>, rollups' tag_key) and its raw key (maps)
    keep |= {raw for pairs in tag_keys.values() for name, raw in pairs if name in keep}
    years = config.get("date_shift_years", 0)
    if not isinstance(years, int) or isinstance(years, bool):
        raise AnonymizeError(f"date_shift_years must be a whole number of years, got {years!r}")
    return Settings({scope: str(derived_factor(key, scope)) for scope in scopes}, years, frozenset(keep))


def server_id(client) -> str:
    """The server's UUID (all zeros for the embedded engine, of which a process has one)."""
    return str(client.query("SELECT serverUUID()").result_rows[0][0])


def target_database(config: dict, source: str) -> str:
    name = str(config.get("database") or DEFAULT_DATABASE)
    protected = PROTECTED_DATABASES if source else PROTECTED_DATABASES - {settings.MART_DATABASE}
    if not DATABASE_NAME.match(name) or name in protected | {source}:
        raise AnonymizeError(f"the anonymized copy needs its own database: {name!r} is not allowed (never in place)")
    return name


def anonymize(client, key: bytes, config: dict | None = None, source: str = settings.MART_DATABASE,
              tables: list[str] | None = None, tag_keys: dict | None = None, target_client=None) -> dict:
    """Copy `tables` (default: the marts include.transform.export exports) of `source` into the target database,
    anonymized. Returns {"database": ..., "tables": {table: {column: kind}}}."""
    from include.transform.export import discover_tables

    config = dict(config or {})
    # the source's own database is refused on the same server; another server may call its copy `finops`
    same_server = target_client is None or server_id(client) == server_id(target_client)
    target = target_database(config, source if same_server else "")
    anon = anonymize_settings(key, config, tag_keys or {})
    ipad, opad = hmac_pads(key)
    parameters = {"anon_ipad": ipad, "anon_opad": opad,
                  **{f"anon_factor_{scope}": factor for scope, factor in anon.factors.items()}}
    names = tables or config.get("tables") or discover_tables(client, source)
    (target_client or client).command(f"CREATE DATABASE IF NOT EXISTS `{target}`")
    copied = {}
    for table in names:
        copied[table] = copy_table(client, source, target, table, anon, parameters, target_client)
        log.info("anonymized %s.%s -> %s.%s", source, table, target, table)
    return {"database": target, "tables": copied}


def export_copy(client, database: str, tables: list[str], data_dir: Path | None = None) -> Path:
    """Local mode: the copy as parquet under <data dir>/anonymized/marts/, which Rill reads with
    `--env finops_data_dir=<data dir>/anonymized` (the one setting), laid out as the marts export lays them out."""
    from include.transform.export import MARTS_FOLDER, export_marts

    root = Path(data_dir or settings.data_dir()) / ANONYMIZED_FOLDER
    export_marts(client, root, tables=tables, database=database, force=True)
    return root / MARTS_FOLDER


def run(destination: str | None = None, config: dict | None = None) -> dict:
    """The command and the DAG task, with Variable `finops_anonymize_config` and the key connection."""
    from include.clickhouse import clickhouse_client
    from include.transform.config import sql_config

    config = dict(config) if config is not None else settings.variable_json(CONFIG_VARIABLE, {})
    destination = destination or settings.destination_name()
    key = secret_key(config.get("key_conn_id") or KEY_CONN_ID)
    client = clickhouse_client(destination)
    target_client = None
    try:
        if config.get("target_conn_id"):
            target_client = clickhouse_client("clickhouse", config["target_conn_id"])
        result = anonymize(client, key, config, tag_keys=sql_config()["tags"], target_client=target_client)
        if destination == "filesystem":
            result["parquet"] = str(export_copy(client, result["database"], list(result["tables"])))
    finally:
        client.close()
        if target_client is not None:
            target_client.close()
    return {"database": result["database"], "tables": sorted(result["tables"]), "parquet": result.get("parquet")}
