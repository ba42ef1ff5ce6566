"""Every Stripe call is bounded: a server that repeats a page, says `has_more` with nothing in it, or
asks to wait a day stops the load with an error that says so, in a bounded number of requests."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from include.sources.stripe_revenue.client import RetryPolicy, StripeLoadError, StripePagingError, iter_stripe_list


class _Obj(dict):
    def to_dict(self, recursive=True, for_json=True):
        return dict(self)


def _pages(answer):
    """A `list_fn` whose pages come from `answer(request_params)`; records every request."""
    requests = []

    def list_fn(params):
        requests.append(dict(params))
        data, has_more = answer(params)
        return SimpleNamespace(object="list", data=[_Obj(id=i) for i in data], has_more=has_more)

    return list_fn, requests


def test_a_server_repeating_the_same_page_is_stopped():
    list_fn, requests = _pages(lambda params: (["ch_3", "ch_2", "ch_1"], True))  # ignores starting_after
    with pytest.raises(StripePagingError, match=r"charges list: the cursor does not advance: the page ends at 'ch_1'"):
        list(iter_stripe_list(list_fn, "charges"))
    assert len(requests) == 2  # the first page, then the same page again


def test_a_cursor_going_back_to_an_earlier_page_is_stopped():
    def answer(params):  # page 1 ends at ch_2, page 2 (after ch_2) ends at ch_2's predecessor... then page 1 again
        return {None: (["ch_4", "ch_3"], True), "ch_3": (["ch_2", "ch_1"], True)}.get(
            params.get("starting_after"), (["ch_4", "ch_3"], True))

    list_fn, requests = _pages(answer)
    with pytest.raises(StripePagingError, match="does not advance"):
        list(iter_stripe_list(list_fn, "charges"))
    assert len(requests) == 3


def test_has_more_with_an_empty_page_is_a_clear_error():
    list_fn, requests = _pages(lambda params: ([], True))
    with pytest.raises(StripePagingError, match="balance_transactions list: the API says has_more but returned no objects"):
        list(iter_stripe_list(list_fn, "balance_transactions"))
    assert len(requests) == 1


def test_paging_follows_the_last_id_to_the_end():
    def answer(params):
        return {None: (["c5", "c4"], True), "c4": (["c3", "c2"], True), "c2": (["c1"], False)}[params.get("starting_after")]

    list_fn, requests = _pages(answer)
    assert [o["id"] for o in iter_stripe_list(list_fn, "charges")] == ["c5", "c4", "c3", "c2", "c1"]
    assert [r.get("starting_after") for r in requests] == [None, "c4", "c2"]


def test_retry_after_of_a_day_is_capped_and_named(stripe_api, stripe_client):
    stripe_api.add("charges", [{"id": f"ch_{i}", "created": 1_780_000_000 + i, "amount": 1, "currency": "usd"}
                               for i in range(3)])
    stripe_api.fail_next(50, status=429, path_prefix="/v1/charges", retry_after=86400, should_retry=False)
    slept = []
    retry = RetryPolicy(attempts=3, backoff_seconds=0.5, sleep=slept.append)
    with pytest.raises(StripeLoadError, match=r"the server asked to wait 86400s \(Retry-After\), more than the 60s"):
        list(iter_stripe_list(stripe_client.v1.charges.list, "charges", retry=retry))
    assert slept and max(slept) <= 60 and len(slept) == 3


def test_a_short_retry_after_is_honoured(stripe_api, stripe_client):
    stripe_api.add("charges", [{"id": f"ch_{i}", "created": 1_780_000_000 + i, "amount": 1, "currency": "usd"}
                               for i in range(3)])
    stripe_api.fail_next(1, status=429, path_prefix="/v1/charges", retry_after=7, should_retry=False)
    slept = []
    objects = list(iter_stripe_list(stripe_client.v1.charges.list, "charges",
                                    retry=RetryPolicy(attempts=2, backoff_seconds=0.5, sleep=slept.append)))
    assert len(objects) == 3 and slept == [7]
