"""Deterministic sample rows of the Cloud Billing export to BigQuery.

Standard usage cost table: `gcp_billing_export_v1_<BILLING_ACCOUNT_ID with _>`; detailed
(resource-level) table: `gcp_billing_export_resource_v1_<...>`, the same fields plus `resource`
(name, global_name) and more rows (usage split per resource, same totals).

Rows are JSON-able dicts (timestamps as ISO-8601 strings, UTC) that `insert_rows_json` accepts.
Like the real export, rows are appended in export batches that share one `export_time` (an export
every 4 hours); about 6% of rows arrive late, 1 to 5 days after their usage ended. A few rows are
exact duplicates of another row (the export has no id column and identical rows do occur).

The fields Google added on 2025-07-15 for its spend-based committed use discounts are filled as Google fills them
for usage without such a CUD: every usage row `consumption_model` {id 7754-699E-0EBF, description Default} and
`cost_at_effective_price_default` = `cost` (the sample's CUDs are of the legacy credit model); NULL on tax and
adjustment rows (an assumption: they have no SKU price); `subscription` (detailed export only) NULL.

The real tables are ingestion-time partitioned by day (`_PARTITIONTIME` / `_PARTITIONDATE`);
`seed_bigquery` creates the table that way. bqemulator accepts the partitioning spec, but it has no
real ingestion-time partitions: it rewrites `_PARTITIONTIME` to `CURRENT_TIMESTAMP()` (every row
lives in "today's" partition), so partition filters are accepted and are always true there.

Beside them, Google's CUD metadata export `cud_subscriptions_export` (a daily snapshot of the account's spend-based
commitments, nested records as documented): `generate_cud_subscription_rows` and `seed_cud_table`.
"""

from __future__ import annotations

import calendar
import random
from datetime import UTC, datetime, timedelta

BILLING_ACCOUNT_ID = "01A2B3-C4D5E6-F7A8B9"
DATASET = "billing_export"
STANDARD_TABLE = "gcp_billing_export_v1_" + BILLING_ACCOUNT_ID.replace("-", "_")
DETAILED_TABLE = "gcp_billing_export_resource_v1_" + BILLING_ACCOUNT_ID.replace("-", "_")
DEFAULT_MONTHS = ["2026-08", "2026-09", "2026-10"]
CUD_TABLE = "cud_subscriptions_export"
EXPORT_EVERY_HOURS = 4
# consumption_model of usage billed at Google's default prices (export fields added on 2025-07-15 for the
# spend-based CUD model)
DEFAULT_CONSUMPTION_MODEL = {"id": "7754-699E-0EBF", "description": "Default"}

_ORG = ("organizations/418527963051", "example.com")
_FOLDERS = {
    "prod": ("folders/773214450912", "production"),
    "nonprod": ("folders/286410097235", "non-production"),
}
PROJECTS = [
    # id, number, name, folder, project labels
    ("shop-prod-4821", "918273645001", "Shop Production", "prod", {"env": "prod", "team": "checkout"}),
    ("data-platform-prod", "918273645002", "Data Platform", "prod", {"env": "prod", "team": "data"}),
    ("ml-research-77", "918273645003", "ML Research", "nonprod", {"env": "dev", "team": "ml"}),
    ("shop-staging-1902", "918273645004", "Shop Staging", "nonprod", {"env": "staging", "team": "checkout"}),
]

