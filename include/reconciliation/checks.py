"""The reconciliation checks: per target and provider, two queries whose figures must be equal.

Each check's queries return (period, currency, value) rows; `include.reconciliation.runner` evaluates them
to the cent. A provider target's checks compare its raw source totals with its intermediate line items and
those with its daily rollups; the marts' checks compare each cloud's tables with the cross-provider marts
(`fct_cost_daily`, the FOCUS model, margin, showback, commitments, cost per customer), counting for each
account and month only the input that counts there (int_cloud_cost_inputs).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from include import settings

TOLERANCE = Decimal("0.005")  # to the cent
# Line types whose amortized cost is negative by nature (credits, refunds, discounts).
AWS_NEGATIVE_TYPES = ("Credit", "Refund", "BundledDiscount", "Discount", "EdpDiscount", "PrivateRateDiscount",
                      "RiVolumeDiscount", "DistributorDiscount", "SavingsPlanNegation")

@dataclass(frozen=True)
class Check:
    name: str
    description: str
    expected_sql: str  # SELECT period, currency, value ... GROUP BY period, currency
    actual_sql: str  # same shape; a count check has currency '' and a constant 0 as expected
    requires: str | None = None  # a table or view of an optional input: without it the check does not apply


def _money(column: str) -> str:
    return f"toDecimal128(toString(ifNull({column}, 0)), 10)"


def _sum_by(table: str, period: str, value: str, where: str = "1 = 1", currency: str = "currency") -> str:
    """Per period and currency (amounts of different currencies are never added up)."""
    return (f"SELECT {period} AS period, upper(ifNull({currency}, '')) AS currency_, toDecimal128(sum({value}), 10) "
            f"FROM {table} WHERE {where} GROUP BY period, currency_")


def _zero(table: str, period: str) -> str:
    return f"SELECT DISTINCT {period} AS period, '' AS currency_, toDecimal128(0, 10) FROM {table}"


def _count(table: str, period: str, where: str) -> str:
    return f"SELECT {period} AS period, '' AS currency_, toDecimal128(countIf({where}), 10) FROM {table} GROUP BY period"


F = settings.MART_DATABASE
# The instance-hour lines of the EC2 instances EKS pods / ECS tasks ran on (split cost allocation data parents).
SPLIT_PARENT_LINES = (f"product_code = 'AmazonEC2' AND split_parent_resource_id = '' "
                      f"AND match(usage_type, '(BoxUsage|SpotUsage|DedicatedUsage|HostUsage)') "
                      f"AND (billing_period, resource_id) IN (SELECT billing_period, parent_resource_id "
                      f"FROM {F}.int_aws__container_cost_daily WHERE parent_resource_id != '')")
AWS_CHECKS = [
    Check("raw_vs_line_items_unblended", "CUR line_item_unblended_cost (newest completed load) = int_aws__cost_line_items",
          _sum_by(f"{F}.stg_aws__cur_line_items", "billing_period", _money("line_item_unblended_cost"),
                  currency="ifNull(line_item_currency_code, 'USD')"),
          _sum_by(f"{F}.int_aws__cost_line_items", "billing_period", "unblended_cost"),
          requires=f"{F}.stg_aws__cur_line_items"),
    Check("line_items_vs_daily_net_unblended", "int_aws__cost_line_items = int_aws__cost_daily, net unblended cost",
          _sum_by(f"{F}.int_aws__cost_line_items", "billing_period", "net_unblended_cost"),
          _sum_by(f"{F}.int_aws__cost_daily", "billing_period", "net_unblended_cost")),
    Check("line_items_vs_daily_net_amortized", "int_aws__cost_line_items = int_aws__cost_daily, net amortized cost",
          _sum_by(f"{F}.int_aws__cost_line_items", "billing_period", "net_amortized_cost"),
          _sum_by(f"{F}.int_aws__cost_daily", "billing_period", "net_amortized_cost")),
    Check("duplicate_line_item_keys", "line items sharing (line item id, time interval) in a billing period",
          _zero(f"{F}.int_aws__cost_line_items", "billing_period"),
          f"SELECT billing_period AS period, '' AS currency_, toDecimal128(count() - uniqExact(line_item_id, time_interval), 10) "
          f"FROM {F}.int_aws__cost_line_items WHERE line_item_id != '' GROUP BY period"),
    Check("negative_amortized_cost", "line items with negative (net) amortized cost whose source line has none",
          _zero(f"{F}.int_aws__cost_line_items", "billing_period"),
          _count(f"{F}.int_aws__cost_line_items", "billing_period",
                 f"(net_amortized_cost < 0 OR amortized_cost < 0) AND unblended_cost >= 0 "
                 f"AND line_item_type NOT IN {AWS_NEGATIVE_TYPES!r}")),
    # EKS / ECS split cost allocation: the pods' split + unused cost re-cut each parent EC2 instance's amortized
    # instance-hour cost, per month (to the cent in total, and no instance off by half a cent or more)
    # (expected: one row per period and currency, 0 without split cost allocation data, so every month is recorded)
    Check("split_cost_vs_parent_instances", "parent EC2 instances' amortized cost = their pods' / tasks' split + unused cost",
          _sum_by(f"{F}.int_aws__cost_line_items", "billing_period", f"if({SPLIT_PARENT_LINES}, amortized_cost, toDecimal128(0, 10))"),
          _sum_by(f"{F}.int_aws__container_cost_daily", "billing_period", "split_cost + unused_cost",
                  "parent_resource_id != ''")),
    Check("split_cost_instances_off", "parent EC2 instances whose pods' split + unused cost differs from their cost",
          _zero(f"{F}.int_aws__cost_line_items", "billing_period"),
          f"SELECT period, '' AS currency_, toDecimal128(countIf(abs(pods_cost - instance_cost) >= {TOLERANCE}), 10) "
          f"FROM (SELECT billing_period AS period, parent_resource_id, currency, sum(split_cost + unused_cost) AS pods_cost "
          f"FROM {F}.int_aws__container_cost_daily WHERE parent_resource_id != '' "
          f"GROUP BY period, parent_resource_id, currency) AS p LEFT JOIN "
          f"(SELECT billing_period AS period, resource_id AS parent_resource_id, currency, sum(amortized_cost) AS instance_cost "
          f"FROM {F}.int_aws__cost_line_items WHERE {SPLIT_PARENT_LINES} GROUP BY period, parent_resource_id, currency) AS i "
          f"USING (period, parent_resource_id, currency) GROUP BY period"),
]

def focus_export_checks(staging: str, staging_period: str, line_items: str, period: str, read: str) -> list[Check]:
    """A native FOCUS export's raw rows (`read`: which of them count) = its typed line items: BilledCost,
    EffectiveCost and rows per period."""
    checks = [
        Check(f"focus_export_vs_line_items_{name}", f"FOCUS export {column} ({read}) = {line_items}",
              _sum_by(f"{F}.{staging}", staging_period, _money(raw), currency="billing_currency"),
              _sum_by(f"{F}.{line_items}", period, column, currency="BillingCurrency"), requires=f"{F}.{staging}")
        for name, column, raw in (("billed", "BilledCost", "billed_cost"), ("effective", "EffectiveCost", "effective_cost"))
    ]
    checks.append(Check(
        "focus_export_row_count", f"FOCUS export rows ({read}) = {line_items} rows",
        f"SELECT {staging_period} AS period, '' AS currency_, toDecimal128(count(), 10) FROM {F}.{staging} GROUP BY period",
        f"SELECT {period} AS period, '' AS currency_, toDecimal128(count(), 10) FROM {F}.{line_items} GROUP BY period",
        requires=f"{F}.{staging}"))
    return checks


# AWS's Data Exports FOCUS 1.2 export, when one is loaded (include/sources/aws_cur/focus.py).
AWS_FOCUS_EXPORT_CHECKS = focus_export_checks("stg_aws__focus_export", "billing_period", "int_aws__focus_line_items",
                                              "billing_period", "newest completed load")

# The billing export, when one is loaded (a deployment may load only the FOCUS table).
GCP_CHECKS = [
    Check("raw_vs_line_items_cost", "export cost (completed loads, one row per row_key) = int_gcp__cost_line_items",
          _sum_by(f"{F}.stg_gcp__billing_export", "invoice_period", _money("cost"), currency="ifNull(currency, 'USD')"),
          _sum_by(f"{F}.int_gcp__cost_line_items", "invoice_month", "cost"), requires=f"{F}.stg_gcp__billing_export"),
    Check("raw_vs_line_items_credits", "export credits.amount (every credit) = int_gcp__cost_line_items credits",
          _sum_by(f"{F}.stg_gcp__billing_export", "invoice_period",
                  "arraySum(arrayMap(c -> " + _money("JSONExtractFloat(c, 'amount')") +
                  ", JSONExtractArrayRaw(ifNull(credits, '[]'))))", currency="ifNull(currency, 'USD')"),
          _sum_by(f"{F}.int_gcp__cost_line_items", "invoice_month", "credits"), requires=f"{F}.stg_gcp__billing_export"),
    Check("line_items_vs_daily_net_cost", "int_gcp__cost_line_items = int_gcp__cost_daily, cost + credits",
          _sum_by(f"{F}.int_gcp__cost_line_items", "invoice_month", "net_cost"),
          _sum_by(f"{F}.int_gcp__cost_daily", "invoice_month", "net_cost"), requires=f"{F}.stg_gcp__billing_export"),
    Check("duplicate_line_item_keys", "export rows sharing a row_key in int_gcp__cost_line_items",
          _zero(f"{F}.int_gcp__cost_line_items", "invoice_month"),
          f"SELECT invoice_month AS period, '' AS currency_, toDecimal128(count() - uniqExact(row_key), 10) "
          f"FROM {F}.int_gcp__cost_line_items GROUP BY period", requires=f"{F}.stg_gcp__billing_export"),
]

# Google Cloud's FOCUS export table, when one is loaded (include/sources/gcp_billing/focus.py).
GCP_FOCUS_EXPORT_CHECKS = focus_export_checks("stg_gcp__focus_export", "invoice_period", "int_gcp__focus_line_items",
                                              "invoice_month", "completed loads, one row per row_key")

# A commitment discount's Purchase row of the Azure export, whose EffectiveCost int_azure__cost_line_items zeroes
# (focus_export_columns.jinja: Cost Management also amortizes it onto the Used / Unused rows). A month's raw
# rows may lack CommitmentDiscountId or x_AmortizationClass: COLUMNS() expands to the column when there is one.
AZURE_COMMITMENT_PURCHASE = (
    "ChargeCategory = 'Purchase' AND (arrayExists(v -> ifNull(toString(v), '') != '', "
    "['', COLUMNS('^CommitmentDiscountId$')]) OR has(['', COLUMNS('^x_AmortizationClass$')], 'Principal'))")

AZURE_CHECKS = [
    Check("raw_vs_line_items_billed", "FOCUS export BilledCost (newest completed load) = int_azure__cost_line_items",
          _sum_by(f"{F}.stg_azure__focus_costs", "billing_period", _money("BilledCost"), currency="BillingCurrency"),
          _sum_by(f"{F}.int_azure__cost_line_items", "billing_period", "BilledCost", currency="BillingCurrency")),
    Check("raw_vs_line_items_effective", "FOCUS export EffectiveCost (newest completed load; 0 on a commitment's "
          "Purchase row) = int_azure__cost_line_items",
          _sum_by(f"{F}.stg_azure__focus_costs", "billing_period",
                  f"if({AZURE_COMMITMENT_PURCHASE}, toDecimal128(0, 10), {_money('EffectiveCost')})",
                  currency="BillingCurrency"),
          _sum_by(f"{F}.int_azure__cost_line_items", "billing_period", "EffectiveCost", currency="BillingCurrency")),
    Check("line_items_vs_daily_billed", "int_azure__cost_line_items = int_azure__cost_daily, BilledCost",
          _sum_by(f"{F}.int_azure__cost_line_items", "billing_period", "BilledCost", currency="BillingCurrency"),
          _sum_by(f"{F}.int_azure__cost_daily", "billing_period", "billed_cost")),
    Check("line_items_vs_daily_effective", "int_azure__cost_line_items = int_azure__cost_daily, EffectiveCost",
          _sum_by(f"{F}.int_azure__cost_line_items", "billing_period", "EffectiveCost", currency="BillingCurrency"),
          _sum_by(f"{F}.int_azure__cost_daily", "billing_period", "effective_cost")),
    Check("row_count", "FOCUS export rows (newest completed load) = int_azure__cost_line_items rows",
          f"SELECT billing_period AS period, '' AS currency_, toDecimal128(count(), 10) FROM {F}.stg_azure__focus_costs "
          "GROUP BY period",
          f"SELECT billing_period AS period, '' AS currency_, toDecimal128(count(), 10) FROM {F}.int_azure__cost_line_items "
          "GROUP BY period"),
]

STRIPE_CHECKS = [
    Check("raw_vs_daily_net", "balance transactions net (major units) = int_stripe__balance_daily net",
          # minor units summed first, converted once per month and currency (an unlisted currency has 2 decimals)
          f"SELECT period, currency_, toDecimal128(toDecimal128(net_minor, 10) / if(any(e.divisor) = 0, 100, any(e.divisor)), 10) "
          f"FROM (SELECT formatDateTime(toDate(created, 'UTC'), '%Y-%m') AS period, upper(currency) AS currency_, "
          f"sum(net) AS net_minor FROM {F}.stg_stripe__balance_transactions GROUP BY period, currency_) AS b "
          f"LEFT JOIN {F}.currency_exponents AS e ON e.currency = lower(b.currency_) GROUP BY period, currency_, net_minor",
          _sum_by(f"{F}.int_stripe__balance_daily", "month", "net")),
]



# Per provider, how int_cloud_cost_inputs names each input, and the columns of its native table and of its
# FOCUS export's line items that hold the account and the month.
COUNTED_INPUTS = {
    "aws": {"native_input": "cur", "account": "payer_account_id", "month": "billing_period",
            "focus_table": f"{F}.int_aws__focus_line_items", "focus_month": "billing_period"},
    "gcp": {"native_input": "billing_export", "account": "billing_account_id", "month": "invoice_month",
            "focus_table": f"{F}.int_gcp__focus_line_items", "focus_month": "invoice_month"},
}


def _counted(provider: str, native_table: str, native_value: str, focus_value: str) -> str:
    """A cloud's cost per period and currency from the input that counts for each billing account and month
    (int_cloud_cost_inputs): the native table's `native_value` (CUR, billing export), or the FOCUS export's
    `focus_value`; never both."""
    inputs = COUNTED_INPUTS[provider]
    counted = (f"SELECT billing_account_id, month FROM {F}.int_cloud_cost_inputs "
               f"WHERE provider = '{provider}' AND counted = 1")
    return (f"SELECT period, currency_, toDecimal128(sum(v), 10) FROM ("
            f"SELECT {inputs['month']} AS period, upper(currency) AS currency_, {native_value} AS v FROM {native_table} "
            f"WHERE ({inputs['account']}, {inputs['month']}) IN ({counted} AND input = '{inputs['native_input']}') "
            f"UNION ALL "
            f"SELECT {inputs['focus_month']}, upper(BillingCurrency), {focus_value} FROM {inputs['focus_table']} "
            f"WHERE (BillingAccountId, {inputs['focus_month']}) IN ({counted} AND input = 'focus_export')) "
            f"GROUP BY period, currency_")


def _forecast_cost_to_date(provider: str) -> Check:
    """The forecast's month to date is the month's effective cost as int_cloud_cost_daily has it, per provider and
    month the forecast covers (a month with no usage dated in it has no forecast): catches a join that counts a
    charge series twice."""
    return Check("forecast_cost_to_date",
                 f"{provider} int_cloud_cost_daily effective_cost = cost_forecast cost_to_date (the months forecast)",
                 _sum_by(f"{F}.int_cloud_cost_daily", "month", "effective_cost",
                         f"provider = '{provider}' AND month IN (SELECT month FROM {F}.cost_forecast "
                         f"WHERE provider = '{provider}')"),
                 _sum_by(f"{F}.cost_forecast", "month", "cost_to_date", f"provider = '{provider}'"))


# The cross-provider marts against the provider's daily and line-item tables (run_checks("marts")). AWS: the
# input that counts for each payer account and month (the CUR, or the FOCUS export), never both.
AWS_MART_CHECKS = [
    Check("daily_vs_cost_daily_billed", "AWS counted daily net unblended / FOCUS export BilledCost = fct_cost_daily billed_cost",
          _counted("aws", f"{F}.int_aws__cost_daily", "net_unblended_cost", "BilledCost"),
          _sum_by(f"{F}.fct_cost_daily", "month", "billed_cost", "provider = 'aws'")),
    Check("focus_billed_cost", "AWS counted line items net unblended / FOCUS export BilledCost = FOCUS BilledCost",
          _counted("aws", f"{F}.int_aws__cost_line_items", "net_unblended_cost", "BilledCost"),
          _sum_by(f"{F}.focus", "x_BillingMonth", "BilledCost", "x_Provider = 'aws'", "BillingCurrency")),
    Check("focus_effective_cost", "AWS counted line items net amortized / FOCUS export EffectiveCost = FOCUS EffectiveCost",
          _counted("aws", f"{F}.int_aws__cost_line_items", "net_amortized_cost", "EffectiveCost"),
          _sum_by(f"{F}.focus", "x_BillingMonth", "EffectiveCost", "x_Provider = 'aws'", "BillingCurrency")),
    Check("margin_billed_cost", "AWS counted daily net unblended / FOCUS export BilledCost = monthly_cloud_costs billed_cost",
          _counted("aws", f"{F}.int_aws__cost_daily", "net_unblended_cost", "BilledCost"),
          _sum_by(f"{F}.monthly_cloud_costs", "month", "billed_cost", "provider = 'aws'")),
    Check("showback_total", "AWS counted line items net unblended / FOCUS export BilledCost = showback_monthly total_cost (allocation)",
          _counted("aws", f"{F}.int_aws__cost_line_items", "net_unblended_cost", "BilledCost"),
          _sum_by(f"{F}.showback_monthly", "month", "total_cost", "provider = 'aws'")),
    Check("commitment_fees", "AWS counted Savings Plan / RI fee lines (unblended) / FOCUS export commitment Purchase rows "
          "(BilledCost) = commitment_utilization_monthly fee_cost",
          # every month of the bill is checked, one without commitments as 0 = 0
          _counted("aws", f"{F}.int_aws__cost_line_items",
                   "if(line_item_type IN ('SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee', 'RIFee') "
                   "OR (line_item_type = 'Fee' AND commitment_type = 'Reserved Instance'), unblended_cost, toDecimal128(0, 10))",
                   "if(ChargeCategory = 'Purchase' AND ifNull(CommitmentDiscountId, '') != '', BilledCost, toDecimal128(0, 10))"),
          _sum_by(f"{F}.commitment_utilization_monthly", "month", "fee_cost", "provider = 'aws'")),
    _forecast_cost_to_date("aws"),
]

# GCP: the input that counts for each billing account and month (the billing export, or the FOCUS table), never both.
GCP_MART_CHECKS = [
    Check("daily_vs_cost_daily_billed",
          "GCP counted int_gcp__cost_daily net cost / FOCUS table BilledCost = fct_cost_daily billed_cost",
          _counted("gcp", f"{F}.int_gcp__cost_daily", "net_cost", "BilledCost"),
          _sum_by(f"{F}.fct_cost_daily", "month", "billed_cost", "provider = 'gcp'")),
    Check("focus_billed_cost", "GCP counted int_gcp__cost_line_items cost + credits / FOCUS table BilledCost = FOCUS BilledCost",
          _counted("gcp", f"{F}.int_gcp__cost_line_items", "net_cost", "BilledCost"),
          _sum_by(f"{F}.focus", "x_BillingMonth", "BilledCost", "x_Provider = 'gcp'", "BillingCurrency")),
    Check("focus_effective_cost",
          "GCP counted int_gcp__cost_line_items cost + credits / FOCUS table EffectiveCost = FOCUS EffectiveCost",
          _counted("gcp", f"{F}.int_gcp__cost_line_items", "net_cost", "EffectiveCost"),
          _sum_by(f"{F}.focus", "x_BillingMonth", "EffectiveCost", "x_Provider = 'gcp'", "BillingCurrency")),
    Check("margin_billed_cost",
          "GCP counted int_gcp__cost_daily net cost / FOCUS table BilledCost = monthly_cloud_costs billed_cost",
          _counted("gcp", f"{F}.int_gcp__cost_daily", "net_cost", "BilledCost"),
          _sum_by(f"{F}.monthly_cloud_costs", "month", "billed_cost", "provider = 'gcp'")),
    Check("showback_total",
          "GCP counted int_gcp__cost_line_items cost + credits / FOCUS table BilledCost = showback_monthly total_cost (allocation)",
          _counted("gcp", f"{F}.int_gcp__cost_line_items", "net_cost", "BilledCost"),
          _sum_by(f"{F}.showback_monthly", "month", "total_cost", "provider = 'gcp'")),
    Check("commitment_fees", "GCP counted commitment fee rows (Commitment SKUs; cost before credits, the FOCUS table's "
          "ContractedCost) = commitment_utilization_monthly fee_cost",
          _counted("gcp", f"{F}.int_gcp__cost_line_items",
                   "if(startsWith(sku_description, 'Commitment'), cost, toDecimal128(0, 10))",
                   "if(startsWith(ifNull(ChargeDescription, ''), 'Commitment'), ContractedCost, toDecimal128(0, 10))"),
          _sum_by(f"{F}.commitment_utilization_monthly", "month", "fee_cost", "provider = 'gcp'")),
    _forecast_cost_to_date("gcp"),
]

AZURE_MART_CHECKS = [
    Check("daily_vs_cost_daily_billed", "int_azure__cost_daily BilledCost = fct_cost_daily billed_cost",
          _sum_by(f"{F}.int_azure__cost_daily", "billing_period", "billed_cost"),
          _sum_by(f"{F}.fct_cost_daily", "month", "billed_cost", "provider = 'azure'")),
    Check("focus_billed_cost", "int_azure__cost_line_items BilledCost = FOCUS BilledCost",
          _sum_by(f"{F}.int_azure__cost_line_items", "billing_period", "BilledCost", currency="BillingCurrency"),
          _sum_by(f"{F}.focus", "x_BillingMonth", "BilledCost", "x_Provider = 'azure'", "BillingCurrency")),
    Check("focus_effective_cost", "int_azure__cost_line_items EffectiveCost = FOCUS EffectiveCost",
          _sum_by(f"{F}.int_azure__cost_line_items", "billing_period", "EffectiveCost", currency="BillingCurrency"),
          _sum_by(f"{F}.focus", "x_BillingMonth", "EffectiveCost", "x_Provider = 'azure'", "BillingCurrency")),
    Check("margin_billed_cost", "int_azure__cost_daily BilledCost = monthly_cloud_costs billed_cost",
          _sum_by(f"{F}.int_azure__cost_daily", "billing_period", "billed_cost"),
          _sum_by(f"{F}.monthly_cloud_costs", "month", "billed_cost", "provider = 'azure'")),
    Check("commitment_fees", "the export's commitment Purchase rows (BilledCost) = commitment_utilization_monthly fee_cost",
          _sum_by(f"{F}.int_azure__cost_line_items", "billing_period",
                  "if(ChargeCategory = 'Purchase' AND ifNull(CommitmentDiscountId, '') != '', BilledCost, toDecimal128(0, 10))",
                  currency="BillingCurrency"),
          _sum_by(f"{F}.commitment_utilization_monthly", "month", "fee_cost", "provider = 'azure'")),
    Check("showback_total", "int_azure__cost_line_items BilledCost = showback_monthly total_cost (allocation)",
          _sum_by(f"{F}.int_azure__cost_line_items", "billing_period", "BilledCost", currency="BillingCurrency"),
          _sum_by(f"{F}.showback_monthly", "month", "total_cost", "provider = 'azure'")),
    _forecast_cost_to_date("azure"),
]

# Cost per customer against the month's converted bill (both in the reporting currency, by independent paths).
CUSTOMER_MART_CHECKS = [
    Check("customer_cost_total", "unit_economics_monthly cloud_billed_cost = customer_margin_monthly allocated_cost",
          _sum_by(f"{F}.unit_economics_monthly", "month", "cloud_billed_cost", currency="reporting_currency"),
          _sum_by(f"{F}.customer_margin_monthly", "month", "allocated_cost", "1 = 1", currency="reporting_currency")),
]

# Per target: the checks of each provider (provider targets: their raw, intermediate and daily tables).
CHECKS = {
    "aws": {"aws": AWS_CHECKS + AWS_FOCUS_EXPORT_CHECKS},
    "azure": {"azure": AZURE_CHECKS},
    "gcp": {"gcp": GCP_CHECKS + GCP_FOCUS_EXPORT_CHECKS},
    "stripe": {"stripe": STRIPE_CHECKS},
    "marts": {"aws": AWS_MART_CHECKS, "gcp": GCP_MART_CHECKS, "azure": AZURE_MART_CHECKS,
              "customers": CUSTOMER_MART_CHECKS},
}
