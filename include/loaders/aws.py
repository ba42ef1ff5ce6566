"""The `aws_costs` load task: CUR files (and FOCUS 1.2 exports) from S3 into the raw `aws_costs` dataset.

CUR 2.0 and legacy CUR land in `cur_line_items`, a Data Exports "FOCUS 1.2 with AWS columns" export in
`focus_export` (include/sources/aws_cur/focus.py). The Variable names one export (`export_name`,
`export_format`) or several (`exports`: [{"export_name": ..., "export_format": ...}], e.g. a CUR 2.0 and a
FOCUS export of the same bill); which of them counts when both cover an account and month is the SQL's
choice (`cost_inputs` in finops_sql_config, include/sql/intermediate/int_cloud_cost_inputs.sql).

Each billing period is its own dlt load, which replaces exactly that period's rows
(include/loaders/period_loads.py): files in `raw/aws_costs/cur_line_items/<YYYY-MM>/` on the
filesystem, dlt's delete-insert merge on `billing_period` on ClickHouse.
"""

from __future__ import annotations

from include import settings
from include.load_summary import LoadReport
from include.loaders.period_loads import Delivery, PeriodExport, load_periods
from include.run_intent import LoadRequest

CONFIG_VARIABLE = settings.AWS_CONFIG_VARIABLE
DEFAULT_CONFIG = {
    "aws_conn_id": settings.AWS_CONN_ID,
    "bucket": None,
    "prefix": "cur",
    "export_name": "finops",  # the Data Exports export name, or the legacy CUR report name
    "export_format": "auto",  # cur2 | legacy | focus | auto (detected from the bucket layout and columns)
    # Several exports in the bucket and prefix, each {"export_name", "export_format"}: replaces the two above.
    "exports": None,
    # None: scheduled runs reload every billing period AWS re-delivered since its last load, however old (with
    # "refresh closed reports", AWS re-delivers a closed month when it finds late refunds, credits or support
    # fees). A number N: only the run's month and the N - 1 before it; older months are loaded once, then frozen.
    "refresh_months": None,
}
DATASET = "aws_costs"


def credentials_from_connection(aws_conn_id: str) -> dict:
    """S3 credentials through the Amazon provider's hook: keys, assumed role or instance profile,
    and `endpoint_url` from the connection's extra for S3-compatible storage."""
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    hook = AwsBaseHook(aws_conn_id=aws_conn_id, client_type="s3")
    credentials = hook.get_credentials()  # also masks the secret key and session token in task logs
    return {
        "aws_access_key_id": credentials.access_key,
        "aws_secret_access_key": credentials.secret_key,
        "aws_session_token": credentials.token,
        # The connection's region, else boto3's default chain (environment, profile). Not
        # `hook.conn_region_name`: that builds a whole boto3 S3 client (0.1-0.2 s) only to read it,
        # and with a role to assume, a second session (another STS AssumeRole call).
        "region_name": hook.region_name or hook.get_session().region_name,
        "endpoint_url": hook.conn_config.endpoint_url,
    }


def load(request: LoadRequest, config: dict | None = None) -> LoadReport:
    """Load the CUR billing periods `request` asks for (which ones: include.loaders.period_loads.load_periods);
    returns what was loaded, per billing period.
    `config` overrides the Airflow Variable `aws_costs_config` (merged over DEFAULT_CONFIG).
    """
    from include.pipelines import configure_dlt, loading_modules

    report = LoadReport(DATASET, request.intent, unit=request.unit)
    if request.nothing_to_load:
        return report
    configure_dlt()
    with loading_modules():  # dlt, Airflow (Variable), the Amazon provider's hook and boto3
        from include.sources.aws_cur import RAW_TABLES, aws_cur_source, list_deliveries

        config = {**DEFAULT_CONFIG, **config} if config is not None else settings.variable_json(
            CONFIG_VARIABLE, DEFAULT_CONFIG)
        if not config["bucket"]:
            raise ValueError(f"Airflow Variable {CONFIG_VARIABLE!r} must name the CUR export's S3 `bucket`")
        credentials = credentials_from_connection(config["aws_conn_id"])
    exports = config["exports"] or [{"export_name": config["export_name"], "export_format": config["export_format"]}]
    tables: dict[str, str] = {}
    reports = []
    for entry in exports:
        name, wanted = entry["export_name"], entry.get("export_format", "auto")
        export_format, deliveries = list_deliveries(config["bucket"], config["prefix"], name, credentials, wanted)
        raw_table = RAW_TABLES[export_format]
        if raw_table in tables:  # each loads a period by replacing it: the second would erase the first
            raise ValueError(f"exports {tables[raw_table]!r} and {name!r} both land in aws_costs.{raw_table}: "
                             "configure one CUR export and at most one FOCUS export")
        tables[raw_table] = name
        where = f"s3://{config['bucket']}/{config['prefix']}/{name}/"
        export = PeriodExport(
            "AWS", DATASET, raw_table, where,
            [Delivery(d.billing_period, d.execution_id, len(d.data_files), d) for d in deliveries],
            make_source=lambda delivery, name=name, export_format=export_format, **how: aws_cur_source(
                config["bucket"], config["prefix"], name, credentials, export_format=export_format,
                deliveries=[delivery], **how,  # discovered once above
            ),
        )
        reports.append(load_periods(request, LoadReport(DATASET, request.intent, unit=request.unit), export,
                                    config["refresh_months"]))
    return reports[0] if len(reports) == 1 else merge_reports(report, reports)


def merge_reports(report: LoadReport, reports: list[LoadReport]) -> LoadReport:
    """One report of several exports' loads: per period, the rows of every export that loaded it (a
    period is `loaded` when any export loaded it, else what the first export said)."""
    for part in reports:
        for period, entry in part.periods.items():
            mine = report.periods.get(period)
            if mine is None or (entry["status"] == "loaded" and mine["status"] != "loaded"):
                report.periods[period] = dict(entry)
            elif entry["status"] == "loaded":
                mine["rows"] += entry["rows"]
        for table, count in part.tables.items():
            report.tables[table] = report.tables.get(table, 0) + count
    return report