# service id, description -> list of (sku id, sku description, usage unit, pricing unit, units per pricing unit,
# price per pricing unit, typical pricing units per hourly row, resource kind)
SERVICES = {
    ("6F81-5844-456A", "Compute Engine"): [
        ("CF4E-A0C7-E3BF", "E2 Instance Core running in Americas", "seconds", "hour", 3600.0, 0.021811, 8.0, "vm"),
        (
            "F449-33EC-A5EF",
            "E2 Instance Ram running in Americas",
            "byte-seconds",
            "gibibyte hour",
            3865470566400.0,
            0.002923,
            32.0,
            "vm",
        ),
        (
            "D973-5D65-BAB2",
            "Storage PD Capacity",
            "byte-seconds",
            "gibibyte month",
            2.8759101014016e15,
            0.04,
            0.7,
            "disk",
        ),
        (
            "9431-52B0-0F5C",
            "N2 Custom Instance Core running in Americas",
            "seconds",
            "hour",
            3600.0,
            0.033174,
            4.0,
            "vm",
        ),
    ],
    ("95FF-2EF5-5EA1", "Cloud Storage"): [
        (
            "E5F0-6A5D-7BAD",
            "Standard Storage US Multi-region",
            "byte-seconds",
            "gibibyte month",
            2.8759101014016e15,
            0.026,
            25.0,
            "bucket",
        ),
        (
            "22EB-AAE8-FBCD",
            "Network Data Transfer GCP Replication within Northern America",
            "bytes",
            "gibibyte",
            1073741824.0,
            0.02,
            3.0,
            "bucket",
        ),
    ],
    ("24E6-581D-38E5", "BigQuery"): [
        ("3362-E469-6BEF", "Analysis", "bytes", "tebibyte", 1099511627776.0, 6.25, 0.05, "dataset"),
        (
            "1A96-7A23-1B8D",
            "Active Logical Storage",
            "byte-seconds",
            "gibibyte month",
            2.8759101014016e15,
            0.02,
            60.0,
            "dataset",
        ),
    ],
    ("9662-B51E-5089", "Cloud SQL"): [
        (
            "9D97-1F6A-E3B4",
            "Cloud SQL for PostgreSQL: Zonal - vCPU in Americas",
            "seconds",
            "hour",
            3600.0,
            0.0413,
            2.0,
            "sql",
        ),
        (
            "8F5C-4B04-3C3B",
            "Cloud SQL for PostgreSQL: Zonal - RAM in Americas",
            "byte-seconds",
            "gibibyte hour",
            3865470566400.0,
            0.007,
            8.0,
            "sql",
        ),
    ],
    ("E505-1604-58F8", "Networking"): [
        (
            "984A-1F34-6C5B",
            "Network Internet Data Transfer Out from Americas to Americas",
            "bytes",
            "gibibyte",
            1073741824.0,
            0.12,
            2.0,
            "lb",
        ),
        (
            "B2F9-5D6E-A2C4",
            "Cloud Load Balancer Forwarding Rule Minimum Service Charge in Americas",
            "seconds",
            "hour",
            3600.0,
            0.025,
            1.0,
            "lb",
        ),
    ],
}
_MARKETPLACE = (
    ("A1B2-C3D4-E5F6", "Elastic Cloud (Elasticsearch Service)"),
    ("77AB-12CD-9EF0", "Elastic Cloud Standard - GCP"),
    "Elasticsearch B.V.",
)

_CREDIT_TYPES = {
    "SUSTAINED_USAGE_DISCOUNT": ("Sustained Usage Discount", "Sustained usage discount"),
    "COMMITTED_USAGE_DISCOUNT": ("Committed Usage Discount: CPU", "Committed use discount: 1 year, compute"),
    "FREE_TIER": ("Free Tier", "Free tier usage"),
    "PROMOTION": ("Startup credits", "Google for Startups Cloud Program credit"),
    "DISCOUNT": ("Spending based discount", "Spending based discount (contractual)"),
}
_REGIONS = [("us-central1", "US"), ("us-east1", "US"), ("europe-west1", "BE"), ("asia-northeast1", "JP")]
_SYSTEM_LABELS_VM = [
    ("e2-standard-4", "4", "16384"),
    ("e2-standard-8", "8", "32768"),
    ("n2-custom-4-16384", "4", "16384"),
]


def _struct(name: str, fields: list, mode: str = "NULLABLE"):
    from google.cloud import bigquery

    return bigquery.SchemaField(name, "RECORD", mode=mode, fields=fields)


