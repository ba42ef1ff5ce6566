"""Azure Cost Management "Cost and usage details (FOCUS)" exports (dataset `FocusCost`, version
1.2-preview), written to Blob Storage the way Cost Management writes them:

    <container>/<directory>/<export name>/<YYYYMMDD-YYYYMMDD>/<run id>/part_0_0001.snappy.parquet
    <container>/<directory>/<export name>/<YYYYMMDD-YYYYMMDD>/<run id>/manifest.json

(or `part_0_0001.csv.gz` for CSV with gzip). The date range folder is the whole month; every run of
the month (a daily month-to-date run, a re-run after a late charge) gets a folder of its own with a
manifest, written after the partitions, that lists them (`blobs[].blobName`, container-relative)
and says when the run was submitted (`runInfo.submittedTime`).

The columns are Microsoft's documented FocusCost 1.2-preview columns, in their order, FOCUS columns
first and then the `x_` columns; in CSV every value is text (dates as `2026-09-01T00:00:00Z`).
"""

from __future__ import annotations

import calendar
import gzip
import io
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

# FocusCost 1.2-preview, in the order Cost Management writes them.
FOCUS_COLUMNS = [
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingAccountType", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "CapacityReservationId", "CapacityReservationStatus",
    "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd",
    "ChargePeriodStart", "CommitmentDiscountCategory", "CommitmentDiscountId", "CommitmentDiscountName",
    "CommitmentDiscountQuantity", "CommitmentDiscountStatus", "CommitmentDiscountType", "CommitmentDiscountUnit",
    "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice", "EffectiveCost", "InvoiceId",
    "InvoiceIssuerName", "ListCost", "ListUnitPrice", "PricingCategory", "PricingCurrency", "PricingQuantity",
    "PricingUnit", "ProviderName", "PublisherName", "RegionId", "RegionName", "ResourceId", "ResourceName",
    "ResourceType", "ServiceCategory", "ServiceName", "ServiceSubcategory", "SkuId", "SkuMeter",
    "SkuPriceDetails", "SkuPriceId", "SubAccountId", "SubAccountName", "SubAccountType", "Tags",
    "x_AccountId", "x_AccountName", "x_AccountOwnerId", "x_AmortizationClass", "x_BilledCostInUsd",
    "x_BilledUnitPrice", "x_BillingAccountId", "x_BillingAccountName", "x_BillingExchangeRate",
    "x_BillingExchangeRateDate", "x_BillingProfileId", "x_BillingProfileName", "x_ContractedCostInUsd",
    "x_CostAllocationRuleName", "x_CostCenter", "x_CustomerId", "x_CustomerName", "x_EffectiveCostInUsd",
    "x_EffectiveUnitPrice", "x_InvoiceSectionId", "x_InvoiceSectionName", "x_ListCostInUsd",
    "x_PartnerCreditApplied", "x_PartnerCreditRate", "x_PricingBlockSize", "x_PricingCurrency",
    "x_PricingSubcategory", "x_PricingUnitDescription", "x_PublisherCategory", "x_PublisherId", "x_ResellerId",
    "x_ResellerName", "x_ResourceGroupName", "x_ResourceType", "x_ServiceModel", "x_ServicePeriodEnd",
    "x_ServicePeriodStart", "x_SkuDescription", "x_SkuDetails", "x_SkuIsCreditEligible", "x_SkuMeterCategory",
    "x_SkuMeterId", "x_SkuMeterName", "x_SkuMeterSubcategory", "x_SkuOfferId", "x_SkuOrderId", "x_SkuOrderName",
    "x_SkuPlanName", "x_SkuPartNumber", "x_SkuRegion", "x_SkuServiceFamily", "x_SkuTier",
]
DATASET_VERSION = "1.2-preview"

