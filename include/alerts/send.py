"""Send the alerts the marts call for, each once per channel, and again only when it gets worse.

`send_alerts()` is the `send_alerts` task of `finops_marts` (after its checks passed);
`ReconciliationAlert` is the checks' failure path (`on_failure_callback` of `check_marts`), which
sends the failed checks. Both read the events from the marts (include/alerts/events.py), compare each
with what its channel was last sent (finops.alert_log) and write the log only after the channel took
the alert: a failed send is tried again on the next run, never silently lost.
"""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal

from airflow.sdk.bases.notifier import BaseNotifier

log = logging.getLogger(__name__)


def due(event, last: tuple[int, Decimal] | None) -> str | None:
    """'send' when the event is new or worse than what the channel was last sent, 'resolve' when an
    event the channel was alerted about is over (level 0), else None."""
    if event.level == 0:
        return "resolve" if last is not None and last[0] > 0 else None
    if last is None or event.level > last[0]:
        return "send"
    grown = event.measure - last[1]
    if event.level == last[0] and grown > 0 and grown >= event.repeat_step:
        return "send"
    return None


def collect_events(client, kinds, sql_config: dict | None, alerts_config: dict | None) -> list:
    from include.alerts import events
    from include.alerts.config import alerts_config as validated_alerts_config
    from include.transform.config import sql_config as validated_sql_config

    settings = validated_alerts_config(alerts_config)
    found = []
    if "budget" in kinds:
        budgets = validated_sql_config(sql_config)["budgets"]
        found += events.budget_events(client, budgets, settings["dashboard_url"], settings["budget_margin_pct"])
    if "anomaly" in kinds:
        found += events.anomaly_events(client, settings["dashboard_url"])
    if "reconciliation" in kinds:
        found += events.reconciliation_events(client, settings["dashboard_url"])
    return found


def send_alerts(destination: str | None = None, run_id: str | None = None, kinds=("budget", "anomaly", "reconciliation"),
                sql_config: dict | None = None, alerts_config: dict | None = None, context=None) -> dict:
    """Alerts due per channel, sent through its notifier and then logged. `sql_config` / `alerts_config`
    override the Variables (tests). Raises AlertDeliveryError after trying every alert when any failed."""
    from include.alerts import alert_log
    from include.alerts.channels import configured_channels
    from include.alerts.webhook import AlertDeliveryError
    from include.clickhouse import clickhouse_client

    run_id = run_id or f"manual__{uuid.uuid4().hex[:12]}"
    channels = configured_channels()
    sent, resolved, failed, unsent = [], 0, [], 0
    client = clickhouse_client(destination)
    try:
        alert_log.ensure(client)
        found = collect_events(client, kinds, sql_config, alerts_config)
        last = alert_log.last_sent(client)
        if not channels:  # alerting is off: say what would have gone out, keep no state
            pending = [event for event in found if due(event, None) == "send"]
            unsent = len(pending)
            for event in pending:
                log.warning("alert not sent (no Airflow connection for alerts configured): %s", event.text)
        for event in found:
            for channel in channels:
                action = due(event, last.get((event.key, channel.name)))
                if action == "resolve":
                    alert_log.record(client, event, channel.name, run_id)
                    resolved += 1
                elif action == "send":
                    try:
                        channel.notifier(event).notify(context or {})
                    except Exception as exc:  # every other alert is still tried; the task fails at the end
                        failed.append(f"{channel.name} ({channel.conn_id}): {event.subject}: {type(exc).__name__}: {exc}")
                        continue
                    alert_log.record(client, event, channel.name, run_id)
                    sent.append((channel.name, event.key))
                    log.info("alert sent by %s: %s", channel.name, event.text)
    finally:
        client.close()
    log.info("alerts: %d events, %d sent, %d resolved, %d failed, channels %s", len(found), len(sent), resolved,
             len(failed), [c.name for c in channels] or "none")
    if failed:
        raise AlertDeliveryError(f"{len(failed)} alert(s) not delivered (tried again on the next run):\n  "
                                 + "\n  ".join(failed))
    return {"events": len(found), "sent": len(sent), "resolved": resolved, "not_sent_without_channel": unsent,
            "channels": [c.name for c in channels]}


class ReconciliationAlert(BaseNotifier):
    """The checks' failure path: sends the failed reconciliation checks (one alert per check, period
    and currency, again when its difference grows)."""

    def notify(self, context) -> None:
        send_alerts(run_id=context.get("run_id"), kinds=("reconciliation",), context=context)