def billing_export_schema(detailed: bool = False) -> list:
    """The Cloud Billing export table schema (standard, or detailed with `resource` and `subscription`)."""
    from google.cloud import bigquery

    F = bigquery.SchemaField

    def kv(name: str):
        return _struct(name, [F("key", "STRING"), F("value", "STRING")], mode="REPEATED")

    schema = [
        F("billing_account_id", "STRING"),
        _struct("service", [F("id", "STRING"), F("description", "STRING")]),
        _struct("sku", [F("id", "STRING"), F("description", "STRING")]),
        F("usage_start_time", "TIMESTAMP"),
        F("usage_end_time", "TIMESTAMP"),
        _struct(
            "project",
            [
                F("id", "STRING"),
                F("number", "STRING"),
                F("name", "STRING"),
                kv("labels"),
                F("ancestry_numbers", "STRING"),
                _struct("ancestors", [F("resource_name", "STRING"), F("display_name", "STRING")], mode="REPEATED"),
            ],
        ),
        kv("labels"),
        kv("system_labels"),
        _struct(
            "location", [F("location", "STRING"), F("country", "STRING"), F("region", "STRING"), F("zone", "STRING")]
        ),
        _struct(
            "tags",
            [F("key", "STRING"), F("value", "STRING"), F("inherited", "BOOLEAN"), F("namespace", "STRING")],
            mode="REPEATED",
        ),
        F("export_time", "TIMESTAMP"),
        F("cost", "FLOAT"),
        F("currency", "STRING"),
        F("currency_conversion_rate", "FLOAT"),
        _struct(
            "usage",
            [
                F("amount", "FLOAT"),
                F("unit", "STRING"),
                F("amount_in_pricing_units", "FLOAT"),
                F("pricing_unit", "STRING"),
            ],
        ),
        _struct(
            "credits",
            [
                F("name", "STRING"),
                F("amount", "FLOAT"),
                F("full_name", "STRING"),
                F("id", "STRING"),
                F("type", "STRING"),
            ],
            mode="REPEATED",
        ),
        _struct("invoice", [F("month", "STRING"), F("publisher_type", "STRING")]),
        F("cost_type", "STRING"),
        _struct(
            "adjustment_info", [F("id", "STRING"), F("description", "STRING"), F("mode", "STRING"), F("type", "STRING")]
        ),
        F("cost_at_list", "FLOAT"),
        F("transaction_type", "STRING"),
        F("seller_name", "STRING"),
        _struct(
            "price",
            [
                F("effective_price", "NUMERIC"),
                F("tier_start_amount", "NUMERIC"),
                F("unit", "STRING"),
                F("pricing_unit_quantity", "NUMERIC"),
            ],
        ),
        # added by Google on 2025-07-15 for the spend-based CUD model
        _struct("consumption_model", [F("id", "STRING"), F("description", "STRING")]),
        F("cost_at_effective_price_default", "FLOAT"),
    ]
    if detailed:
        schema.append(_struct("resource", [F("name", "STRING"), F("global_name", "STRING")]))
        schema.append(_struct("subscription", [F("instance_id", "STRING")]))  # detailed export only
    return schema


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _month_bounds(month: str) -> tuple[datetime, int]:
    digits = month.replace("-", "")
    year, mon = int(digits[:4]), int(digits[4:6])
    return datetime(year, mon, 1, tzinfo=UTC), calendar.monthrange(year, mon)[1]


def _export_time(usage_end: datetime, rng: random.Random) -> datetime:
    """The export batch (every EXPORT_EVERY_HOURS, on the hour + 17 min) that carries this row."""
    if rng.random() < 0.06:
        delay = timedelta(hours=rng.uniform(24, 24 * 5 - EXPORT_EVERY_HOURS - 1))
    else:
        delay = timedelta(hours=rng.uniform(0.5, 10))
    ready = usage_end + delay
    day = ready.replace(hour=0, minute=0, second=0, microsecond=0)
    slot = day + timedelta(minutes=17)
    while slot < ready:
        slot += timedelta(hours=EXPORT_EVERY_HOURS)
    return slot


def _kv(d: dict) -> list[dict]:
    return [{"key": k, "value": v} for k, v in d.items()]


