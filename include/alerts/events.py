"""What deserves an alert, read from the marts: one `AlertEvent` per budget, flagged anomaly and
reconciliation check, with its identity (key), how bad it is (level, measure) and its message.

* budget (`finops.budget_status`): level 1 'at risk' (the month-end forecast is above the budget),
  2 'over' (the actual is); measure: the overrun, max(actual, forecast) - budget; 'on track' is level 0.
* anomaly (`finops.cost_anomalies`): one per provider, account, service, currency and day; measure: the jump
  above the expected cost.
* reconciliation (`finops.reconciliation_checks`, the newest run of each check): a failed check is
  level 1, measure |difference|; a check that passes is level 0 (so a check that fails again later is new).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from include import settings

F = settings.MART_DATABASE
CENT = Decimal("0.01")
KINDS = ("budget", "anomaly", "reconciliation")
BUDGET_LEVELS = {"on track": 0, "at risk": 1, "over": 2}
# Where each kind's dashboard is, under the Rill base URL (rill/dashboards/<name>.yaml).
DASHBOARD_PATHS = {
    "budget": "canvas/anomalies_and_forecast",
    "anomaly": "explore/cost_anomalies_explore",
    "reconciliation": "explore/reconciliation_explore",
}


@dataclass(frozen=True)
class AlertEvent:
    kind: str  # budget | anomaly | reconciliation
    key: str  # the event's identity: one alert per key, again only when worse
    level: int  # 0: nothing wrong (any more); higher is worse
    measure: Decimal  # how bad within a level (overrun, jump, |difference|)
    repeat_step: Decimal  # growth of `measure` worth a second alert at the same level
    subject: str
    text: str
    link: str
    figures: dict = field(default_factory=dict)  # exact figures (Decimal as text) for the webhook's JSON


def money(value: Decimal, currency: str) -> str:
    """An amount to the cent (Decimal rounding, never a float) with its currency: '1,234.57 USD'."""
    return f"{Decimal(value).quantize(CENT, ROUND_HALF_EVEN):,} {currency}".strip()


def _exact(value) -> str:
    return format(Decimal(value).normalize(), "f") if value is not None else ""


def describe_scope(budget: dict | None) -> str:
    """A validated budget's scope (include/transform/allocation.py) in words: 'provider aws, tag team=web'."""
    if budget is None:
        return "scope not in the current configuration"
    parts = []
    if budget.get("cost_centers"):
        parts.append(f"cost center {', '.join(budget['cost_centers'])}")
    for name, values in budget.get("scope", {}).items():
        if name == "tags":
            parts += [f"tag {column}={'|'.join(v or '(untagged)' for v in tag_values)}" for column, tag_values in values]
        else:
            parts.append(f"{name} {', '.join(values)}")
    return ", ".join(parts) or "all cost"


def _table_exists(client, table: str) -> bool:
    return bool(client.command(f"EXISTS TABLE {table}"))


def budget_events(client, budgets: list[dict], dashboard_url: str, margin_pct: Decimal) -> list[AlertEvent]:
    if not _table_exists(client, f"{F}.budget_status"):
        return []
    scopes = {(b["name"], b["month"]): b for b in budgets}
    link = f"{dashboard_url}/{DASHBOARD_PATHS['budget']}"
    events = []
    rows = client.query(f"SELECT budget_name, month, currency, budget_amount, actual_cost, forecast_cost, status, "
                        f"missing_fx FROM {F}.budget_status ORDER BY month, budget_name").result_rows
    for name, month, currency, amount, actual, forecast, status, missing_fx in rows:
        overrun = max(actual, forecast) - amount
        scope = describe_scope(scopes.get((name, month)))
        pct = (max(actual, forecast) / amount * 100).quantize(CENT) if amount else Decimal(0)
        subject = f"FinOps budget {name!r} {month}: {status.upper()}"
        text = (f"{subject} ({scope}). Budget {money(amount, currency)}; actual to date {money(actual, currency)}; "
                f"month-end forecast {money(forecast, currency)}; projected overrun "
                f"{money(max(overrun, Decimal(0)), currency)} ({pct}% of budget).")
        if missing_fx:
            text += f" Left out for want of an fx rate: cost in {', '.join(missing_fx)}."
        events.append(AlertEvent(
            kind="budget", key=f"budget|{name}|{month}", level=BUDGET_LEVELS[status], measure=overrun,
            repeat_step=amount * margin_pct / 100, subject=subject, text=f"{text} Dashboard: {link}", link=link,
            figures={"budget_name": name, "month": month, "scope": scope, "status": status, "currency": currency,
                     "budget_amount": _exact(amount), "actual_cost": _exact(actual),
                     "forecast_cost": _exact(forecast), "overrun": _exact(overrun)}))
    return events