BILLING_ACCOUNT = ("/providers/Microsoft.Billing/billingAccounts/1a2b3c4d:5e6f_2019-05-31", "Contoso Demo")
BILLING_PROFILE = ("/providers/Microsoft.Billing/billingAccounts/1a2b3c4d:5e6f_2019-05-31/billingProfiles/ABCD-EF12",
                   "Contoso Demo Profile")
SUBSCRIPTIONS = [
    ("0f0e0d0c-0000-4000-8000-000000000001", "prod"),
    ("0f0e0d0c-0000-4000-8000-000000000002", "staging"),
    ("0f0e0d0c-0000-4000-8000-000000000003", "data-platform"),
]
REGIONS = [("eastus", "East US"), ("westeurope", "West Europe"), ("australiaeast", "Australia East")]
# (ServiceName, ServiceCategory, ServiceSubcategory, ARM resource type, meter category, meter, unit, list price)
SERVICES = [
    ("Virtual Machines", "Compute", "Virtual Machines", "microsoft.compute/virtualmachines", "Virtual Machines",
     "D4s v5", "1 Hour", 0.192),
    ("Storage Accounts", "Storage", "Object Storage", "microsoft.storage/storageaccounts", "Storage",
     "Hot LRS Data Stored", "1 GB/Month", 0.0184),
    ("Azure SQL Database", "Databases", "Relational Databases", "microsoft.sql/servers/databases", "SQL Database",
     "vCore", "1 Hour", 0.5044),
    ("Azure Kubernetes Service", "Compute", "Containers", "microsoft.containerservice/managedclusters",
     "Azure Kubernetes Service", "Standard Uptime SLA", "1 Hour", 0.10),
    ("Bandwidth", "Networking", "Network Connectivity", "microsoft.network/publicipaddresses", "Bandwidth",
     "Standard Data Transfer Out", "1 GB", 0.087),
]
TEAMS = ["payments", "search", "platform", "ml", "web"]
ENVIRONMENTS = ["prod", "staging", "dev"]

MONEY_DECIMALS = 10  # Cost Management writes costs with up to 10 decimals