def generate_billing_rows(
    months: list[str] | None = None,
    rows_per_month: int = 400,
    seed: int = 42,
    billing_account_id: str = BILLING_ACCOUNT_ID,
    detailed: bool = False,
) -> list[dict]:
    """Billing export rows for `months` (["2026-08", ...] or ["202608", ...]); deterministic per seed.

    `detailed=True` gives the resource-level export: the same rows, each split across 1-3 resources
    (costs, credits and usage divided; totals equal to the standard export's within float rounding),
    with `resource.name` / `resource.global_name`.
    """
    rng = random.Random(seed)
    months = months or DEFAULT_MONTHS
    service_keys = list(SERVICES)
    rows: list[dict] = []
    for month in months:
        start, days = _month_bounds(month)
        invoice_month = start.strftime("%Y%m")
        for i in range(rows_per_month):
            roll = rng.random()
            project_id, number, pname, folder, plabels = rng.choice(PROJECTS)
            folder_res = _FOLDERS[folder]
            project = {
                "id": project_id,
                "number": number,
                "name": pname,
                "labels": _kv(plabels),
                "ancestry_numbers": f"/{_ORG[0].split('/')[1]}/{folder_res[0].split('/')[1]}/",
                "ancestors": [
                    {"resource_name": f"projects/{number}", "display_name": project_id},
                    {"resource_name": folder_res[0], "display_name": folder_res[1]},
                    {"resource_name": _ORG[0], "display_name": _ORG[1]},
                ],
            }
            usage_start = start + timedelta(days=rng.randrange(days), hours=rng.randrange(24))
            usage_end = usage_start + timedelta(hours=1)
            region, country = rng.choice(_REGIONS)
            row: dict = {
                "billing_account_id": billing_account_id,
                "project": project,
                "usage_start_time": _iso(usage_start),
                "usage_end_time": _iso(usage_end),
                "currency": "USD",
                "currency_conversion_rate": 1.0,
                "invoice": {"month": invoice_month, "publisher_type": "Google"},
                "cost_type": "regular",
                "adjustment_info": None,
                "transaction_type": "GOOGLE",
                "seller_name": "Google",
                "labels": [],
                "system_labels": [],
                "tags": [],
                "credits": [],
                # set on usage rows below; NULL on tax and adjustment rows (assumed: no SKU price, no model)
                "consumption_model": None,
                "cost_at_effective_price_default": None,
            }
            if roll < 0.03:  # tax on the month's usage (cost_type tax, no usage, no SKU price)
                row.update(
                    service={"id": "3F7A-9C5E-TAX0", "description": "Invoice"},
                    sku={"id": "TAX0-US-SALES", "description": "Tax"},
                    location={"location": "us", "country": "US", "region": None, "zone": None},
                    usage={"amount": 0.0, "unit": None, "amount_in_pricing_units": 0.0, "pricing_unit": None},
                    price=None,
                    cost_type="tax",
                )
                cost = round(rng.uniform(1, 40), 6)
                row["cost"] = cost
                row["cost_at_list"] = cost
            elif roll < 0.05:  # billing adjustment (negative)
                row.update(
                    service={"id": "6F81-5844-456A", "description": "Compute Engine"},
                    sku={"id": "CF4E-A0C7-E3BF", "description": "E2 Instance Core running in Americas"},
                    location={"location": region, "country": country, "region": region, "zone": None},
                    usage={"amount": 0.0, "unit": "seconds", "amount_in_pricing_units": 0.0, "pricing_unit": "hour"},
                    price=None,
                    cost_type="adjustment",
                    adjustment_info={
                        "id": f"adj-{invoice_month}-{i:05d}",
                        "description": "Adjustment for overcharge of E2 instance usage (case 4711)",
                        "mode": "MANUAL_ADJUSTMENT",
                        "type": "GENERAL_ADJUSTMENT",
                    },
                )
                cost = -round(rng.uniform(0.5, 25), 6)
                row["cost"] = cost
                row["cost_at_list"] = cost
            else:
                marketplace = roll < 0.07
                if marketplace:
                    service, sku_t, seller = _MARKETPLACE
                    sku = (sku_t[0], sku_t[1], "hour", "hour", 1.0, 0.25, 1.0, "deployment")
                    row.update(transaction_type="THIRD_PARTY_RESELLER", seller_name=seller)
                    row["invoice"]["publisher_type"] = "Partner"
                else:
                    service = rng.choice(service_keys)
                    sku = rng.choice(SERVICES[service])
                sku_id, sku_desc, unit, pricing_unit, per_pu, unit_price, typical, kind = sku
                pricing_units = round(typical * rng.uniform(0.2, 1.8), 6)
                amount = pricing_units * per_pu
                list_cost = round(pricing_units * unit_price, 6)
                zone = f"{region}-{rng.choice('abc')}" if kind in ("vm", "disk", "sql") else None
                if service[1] in ("Cloud Storage", "BigQuery") and rng.random() < 0.5:
                    location = {"location": "US", "country": "US", "region": None, "zone": None}
                else:
                    location = {"location": zone or region, "country": country, "region": region, "zone": zone}
                labels = {"env": plabels["env"], "team": plabels["team"]}
                if rng.random() < 0.6:
                    labels["app"] = rng.choice(["storefront", "payments", "etl", "notebooks", "search"])
                if rng.random() < 0.15:
                    labels["cost-center"] = rng.choice(["cc-1001", "cc-2002"])
                system_labels = {}
                if kind == "vm":
                    mtype, cores, mem = rng.choice(_SYSTEM_LABELS_VM)
                    system_labels = {
                        "compute.googleapis.com/machine_spec": mtype,
                        "compute.googleapis.com/cores": cores,
                        "compute.googleapis.com/memory": mem,
                    }
                tags = []
                if rng.random() < 0.3:
                    tags = [
                        {"key": "environment", "value": plabels["env"], "inherited": True, "namespace": "418527963051"}
                    ]
                cost = list_cost
                if not marketplace and kind in ("vm", "sql") and rng.random() < 0.15:
                    cost = round(list_cost * 0.8, 6)  # negotiated price
                credits = []
                if not marketplace:
                    if kind == "vm" and rng.random() < 0.5:
                        credits.append(("SUSTAINED_USAGE_DISCOUNT", rng.uniform(0.05, 0.3)))
                    if kind in ("vm", "sql") and rng.random() < 0.25:
                        credits.append(("COMMITTED_USAGE_DISCOUNT", rng.uniform(0.2, 0.55)))
                    if kind in ("bucket", "dataset") and rng.random() < 0.2:
                        credits.append(("FREE_TIER", rng.uniform(0.1, 1.0)))
                    if project_id == "ml-research-77" and rng.random() < 0.4:
                        credits.append(("PROMOTION", rng.uniform(0.3, 1.0)))
                    if rng.random() < 0.05:
                        credits.append(("DISCOUNT", rng.uniform(0.02, 0.08)))
                row.update(
                    service={"id": service[0], "description": service[1]},
                    sku={"id": sku_id, "description": sku_desc},
                    location=location,
                    labels=_kv(labels),
                    system_labels=_kv(system_labels),
                    tags=tags,
                    usage={
                        "amount": amount,
                        "unit": unit,
                        "amount_in_pricing_units": pricing_units,
                        "pricing_unit": pricing_unit,
                    },
                    price={
                        "effective_price": f"{unit_price:.6f}",
                        "tier_start_amount": "0",
                        "unit": pricing_unit,
                        "pricing_unit_quantity": "1",
                    },
                    cost=cost,
                    cost_at_list=list_cost,
                    # every usage row is billed on Google's default consumption model; the sample's CUDs are of the
                    # legacy credit model (COMMITTED_USAGE_DISCOUNT credits beside the cost), none of the new
                    # spend-based model, so the cost at the default model's effective price is the cost
                    consumption_model=dict(DEFAULT_CONSUMPTION_MODEL),
                    cost_at_effective_price_default=cost,
                )
                for ctype, share in credits:
                    cname, cfull = _CREDIT_TYPES[ctype]
                    row["credits"].append(
                        {
                            "name": cname,
                            "amount": -round(cost * share, 6),
                            "full_name": cfull,
                            "id": f"{ctype.lower()}-{rng.randrange(10**6):06d}",
                            "type": ctype,
                        }
                    )
                if detailed:
                    row["_kind"] = kind
            row["export_time"] = _iso(_export_time(usage_end, rng))
            rows.append(row)
            if rng.random() < 0.01:  # an identical duplicate row (legitimate in the export)
                rows.append(_copy(row))
    if detailed:
        rows = _split_per_resource(rows, rng)
    for row in rows:
        row.pop("_kind", None)
    rows.sort(key=lambda r: (r["export_time"], r["usage_start_time"]))
    return rows