def anomaly_events(client, dashboard_url: str) -> list[AlertEvent]:
    if not _table_exists(client, f"{F}.cost_anomalies"):
        return []
    link = f"{dashboard_url}/{DASHBOARD_PATHS['anomaly']}"
    events = []
    rows = client.query(f"SELECT provider, usage_date, account_id, account_name, service_name, currency, actual_cost, "
                        f"expected_cost, jump, jump_pct, z_score FROM {F}.cost_anomalies "
                        f"ORDER BY usage_date, provider, account_id, service_name, currency").result_rows
    for provider, day, account, account_name, service, currency, actual, expected, jump, jump_pct, z_score in rows:
        where = f"{provider} account {account}" + (f" ({account_name})" if account_name and account_name != account else "")
        subject = f"FinOps cost anomaly: {service} in {where} on {day}"
        change = f" (+{jump_pct * 100:.0f}%)" if jump_pct is not None else ""
        text = (f"{subject}: usage cost {money(actual, currency)} against {money(expected, currency)} expected "
                f"(mean of the previous 14 days), +{money(jump, currency)}{change}"
                + (f", {z_score:.1f} standard deviations above the 28-day mean" if z_score is not None else "") + ".")
        events.append(AlertEvent(
            kind="anomaly", key=f"anomaly|{provider}|{account}|{service}|{currency}|{day}", level=1, measure=jump,
            repeat_step=CENT, subject=subject, text=f"{text} Dashboard: {link}", link=link,
            figures={"provider": provider, "usage_date": str(day), "account_id": account, "service_name": service,
                     "currency": currency, "actual_cost": _exact(actual), "expected_cost": _exact(expected),
                     "jump": _exact(jump)}))
    return events


def reconciliation_events(client, dashboard_url: str) -> list[AlertEvent]:
    """The newest result of each error-severity check (a provider DAG's checks and the marts' checks run
    apart, under the same provider); a warning never alerts."""
    if not _table_exists(client, f"{F}.reconciliation_checks"):
        return []
    link = f"{dashboard_url}/{DASHBOARD_PATHS['reconciliation']}"
    events = []
    rows = client.query(
        f"SELECT provider, run_id, check_name, period, currency, expected, actual, difference, passed, description "
        f"FROM {F}.reconciliation_checks WHERE severity = 'error' AND (provider, check_name, run_id) IN "
        f"(SELECT provider, check_name, argMax(run_id, checked_at) FROM {F}.reconciliation_checks "
        f"WHERE severity = 'error' GROUP BY provider, check_name) "
        f"ORDER BY provider, check_name, period, currency").result_rows
    for provider, run_id, check, period, currency, expected, actual, difference, passed, description in rows:
        subject = f"FinOps reconciliation check failed: {provider} {check} {period or '(no period)'}"
        amounts = (f"expected {money(expected, currency)}, actual {money(actual, currency)}, "
                   f"difference {money(difference, currency)}") if currency else (
                   f"expected {_exact(expected)}, actual {_exact(actual)}, difference {_exact(difference)}")
        text = f"{subject} {currency} (run {run_id}): {amounts}. {description}."
        events.append(AlertEvent(
            kind="reconciliation", key=f"reconciliation|{provider}|{check}|{period}|{currency}",
            level=0 if passed else 1, measure=abs(difference), repeat_step=CENT, subject=subject,
            text=f"{text} Dashboard: {link}", link=link,
            figures={"provider": provider, "check_name": check, "period": period, "currency": currency,
                     "run_id": run_id, "expected": _exact(expected), "actual": _exact(actual),
                     "difference": _exact(difference)}))
    return events
