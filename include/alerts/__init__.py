"""Alerts through Airflow notifiers, one job per module:

* `failure`: a failed task's alert (every task's `on_failure_callback`, `include/dag_config.py`);
* `events`: what deserves an alert: budgets at risk or over, cost anomalies, failed reconciliation checks;
* `alert_log`: what was sent, per event and channel (`finops.alert_log`): one alert per event, again only when worse;
* `channels`, `webhook`, `mail`: the channels the Airflow connections configure, as notifiers;
* `config`: the Variable `finops_alerts_config` (dashboard link, repeat margin);
* `send`: `send_alerts()`, the alert task of `finops_marts`, and `ReconciliationAlert`, its checks' failure path.

Light imports only: DAG files import this package when they are parsed.
"""

from include.alerts.failure import ALERT_CONN_ID, FailureAlert, failure_message

__all__ = ["ALERT_CONN_ID", "FailureAlert", "failure_message"]