def _copy(row: dict) -> dict:
    import copy

    return copy.deepcopy(row)


def _split_per_resource(rows: list[dict], rng: random.Random) -> list[dict]:
    out = []
    for row in rows:
        kind = row.get("_kind")
        parts = rng.choice([1, 1, 2, 3]) if kind else 1
        shares = [rng.uniform(0.2, 1.0) for _ in range(parts)]
        total = sum(shares)
        shares = [s / total for s in shares]
        for n, share in enumerate(shares):
            part = _copy(row)
            name = f"{kind or 'resource'}-{row['project']['id']}-{n}"
            part["resource"] = (
                {
                    "name": name,
                    "global_name": f"//{(kind or 'billing')}.googleapis.com/projects/{row['project']['number']}/{name}",
                }
                if kind
                else {"name": None, "global_name": None}
            )
            part["subscription"] = None  # no usage of the sample is under a spend-based CUD of the new model
            if parts > 1:
                last = n == parts - 1
                for key in ("cost", "cost_at_list", "cost_at_effective_price_default"):
                    if row.get(key) is None:
                        continue
                    part[key] = (
                        _split_value(row[key], shares, n)
                        if not last
                        else round(row[key] - sum(_split_value(row[key], shares, k) for k in range(n)), 6)
                    )
                for c_idx, credit in enumerate(part["credits"]):
                    orig = row["credits"][c_idx]["amount"]
                    credit["amount"] = (
                        _split_value(orig, shares, n)
                        if not last
                        else round(orig - sum(_split_value(orig, shares, k) for k in range(n)), 6)
                    )
                if part["usage"]:
                    part["usage"]["amount"] = row["usage"]["amount"] * share
                    part["usage"]["amount_in_pricing_units"] = row["usage"]["amount_in_pricing_units"] * share
            out.append(part)
    return out


