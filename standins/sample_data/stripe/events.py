"""Events (`GET /v1/events`) for the objects made inside the window."""

from __future__ import annotations

import json

from standins.sample_data.stripe.account import SampleAccount


def active_snapshot(sub: dict) -> dict:
    """A copy of a subscription as it was while still active (for the events before its end)."""
    snapshot = json.loads(json.dumps(sub))
    snapshot.update(status="active", canceled_at=None, ended_at=None)
    snapshot["cancellation_details"] = {"comment": None, "feedback": None, "reason": None}
    return snapshot


def event(account: SampleAccount, type_: str, obj: dict, created: int, previous_attributes: dict | None = None) -> None:
    if not account.include_events or not account.start <= created < account.end:
        return
    data = {"object": json.loads(json.dumps(obj))}
    if previous_attributes is not None:
        data["previous_attributes"] = json.loads(json.dumps(previous_attributes))
    account.out["events"].append(
        {
            "id": account.new_id("evt"),
            "object": "event",
            "api_version": None,
            "created": created,
            "data": data,
            "livemode": False,
            "pending_webhooks": 0,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
        }
    )