@dataclass(frozen=True)
class FocusExport:
    """Where an export writes: a container, the export's directory in it, and the export's name."""

    container: str
    directory: str
    export_name: str

    def month_folder(self, month: str) -> str:
        """`<directory>/<export>/<YYYYMMDD-YYYYMMDD>`: one folder per month, every run of it below."""
        start, end = month_bounds(month)
        last_day = end - timedelta(days=1)
        return "/".join(p for p in (self.directory.strip("/"), self.export_name,
                                    f"{start:%Y%m%d}-{last_day:%Y%m%d}") if p)


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) of a YYYY-MM month, in UTC."""
    year, number = (int(x) for x in month.split("-"))
    days = calendar.monthrange(year, number)[1]
    start = datetime(year, number, 1, tzinfo=UTC)
    return start, start + timedelta(days=days)


def generate_focus_month(month: str, rows: int, seed: int = 7) -> pa.Table:
    """`rows` daily usage charges of one month with every FocusCost 1.2-preview column (dates as UTC
    timestamps, money as double, the rest text; columns Azure leaves empty are null)."""
    rng = np.random.default_rng(seed + int(month.replace("-", "")))
    start, end = month_bounds(month)
    days = (end - start).days
    day = rng.integers(0, days, rows)
    charge_start = np.datetime64(start.replace(tzinfo=None), "us") + day.astype("timedelta64[D]")
    service = rng.integers(0, len(SERVICES), rows)
    sub = rng.integers(0, len(SUBSCRIPTIONS), rows)
    region = rng.integers(0, len(REGIONS), rows)
    team = rng.integers(0, len(TEAMS), rows)
    env = rng.integers(0, len(ENVIRONMENTS), rows)
    quantity = np.round(rng.gamma(2.0, 12.0, rows), 6)
    list_price = np.array([svc[7] for svc in SERVICES])[service]
    discount = np.where(rng.random(rows) < 0.3, 0.85, 1.0)  # negotiated discount on some meters
    list_cost = np.round(quantity * list_price, MONEY_DECIMALS)
    contracted_price = np.round(list_price * discount, MONEY_DECIMALS)
    contracted_cost = np.round(quantity * contracted_price, MONEY_DECIMALS)
    billed_cost = contracted_cost
    effective_cost = contracted_cost
    # Text columns built from small lookup tables and taken by index (arrow), not string by string.
    instance = np.arange(rows) % 7
    names = pa.array([f"{svc[4].lower().replace(' ', '-')}-{t}-{k}" for svc in SERVICES for t in TEAMS for k in range(7)])
    resource_names = names.take(pa.array((service * len(TEAMS) + team) * 7 + instance))
    groups = pa.array([f"rg-{t}-{e}" for t in TEAMS for e in ENVIRONMENTS])
    group_index = pa.array(team * len(ENVIRONMENTS) + env)
    resource_groups = groups.take(group_index)
    resource_ids = pc.binary_join_element_wise(
        pa.array([f"/subscriptions/{s[0]}/resourceGroups/" for s in SUBSCRIPTIONS]).take(pa.array(sub)),
        resource_groups, pa.array([f"/providers/{svc[3]}/" for svc in SERVICES]).take(pa.array(service)),
        resource_names, "",
    )
    tags = pa.array([json.dumps({"team": t, "env": e}) for t in TEAMS for e in ENVIRONMENTS]).take(group_index)
    utc = pa.timestamp("us", tz="UTC")
    period_start = pa.repeat(pa.scalar(start, utc), rows)
    period_end = pa.repeat(pa.scalar(end, utc), rows)
    charge_start_array = pa.array(charge_start, pa.timestamp("us")).cast(utc)
    charge_end_array = pa.array(charge_start + np.timedelta64(1, "D"), pa.timestamp("us")).cast(utc)

    def const(value) -> pa.Array:
        return pa.repeat(pa.scalar(value, pa.string()), rows)

    def pick(table, index, field) -> pa.Array:
        return per_row([entry[field] for entry in table], index)

    def per_row(values, index) -> pa.Array:
        """values[index[row]] for every row: a lookup table taken by index."""
        return pa.array(values, pa.string()).take(pa.array(index))

    columns = {
        "BilledCost": pa.array(billed_cost),
        "BillingAccountId": const(BILLING_PROFILE[0]),
        "BillingAccountName": const(BILLING_PROFILE[1]),
        "BillingAccountType": const("Billing Profile"),
        "BillingCurrency": const("USD"),
        "BillingPeriodEnd": period_end,
        "BillingPeriodStart": period_start,
        "ChargeCategory": const("Usage"),
        "ChargeDescription": per_row([f"{svc[5]} - {svc[0]}" for svc in SERVICES], service),
        "ChargeFrequency": const("Usage-Based"),
        "ChargePeriodEnd": charge_end_array,
        "ChargePeriodStart": charge_start_array,
        "ConsumedQuantity": pa.array(quantity),
        "ConsumedUnit": pick(SERVICES, service, 6),
        "ContractedCost": pa.array(contracted_cost),
        "ContractedUnitPrice": pa.array(contracted_price),
        "EffectiveCost": pa.array(effective_cost),
        "InvoiceIssuerName": const("Microsoft"),
        "ListCost": pa.array(list_cost),
        "ListUnitPrice": pa.array(list_price),
        "PricingCategory": const("Standard"),
        "PricingCurrency": const("USD"),
        "PricingQuantity": pa.array(quantity),
        "PricingUnit": pick(SERVICES, service, 6),
        "ProviderName": const("Microsoft"),
        "PublisherName": const("Microsoft"),
        "RegionId": pick(REGIONS, region, 0),
        "RegionName": pick(REGIONS, region, 1),
        "ResourceId": resource_ids,
        "ResourceName": resource_names,
        "ResourceType": pick(SERVICES, service, 0),
        "ServiceCategory": pick(SERVICES, service, 1),
        "ServiceName": pick(SERVICES, service, 0),
        "ServiceSubcategory": pick(SERVICES, service, 2),
        "SkuId": per_row([f"DZH318Z0{i:04d}" for i in range(len(SERVICES))], service),
        "SkuMeter": pick(SERVICES, service, 5),
        "SkuPriceId": per_row([f"DZH318Z0{i:04d}/000{i}" for i in range(len(SERVICES))], service),
        "SubAccountId": per_row([f"/subscriptions/{s[0]}" for s in SUBSCRIPTIONS], sub),
        "SubAccountName": pick(SUBSCRIPTIONS, sub, 1),
        "SubAccountType": const("Subscription"),
        "Tags": tags,
        "x_AmortizationClass": const("Amortized Charge"),
        "x_BilledCostInUsd": pa.array(billed_cost),
        "x_BilledUnitPrice": pa.array(contracted_price),
        "x_BillingAccountId": const(BILLING_ACCOUNT[0]),
        "x_BillingAccountName": const(BILLING_ACCOUNT[1]),
        "x_BillingExchangeRate": pa.array(np.ones(rows)),
        "x_BillingExchangeRateDate": period_start,
        "x_BillingProfileId": const(BILLING_PROFILE[0]),
        "x_BillingProfileName": const(BILLING_PROFILE[1]),
        "x_ContractedCostInUsd": pa.array(contracted_cost),
        "x_EffectiveCostInUsd": pa.array(effective_cost),
        "x_EffectiveUnitPrice": pa.array(contracted_price),
        "x_InvoiceSectionId": const("WXYZ-1234-AB5-CD6"),
        "x_InvoiceSectionName": const("Engineering"),
        "x_ListCostInUsd": pa.array(list_cost),
        "x_PricingBlockSize": pa.array(np.ones(rows)),
        "x_PricingCurrency": const("USD"),
        "x_PricingSubcategory": const("Standard"),
        "x_PricingUnitDescription": pick(SERVICES, service, 6),
        "x_PublisherCategory": const("Cloud Provider"),
        "x_ResourceGroupName": resource_groups,
        "x_ResourceType": pick(SERVICES, service, 3),
        "x_ServiceModel": per_row(["IaaS" if svc[1] in ("Compute", "Storage") else "PaaS" for svc in SERVICES],
                                  service),
        "x_ServicePeriodEnd": period_end,
        "x_ServicePeriodStart": period_start,
        "x_SkuDescription": per_row([f"{svc[4]} {svc[5]}" for svc in SERVICES], service),
        "x_SkuDetails": const("{}"),
        "x_SkuIsCreditEligible": const("True"),
        "x_SkuMeterCategory": pick(SERVICES, service, 4),
        "x_SkuMeterId": per_row([str(uuid.UUID(int=i + 1)) for i in range(len(SERVICES))], service),
        "x_SkuMeterName": pick(SERVICES, service, 5),
        "x_SkuOfferId": const("MS-AZR-0017G"),
        "x_SkuRegion": pick(REGIONS, region, 1),
        "x_SkuServiceFamily": pick(SERVICES, service, 1),
    }
    for name in FOCUS_COLUMNS:  # documented columns Azure leaves empty here (no commitments, no CSP)
        if name not in columns:
            kind = pa.float64() if name.endswith(("Quantity", "Rate")) else pa.string()
            columns[name] = pa.nulls(rows, kind)
    return pa.table({name: columns[name] for name in FOCUS_COLUMNS})


def to_csv_bytes(table: pa.Table) -> bytes:
    """The table as Cost Management's CSV: a header row, ISO-8601 UTC dates, gzip-compressed."""
    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type):
            # whole seconds (arrow's %S of a microsecond timestamp would print the fraction)
            column = pc.strftime(column.cast(pa.timestamp("s", tz="UTC")), format="%Y-%m-%dT%H:%M:%SZ")
        columns.append(column)
    text = io.BytesIO()
    pcsv.write_csv(pa.table(columns, names=table.column_names), text,
                   pcsv.WriteOptions(quoting_style="needed"))
    return gzip.compress(text.getvalue(), compresslevel=6)  # gzip's default level; 9 is several times slower