def _split_value(value: float, shares: list[float], n: int) -> float:
    return round(value * shares[n], 6)


def seed_bigquery(
    client,
    dataset: str,
    table: str,
    rows: list[dict],
    detailed: bool | None = None,
    batch_size: int = 500,
    partitioned: bool = True,
) -> str:
    """Create `dataset` (if missing) and `table` (if missing, day-partitioned on ingestion time) and
    insert `rows` with streaming inserts in batches. Returns the fully qualified table id."""
    from google.api_core.exceptions import NotFound
    from google.cloud import bigquery

    if detailed is None:
        detailed = "resource" in table or any("resource" in r for r in rows[:1])
    dataset_ref = (
        bigquery.DatasetReference(client.project, dataset)
        if "." not in dataset
        else bigquery.DatasetReference.from_string(dataset)
    )
    client.create_dataset(bigquery.Dataset(dataset_ref), exists_ok=True)
    table_id = f"{dataset_ref.project}.{dataset_ref.dataset_id}.{table}"
    try:
        client.get_table(table_id)
    except NotFound:
        tbl = bigquery.Table(table_id, schema=billing_export_schema(detailed=detailed))
        if partitioned:
            tbl.time_partitioning = bigquery.TimePartitioning(type_=bigquery.TimePartitioningType.DAY)
        client.create_table(tbl)
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        errors = client.insert_rows_json(table_id, batch, row_ids=[None] * len(batch))
        if errors:
            raise RuntimeError(f"insert into {table_id} failed: {errors[:3]}")
    return table_id


def cud_export_schema(value_type: str = "FLOAT", time_type: str = "TIMESTAMP") -> list:
    """The CUD metadata export's schema as Google documents it (`commitent_amount` sic); `value_type` FLOAT or NUMERIC
    for commitent_amount.value, `time_type` TIMESTAMP or STRING for start_time / end_time."""
    from google.cloud import bigquery

    F = bigquery.SchemaField
    return [
        F("billing_account_id", "STRING"),
        _struct("cud_product", [F("id", "STRING"), F("display_name", "STRING"), F("type", "STRING")]),
        _struct("consumption_model", [F("id", "STRING"), F("description", "STRING")]),
        _struct("subscription", [F("entitlement_scope", "STRING"), F("instance_id", "STRING"),
                                 F("display_name", "STRING")]),
        F("region", "STRING"),
        _struct("commitent_amount", [F("unit", "STRING"), F("value", value_type)]),
        F("term", "STRING"),
        F("start_time", time_type),
        F("end_time", time_type),
        F("state", "STRING"),
    ]


