"""Every load task ends with a summary: per period loaded (rows, delivery id, load id), unchanged or
skipped and why; progress is logged per period with its files."""

import logging
from datetime import date

from include.loaders import aws as aws_loader
from include.run_intent import LoadRequest, RunIntent, request_for
from standins.sample_data.aws import generate_cur2_month, write_cur2_period


class Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_aws_load_summary_says_what_happened_to_each_period(s3_server, aws_airflow):  # noqa: F811
    client = s3_server.client()
    write_cur2_period(client, aws_airflow, "2026-08", generate_cur2_month("2026-08", 400), rows_per_file=150)
    write_cur2_period(client, aws_airflow, "2026-09", generate_cur2_month("2026-09", 500))
    aws_loader.load(request_for("aws_costs", run_date=date(2026, 9, 15))).rows_by_period()

    lines = Lines()  # Airflow's logging config bypasses caplog
    loggers = [logging.getLogger(name) for name in ("include.load_summary", "include.sources.aws_cur")]
    for logger in loggers:
        logger.addHandler(lines)
        logger.setLevel(logging.INFO)
    write_cur2_period(client, aws_airflow, "2026-09", generate_cur2_month("2026-09", 600, seed=3))
    intent = RunIntent("scheduled", None, False, "scheduled run: re-check the refresh window",
                       skipped={"2026-07": "not in this run's window"})
    summary = aws_loader.load(LoadRequest("aws_costs", intent, date(2026, 9, 16))).finish()

    august, september = summary["periods"]["2026-08"], summary["periods"]["2026-09"]
    assert august == {"status": "unchanged", "rows": 0, "reason": "AWS did not re-deliver it since its last load",
                      "delivery": august["delivery"]}
    assert september["status"] == "loaded" and september["rows"] == 600
    assert september["delivery"] and september["load_id"] and september["files"] == 1
    assert summary["periods"]["2026-07"] == {"status": "skipped", "rows": 0, "reason": "not in this run's window"}
    assert (summary["checked"], summary["loaded"], summary["unchanged"], summary["skipped"]) == (2, 1, 1, 1)
    assert summary["rows_loaded"] == 600 and summary["tables"]["cur_line_items"] == 600
    for logger in loggers:
        logger.removeHandler(lines)
    log = "\n".join(lines.lines)
    assert f"billing period 2026-08 (1 of 2): checking (delivery {august['delivery']}, 3 files)" in log
    assert "billing period 2026-09: file 1 of 1 read, 600 rows (600 rows so far)" in log
    assert "load summary for aws_costs: 2 billing period(s) checked, 1 loaded (600 rows), 1 unchanged, 1 skipped" in log
    assert f"2026-09: loaded 600 rows (delivery {september['delivery']}, load_id {september['load_id']})" in log


def test_a_backfill_period_aws_never_delivered_is_skipped_with_the_reason(s3_server, aws_airflow):  # noqa: F811
    write_cur2_period(s3_server.client(), aws_airflow, "2026-09", generate_cur2_month("2026-09", 100))
    report = aws_loader.load(request_for("aws_costs", run_date=date(2026, 3, 5), run_type="backfill"))
    assert report.rows_by_period() == {}
    entry = report.summary()["periods"]["2026-03"]
    assert entry["status"] == "skipped" and "no manifest" in entry["reason"]