def write_focus_run(service_client, export: FocusExport, month: str, table: pa.Table, file_format: str = "parquet",
                    rows_per_file: int = 50_000, run_id: str | None = None,
                    submitted: datetime | None = None, overwrite_previous: bool = False) -> str:
    """Write one export run of `month`: its partitions, then its manifest. Returns the manifest's
    blob name. Earlier runs of the month stay (the newest run is the month for readers), or with
    `overwrite_previous` are deleted once this run is complete, as an export set to overwrite does."""
    run_id = run_id or str(uuid.uuid4())
    submitted = submitted or datetime.now(UTC)
    container = service_client.get_container_client(export.container)
    if not container.exists():
        container.create_container()
    folder = f"{export.month_folder(month)}/{run_id}"
    blobs = []
    for index, offset in enumerate(range(0, max(table.num_rows, 1), rows_per_file), 1):
        part = table.slice(offset, rows_per_file)
        if file_format == "parquet":
            sink = io.BytesIO()
            pq.write_table(part, sink, compression="snappy")
            data, name = sink.getvalue(), f"{folder}/part_0_{index:04d}.snappy.parquet"
        elif file_format == "csv":
            data, name = to_csv_bytes(part), f"{folder}/part_0_{index:04d}.csv.gz"
        else:
            raise ValueError(f"file_format must be parquet or csv, got {file_format!r}")
        container.upload_blob(name, data, overwrite=True)
        blobs.append({"blobName": name, "byteCount": len(data), "dataRowCount": part.num_rows})
    start, end = month_bounds(month)
    manifest = {
        "manifestVersion": "2024-04-01",
        "byteCount": sum(b["byteCount"] for b in blobs),
        "blobCount": len(blobs),
        "dataRowCount": table.num_rows,
        "exportConfig": {
            "exportName": export.export_name,
            "resourceId": f"{BILLING_PROFILE[0]}/providers/Microsoft.CostManagement/exports/{export.export_name}",
            "dataVersion": DATASET_VERSION,
            "apiVersion": "2025-03-01",
            "type": "FocusCost",
            "timeFrame": "MonthToDate",
            "granularity": "Daily",
        },
        "deliveryConfig": {
            "partitionData": True,
            "dataOverwriteBehavior": "OverwritePreviousReport",
            "fileFormat": "Parquet" if file_format == "parquet" else "Csv",
            "compressionMode": "Snappy" if file_format == "parquet" else "Gzip",
            "containerUri": "/subscriptions/0f0e0d0c-0000-4000-8000-000000000001/resourceGroups/rg-finops/providers/"
                            "Microsoft.Storage/storageAccounts/finopsexports",
            "rootFolderPath": export.directory,
        },
        "runInfo": {
            "executionType": "Scheduled",
            "submittedTime": submitted.strftime("%Y-%m-%dT%H:%M:%S.%f0Z"),
            "runId": run_id,
            "startDate": f"{start:%Y-%m-%dT%H:%M:%S}",
            "endDate": f"{min(end, submitted):%Y-%m-%dT00:00:00Z}",
        },
        "blobs": blobs,
    }
    manifest_name = f"{folder}/manifest.json"
    container.upload_blob(manifest_name, json.dumps(manifest, indent=2).encode(), overwrite=True)
    if overwrite_previous:
        for blob in container.list_blobs(name_starts_with=f"{export.month_folder(month)}/"):
            if not blob.name.startswith(f"{folder}/"):
                container.delete_blob(blob.name)
    return manifest_name