def _months_before(start: datetime, months: int) -> datetime:
    index = start.year * 12 + start.month - 1 - months
    return start.replace(year=index // 12, month=index % 12 + 1)


# product display name, consumption model id and description, region, term in years, months started before the
# first sample month, hourly amount (USD), state; instance and product ids are fixed GUIDs
_CUDS = [
    ("Flexible CUD", "D97B-0795-975B", "Compute Flexible CUD - 3 Year", None, 3, 14, 10.5, "Active",
     "6c1bdf40-3c59-4bd4-9a44-1f0b3e1a0c01", "344fffc1-17f9-4e34-abf2-cfffff409fa2"),
    ("Cloud SQL CUD", "4C6B-8D0E-1A2F", "Cloud SQL CUD - 1 Year", "us-central1", 1, 2, 2.35, "Active",
     "769c55ea-c50f-4258-bcf5-04b6688fa5fa", "8b0a6e1f-5d2c-4f6e-9a3b-2c7d1e0f4a55"),
    ("Flexible CUD", "5E2A-41C7-B0D3", "Compute Flexible CUD - 1 Year", None, 1, 15, 4.75, "Expired",
     "0f3e9b7a-88d1-4c2e-b6a4-7d5c3e2b1a90", "344fffc1-17f9-4e34-abf2-cfffff409fa2"),
]


def generate_cud_subscription_rows(months: list[str] | None = None,
                                   billing_account_id: str = BILLING_ACCOUNT_ID) -> list[dict]:
    """The CUD metadata export's rows (insert_rows_json form) for a bill of `months`: spend-based commitments of the
    billing account, a 3-year Flexible CUD (10.5 USD/hour) and a 1-year Cloud SQL CUD (2.35 USD/hour) active through
    the months, and a 1-year Flexible CUD (4.75 USD/hour) that expired before them."""
    first, _ = _month_bounds((months or DEFAULT_MONTHS)[0])
    rows = []
    for product, model_id, model, region, years, before, amount, state, instance_id, product_id in _CUDS:
        start = _months_before(first, before)
        end = start.replace(year=start.year + years)
        where = f" in {region}" if region else ""
        rows.append({
            "billing_account_id": billing_account_id,
            "cud_product": {"id": product_id, "display_name": product, "type": "Spend-Based"},
            "consumption_model": {"id": model_id, "description": model},
            "subscription": {"entitlement_scope": f"billingAccounts/{billing_account_id}", "instance_id": instance_id,
                             "display_name": f"{product} commitment{where} on {start:%b} {start.day}, {start.year}"},
            "region": region,
            "commitent_amount": {"unit": "USD/hour", "value": amount},
            "term": f"P{years}Y",
            "start_time": _iso(start),
            "end_time": _iso(end),
            "state": state,
        })
    return rows


def seed_cud_table(client, dataset: str, rows: list[dict], table: str = CUD_TABLE, schema: list | None = None) -> str:
    """Create `dataset` (if missing) and the CUD metadata export `table` (if missing; `schema`: another one, default
    `cud_export_schema()`) and insert `rows`. Returns the fully qualified table id."""
    from google.api_core.exceptions import NotFound
    from google.cloud import bigquery

    client.create_dataset(bigquery.Dataset(bigquery.DatasetReference(client.project, dataset)), exists_ok=True)
    table_id = f"{client.project}.{dataset}.{table}"
    try:
        client.get_table(table_id)
    except NotFound:
        client.create_table(bigquery.Table(table_id, schema=schema or cud_export_schema()))
    if rows:
        errors = client.insert_rows_json(table_id, rows, row_ids=[None] * len(rows))
        if errors:
            raise RuntimeError(f"insert into {table_id} failed: {errors[:3]}")
    return table_id


_ARROW_TYPES = {"STRING": "string", "FLOAT": "float64", "INTEGER": "int64", "BOOLEAN": "bool",
                "TIMESTAMP": "timestamp", "NUMERIC": "decimal"}


def _arrow_type(field):
    import pyarrow as pa

    if field.field_type == "RECORD":
        kind = pa.struct([pa.field(f.name, _arrow_type(f)) for f in field.fields])
    else:
        kind = {"string": pa.string(), "float64": pa.float64(), "int64": pa.int64(), "bool": pa.bool_(),
                "timestamp": pa.timestamp("us", tz="UTC"), "decimal": pa.decimal128(38, 9)}[_ARROW_TYPES[field.field_type]]
    return pa.list_(kind) if field.mode == "REPEATED" else kind


def _arrow_value(value, kind):
    """A JSON-able export value (insert_rows_json form) as pyarrow.array accepts it for `kind`."""
    import pyarrow as pa

    if value is None:
        return None
    if pa.types.is_timestamp(kind):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if pa.types.is_decimal(kind):
        from decimal import Decimal

        return Decimal(str(value))
    if pa.types.is_list(kind):
        return [_arrow_value(item, kind.value_type) for item in value]
    if pa.types.is_struct(kind):
        return {f.name: _arrow_value(value.get(f.name), f.type) for f in kind}
    return value


def _parsed_from_text(kind) -> bool:
    """Whether `kind` holds a timestamp or NUMERIC (the export's JSON form writes both as text)."""
    import pyarrow as pa

    if pa.types.is_timestamp(kind) or pa.types.is_decimal(kind):
        return True
    if pa.types.is_list(kind):
        return _parsed_from_text(kind.value_type)
    return pa.types.is_struct(kind) and any(_parsed_from_text(f.type) for f in kind)


def _arrow_column(values: list, kind):
    """JSON-able export values as an Arrow array of `kind`: timestamps and NUMERICs parsed from their text by
    Arrow, a whole column at once (one value at a time, a year of bench.full_year's pages took half an hour)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_timestamp(kind) or pa.types.is_decimal(kind):
        return pc.cast(pa.array([None if value is None else str(value) for value in values], pa.string()), kind)
    if _parsed_from_text(kind):
        return pa.array([_arrow_value(value, kind) for value in values], kind)
    return pa.array(values, kind)


def billing_result_page(rows: list[dict], detailed: bool = False):
    """`rows` as the Arrow record batch the BigQuery client yields for the GCP source's export query
    (flattened columns of include.sources.gcp_billing.query.build_query, with `row_occurrence` and
    `export_batch_rows` computed as the query does: rows equal in every keyed column are numbered in the order of
    their unkeyed columns' JSON text, `schema.UNKEYED_COLUMNS`). For tests and the benchmark, without an emulator."""
    import json

    import pyarrow as pa

    from include.sources.gcp_billing.schema import DETAILED, STANDARD, UNKEYED_COLUMNS, export_columns

    by_name = {f.name: f for f in billing_export_schema(detailed=detailed)}
    columns, fields, keyed, unkeyed = {}, [], [], []
    for name, expression, _, _ in export_columns(DETAILED if detailed else STANDARD):
        path = expression.removeprefix("t.").split(".")
        field = by_name[path[0]]
        for part in path[1:]:
            field = {f.name: f for f in field.fields}[part]
        kind = _arrow_type(field)
        values = [row.get(path[0]) for row in rows]
        for part in path[1:]:
            values = [(value or {}).get(part) for value in values]
        (unkeyed if name in UNKEYED_COLUMNS else keyed).append((name, values))
        columns[name] = _arrow_column(values, kind)
        fields.append(pa.field(name, kind))
    groups: dict[str, list[tuple[bytes, int]]] = {}
    batch_rows: dict = {}
    for number, row in enumerate(rows):
        content = json.dumps([values[number] for _, values in keyed], sort_keys=True, default=str)
        loose = json.dumps({name: values[number] for name, values in unkeyed}, separators=(",", ":"),
                           ensure_ascii=False, default=str)
        groups.setdefault(content, []).append((loose.encode("utf-8"), number))
        batch_rows[row.get("export_time")] = batch_rows.get(row.get("export_time"), 0) + 1
    occurrence = [0] * len(rows)
    for members in groups.values():
        for nth, (_, number) in enumerate(sorted(members), start=1):  # ORDER BY _unkeyed (bytes), then as read
            occurrence[number] = nth
    columns["row_occurrence"] = pa.array(occurrence, pa.int64())
    columns["export_batch_rows"] = pa.array([batch_rows[row.get("export_time")] for row in rows], pa.int64())
    fields += [pa.field("row_occurrence", pa.int64()), pa.field("export_batch_rows", pa.int64())]
    return pa.RecordBatch.from_pydict(columns, schema=pa.schema(fields))
