"""finops.focus at FOCUS 1.4 and the BillingPeriod dataset (finops.focus_billing_periods), checked against the
column table include/focus/focus-1.4-columns.csv (generated from the spec by include/focus/column_table.py)."""

import csv
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from include.focus import column_table
from tests.helpers.focus_columns import assert_spec_columns
from tests.helpers.transform import one, q, run
from tests.transform.raw import aws_line, gcp_row, write_aws_period, write_gcp_rows

D = Decimal
FOCUS_DIR = Path(column_table.__file__).parent
TABLE_1_4 = FOCUS_DIR / "focus-1.4-columns.csv"
TABLE_1_2 = Path(__file__).with_name("focus-1.2-columns.csv")  # prepared independently from the v1.2 tag


def read(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def columns_1_4(dataset: str) -> list[dict]:
    return [row for row in read(TABLE_1_4) if row["dataset"] == dataset and not row["removed_version"]]


# What FOCUS 1.4's text changes in the 1.2 columns (include/focus/SOURCE.md): anything else differing from the
# independent 1.2 table is a reading error.
CHANGED_SINCE_1_2 = {
    ("InvoiceId", "feature_level"): ("Recommended", "Conditional"),
    ("InvoiceIssuerName", "display_name"): ("Invoice Issuer", "Invoice Issuer Name"),
    ("PricingCurrency", "allows_nulls"): ("True", "False"),
    ("PricingCurrencyEffectiveCost", "allows_nulls"): ("True", "False"),
}


def test_the_column_table_keeps_the_1_2_columns_as_the_independent_1_2_table_but_for_1_4s_changes():
    table = {row["column_id"]: row for row in read(TABLE_1_4) if row["dataset"] == "Cost and Usage"}
    reference = {row["column_id"]: row for row in read(TABLE_1_2)}
    assert len(reference) == 57 and reference.keys() <= table.keys()
    changed = {}
    for name, row in reference.items():
        for field in ("display_name", "feature_level", "data_type", "allows_nulls", "allowed_values", "introduced_version"):
            if table[name][field] != row[field]:
                changed[(name, field)] = (row[field], table[name][field])
    assert changed == CHANGED_SINCE_1_2
    removed = {name for name, row in table.items() if row["removed_version"]}
    assert removed == {"ProviderName", "PublisherName"}
    assert all(table[name]["removed_version"] == "1.4" for name in removed)
    mandatory = {row["column_id"] for row in columns_1_4("Cost and Usage") if row["feature_level"] == "Mandatory"}
    assert {"ServiceProviderName", "HostProviderName", "BilledCost", "EffectiveCost", "ChargeCategory"} <= mandatory
    assert not {"ConsumerId", "PrincipalId"} & table.keys()  # 1.5 columns in the newer dataset table
    billing_period = {row["column_id"]: row for row in columns_1_4("Billing Period")}
    assert set(billing_period) == {"BillingPeriodCreated", "BillingPeriodEnd", "BillingPeriodLastUpdated",
                                   "BillingPeriodStart", "BillingPeriodStatus", "InvoiceIssuerName"}
    status = billing_period["BillingPeriodStatus"]
    assert status["allowed_values"] == "Open;Closed" and status["feature_level"] == "Mandatory"
    assert all(row["source"].startswith("constraints: FOCUS_Spec ") for row in table.values() if not row["removed_version"])


def write_spec_dir(root: Path, files: dict[str, str], sources: list[str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "SOURCES.csv").write_text("file,version,note\n" + "".join(f"{name},abc123,test\n" for name in sources))
    return root


DATASET_MD = """# Billing Period

## Columns<!--SkipTOC-->

| Column | Column Type | Feature Level | Allows Nulls | Data Type |
| :----- | :---------- | :------------ | :----------- | :-------- |
| [Billing Period Status](#datasets.billingperiod.billingperiodstatus) | Dimension | [Mandatory](#conditions.x) | False | String |
| [Billing Period Created](#datasets.billingperiod.billingperiodcreated) | Dimension | Mandatory | False | Date/Time |
| [Later Column](#datasets.billingperiod.latercolumn) | Dimension | Conditional | True | String |

## Relationships<!--SkipTOC-->
"""


def column_md(column_id: str, name: str, data_type: str, version: str, allowed: str = "") -> str:
    return (f"# {name}\n\n{allowed}## Column ID\n\n{column_id}\n\n## Display Name\n\n{name}\n\n"
            "## Content constraints\n\n| Constraint | Value |\n|:--|:--|\n| Feature level | Mandatory |\n"
            f"| Allows nulls | False |\n| Data type | {data_type} |\n\n## Version Introduced\n\n{version} (note)\n")


def test_the_spec_dir_layout_is_read_from_the_dataset_table_and_the_column_files(tmp_path):
    files = {
        "billing_period/dataset.md": DATASET_MD,
        "billing_period/columns/billingperiodstatus.md": column_md(
            "BillingPeriodStatus", "Billing Period Status", "String", "1.4",
            "## Allowed Values\n\n| Value | Description |\n| :-- | :-- |\n| `Open` | o |\n| `Closed` | c |\n\n"),
        "billing_period/columns/billingperiodcreated.md": column_md(
            "BillingPeriodCreated", "Billing Period Created", "Datetime", "1.4"),
        "billing_period/columns/latercolumn.md": column_md("LaterColumn", "Later Column", "String", "1.5"),
    }
    spec_dir = write_spec_dir(tmp_path, files, list(files))
    columns = {c.column_id: c for c in column_table.spec_dir_columns(spec_dir, "1.4", None, None)}
    assert set(columns) == {"BillingPeriodStatus", "BillingPeriodCreated"}  # LaterColumn came in 1.5
    status, created = columns["BillingPeriodStatus"], columns["BillingPeriodCreated"]
    assert (status.dataset, status.feature_level, status.allows_nulls, status.allowed_values,
            status.introduced_version) == ("Billing Period", "Mandatory", "False", "Open;Closed", "1.4")
    assert "abc123 specification/datasets/billing_period/columns/billingperiodcreated.md" in created.source
    assert "column file says" not in created.source  # the draft's "Datetime" is the table's Date/Time
    assert "column file says feature level" not in status.source  # a linked level is read as its text

    # a saved file without a SOURCES.csv row has no known version: an error naming it
    spec_dir = write_spec_dir(tmp_path, files, ["billing_period/dataset.md"])
    try:
        column_table.spec_dir_columns(spec_dir, "1.4", None, None)
    except column_table.SpecFormatError as exc:
        assert "billingperiodstatus.md" in str(exc)
    else:
        raise AssertionError("a spec file without its source was accepted")


def test_a_change_that_does_not_apply_is_an_error_naming_the_row(tmp_path):
    changes = tmp_path / "changes.csv"
    changes.write_text("change,column_id,display_name,dataset,feature_level,data_type,allows_nulls,allowed_values,"
                       "version,spec_file,source\nremove,NoSuchColumn,,Cost and Usage,,,,,1.4,,test\n")
    try:
        column_table.apply_changes([], changes, tmp_path)
    except column_table.SpecFormatError as exc:
        assert f"{changes}:2" in str(exc) and "NoSuchColumn" in str(exc)
    else:
        raise AssertionError("a removal of an unknown column was accepted")


# Where finops.focus / focus_billing_periods differ from the 1.4 text (include/focus/SOURCE.md): pinned so that
# a new difference, or one fixed, fails here. "missing": a 1.4 column the table lacks; "Nullable": the spec allows
# no nulls; "not in the spec": a non-x_ column the 1.4 dataset does not define.
KNOWN_GAPS = {
    "focus": {
        # the dataset table says not nullable, the columns' own files allow nulls: NULL where a provider has no price
        # in a pricing currency other than the billing currency
        "PricingCurrency": "Nullable", "PricingCurrencyEffectiveCost": "Nullable",
    },
    "focus_billing_periods": {},
}


def assert_spec_columns_but_known_gaps(table: str, spec: list[dict]) -> None:
    types = dict(q(f"SELECT name, type FROM system.columns WHERE database = 'finops' AND table = '{table}'"))
    gaps = {}
    for column in spec:
        name = column["column_id"]
        if name not in types:
            gaps[name] = "missing"
        elif column["allows_nulls"] == "False" and types[name].startswith("Nullable("):
            gaps[name] = "Nullable"
    named = {c["column_id"] for c in spec}
    gaps |= {name: "not in the spec" for name in types if name not in named and not name.startswith("x_")}
    assert gaps == KNOWN_GAPS[table]
    assert_spec_columns(table, [c for c in spec if c["column_id"] not in gaps], frozenset(gaps))


def this_month() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


def test_focus_1_4_columns_providers_and_billing_periods(data_dir):
    current = this_month()
    write_aws_period(data_dir, "2026-09", [
        aws_line("2026-09", "Usage", 1.25),
        aws_line("2026-09", "Usage", 4.0, bill_billing_entity="AWS Marketplace", line_item_legal_entity="Acme Corp",
                 line_item_product_code="acme-saas"),
        aws_line("2026-09", "Tax", 0.2),
    ])
    # not invoiced yet: a line without the invoice id keeps the period Open
    write_aws_period(data_dir, "2026-10", [aws_line("2026-10", "Usage", 2.0),
                                           aws_line("2026-10", "Usage", 0.5, bill_invoice_id="")],
                     load_id="1793000000.250000")
    write_gcp_rows(data_dir, [
        gcp_row("2026-09", 10.0, [("SUSTAINED_USAGE_DISCOUNT", -1.0)], day=2),
        gcp_row("2026-09", 3.0, day=3, transaction_type="THIRD_PARTY_RESELLER", seller_name="Elastic NV"),
        gcp_row(current, 7.0, day=1),
    ])
    run("aws")
    run("gcp")

    spec = columns_1_4("Cost and Usage")
    assert_spec_columns_but_known_gaps("focus", spec)
    present = {name for (name,) in q("SELECT name FROM system.columns WHERE database = 'finops' AND table = 'focus'")}
    assert not present & {"ProviderName", "PublisherName"}
    assert {c["column_id"] for c in spec if c["feature_level"] == "Mandatory"} <= present

    entities = q("SELECT x_Provider, ServiceProviderName, HostProviderName, x_CorrectionHandling, sum(BilledCost) "
                 "FROM finops.focus GROUP BY 1, 2, 3, 4 ORDER BY 1, 2")
    assert entities == [
        ("aws", "AWS", "AWS", "Replacement", D("3.95")),
        ("aws", "Acme Corp", "AWS", "Replacement", D("4")),
        ("gcp", "Elastic NV", "Google Cloud", "Delta", D("3")),
        ("gcp", "Google Cloud", "Google Cloud", "Delta", D("16")),
    ]
    assert one("SELECT countIf(InvoiceDetailId IS NOT NULL OR CommitmentProgramEligibilityDetails IS NOT NULL) "
               "FROM finops.focus") == 0

    assert_spec_columns_but_known_gaps("focus_billing_periods", columns_1_4("Billing Period"))
    periods = q("SELECT x_Provider, x_BillingMonth, x_BillingAccountId, x_HostProviderName, BillingPeriodStatus, "
                "x_CorrectionHandling, x_InvoiceIds, x_BilledCost FROM finops.focus_billing_periods ORDER BY 1, 2")
    assert periods == [
        ("aws", "2026-09", "999999999999", "AWS", "Closed", "Replacement", "INV-2026-09", D("5.45")),
        ("aws", "2026-10", "999999999999", "AWS", "Open", "Replacement", "INV-2026-10", D("2.5")),
        ("gcp", "2026-09", "01A2B3-C4D5E6-F7A8B9", "Google Cloud", "Closed", "Delta", "", D("12")),
        ("gcp", current, "01A2B3-C4D5E6-F7A8B9", "Google Cloud", "Open", "Delta", "", D("7")),
    ]
    # Created / LastUpdated: GCP the first and last export time of the month's rows (export_time = usage start + 6 h = 11:00);
    # AWS the load of the period's delivery (dlt load id 1793000000.25: 2026-10-26 07:33:20.25 UTC, to the second)
    times = "SELECT BillingPeriodCreated, BillingPeriodLastUpdated FROM finops.focus_billing_periods WHERE x_Provider = {} AND x_BillingMonth = {}"
    delivered = datetime(2026, 10, 26, 7, 33, 20)  # the client gives UTC times without a zone
    assert datetime.fromtimestamp(1793000000, UTC).replace(tzinfo=None) == delivered
    assert q(times.format("'aws'", "'2026-10'")) == [(delivered, delivered)]
    assert q(times.format("'gcp'", "'2026-09'")) == [(datetime(2026, 9, 2, 11), datetime(2026, 9, 3, 11))]

    # Replacement applied: AWS re-delivers 2026-10 with the invoice id on every line; the delivery replaces the
    # period (its figures and status), it does not add to it.
    write_aws_period(data_dir, "2026-10", [aws_line("2026-10", "Usage", 2.0), aws_line("2026-10", "Usage", 0.75)],
                     load_id="1793086400.750000")
    # Delta applied: a GCP correction of September arrives as a new row, added to the month.
    write_gcp_rows(data_dir, [gcp_row("2026-09", -0.5, day=20, cost_type="adjustment")])
    run("aws")
    run("gcp")
    assert q("SELECT x_Provider, x_BillingMonth, BillingPeriodStatus, x_BilledCost, x_Rows FROM finops.focus_billing_periods "
             "WHERE x_BillingMonth IN ('2026-09', '2026-10') ORDER BY 1, 2") == [
        ("aws", "2026-09", "Closed", D("5.45"), 3),
        ("aws", "2026-10", "Closed", D("2.75"), 2),
        ("gcp", "2026-09", "Closed", D("11.5"), 3),
    ]
    # a re-delivery replaces the AWS period's record (both times are its load's); a GCP correction moves LastUpdated only
    redelivered = delivered + timedelta(days=1)
    assert q(times.format("'aws'", "'2026-10'")) == [(redelivered, redelivered)]
    assert q(times.format("'gcp'", "'2026-09'")) == [(datetime(2026, 9, 2, 11), datetime(2026, 9, 20, 11))]


def test_gcp_closing_days_come_from_the_configuration(data_dir):
    from zoneinfo import ZoneInfo

    now = datetime.now(UTC)
    first = now.astimezone(ZoneInfo("America/Los_Angeles")).replace(day=1)
    last_month = (first.replace(year=first.year - 1, month=12) if first.month == 1
                  else first.replace(month=first.month - 1)).strftime("%Y-%m")
    write_gcp_rows(data_dir, [gcp_row(last_month, 1.0)])
    run("gcp", config={"billing_period_closing_days": {"gcp": 45}})  # ended at most 31 days ago
    assert one("SELECT BillingPeriodStatus FROM finops.focus_billing_periods") == "Open"
    run("gcp", config={"billing_period_closing_days": {"gcp": 0}})  # closed at the month's end (Pacific)
    assert one("SELECT BillingPeriodStatus FROM finops.focus_billing_periods") == "Closed"
