"""Which load errors Airflow should retry: only transient ones (network, 5xx, throttling).

Everything else (a missing month, a malformed manifest, a wrong column type, a schema dlt refuses, a
missing Variable or connection) is bad input or configuration: a retry cannot fix it, so the task
fails at once with the error's own message (`AirflowFailException`), instead of failing the same way
after minutes of retries with backoff. Errors are classified by walking the whole exception chain,
so an error wrapped by dlt or by a source (`LoadError`, `CurInputError`, `StripeLoadError`, ...)
counts as transient when its cause was a connection reset, a timeout, a 5xx or a throttle.
"""

from __future__ import annotations

import errno
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

# Exception class names that mean "try again later", whatever library raised them.
TRANSIENT_CLASS_NAMES = {
    # builtins and sockets
    "ConnectionError", "ConnectionRefusedError", "ConnectionResetError", "ConnectionAbortedError",
    "BrokenPipeError", "TimeoutError",
    # requests / urllib3 / httpx / aiohttp
    "ReadTimeout", "ConnectTimeout", "ChunkedEncodingError", "ProtocolError", "NewConnectionError",
    "ReadTimeoutError", "ConnectTimeoutError", "TransportError", "RemoteProtocolError", "ClientConnectionError",
    "ServerDisconnectedError",
    # botocore
    "EndpointConnectionError", "ConnectionClosedError", "ResponseStreamingError",
    # google.api_core
    "ServerError", "InternalServerError", "BadGateway", "ServiceUnavailable", "GatewayTimeout",
    "TooManyRequests", "DeadlineExceeded", "RetryError",
    # stripe
    "RateLimitError", "APIConnectionError",
    # clickhouse-connect (network), dlt (destination said: retry)
    "OperationalError", "DestinationTransientException",
    # Airflow's own task timeout: the next try may be faster
    "AirflowTaskTimeout",
}
# AWS error codes (botocore ClientError, and pyarrow's S3 messages "AWS Error <CODE> during ...").
TRANSIENT_AWS_CODES = {
    "Throttling", "ThrottlingException", "SlowDown", "RequestTimeout", "RequestTimeoutException",
    "ServiceUnavailable", "InternalError", "RequestLimitExceeded", "TooManyRequestsException",
}
TRANSIENT_MESSAGE = re.compile(
    r"AWS Error (NETWORK_CONNECTION|SLOW_DOWN|SERVICE_UNAVAILABLE|INTERNAL_FAILURE|THROTTLING|REQUEST_TIMEOUT)"
    r"|curlCode: (6|7|28|35|52|56)\b|Connection (refused|reset|aborted)|timed out",
    re.IGNORECASE,
)
TRANSIENT_ERRNOS = {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.ETIMEDOUT, errno.EHOSTUNREACH,
                    errno.ENETUNREACH, errno.EPIPE, errno.EAGAIN}
# Airflow control flow: never reclassified.
PASS_THROUGH = {"AirflowSkipException", "AirflowFailException", "AirflowRescheduleException", "TaskDeferred",
                "AirflowTaskTerminated", "DownstreamTasksSkipped"}


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and every exception it was raised from or while handling, each once."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__]


def _http_status(exc: BaseException) -> int | None:
    for attr in ("http_status", "status_code", "status"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            return value
    response = getattr(exc, "response", None)
    if isinstance(response, dict):  # botocore ClientError
        value = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return value if isinstance(value, int) else None
    code = getattr(exc, "code", None)  # google.api_core
    return code if isinstance(code, int) and 100 <= code < 600 else None


def _is_transient_one(exc: BaseException) -> bool:
    if any(cls.__name__ in TRANSIENT_CLASS_NAMES for cls in type(exc).__mro__):
        return True
    status = _http_status(exc)
    if status is not None and (status >= 500 or status == 429):
        return True
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and response.get("Error", {}).get("Code") in TRANSIENT_AWS_CODES:
        return True
    if isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS:
        return True
    return bool(TRANSIENT_MESSAGE.search(str(exc)))


def is_transient(exc: BaseException) -> bool:
    """True when a retry may succeed: some exception in the chain is a network error, a timeout, an
    HTTP 5xx/429 or a throttle."""
    return any(_is_transient_one(e) for e in exception_chain(exc))


@contextmanager
def retry_only_transient(what: str) -> Iterator[None]:
    """Around a load: transient errors propagate (Airflow retries them); any other error fails the
    task at once, with its message (which names the file, object, column or Variable)."""
    try:
        yield
    except Exception as exc:
        if type(exc).__name__ in PASS_THROUGH:
            raise
        if is_transient(exc):
            log.warning("%s failed with a transient error; Airflow retries it: %s: %s", what, type(exc).__name__, exc)
            raise
        from airflow.sdk.exceptions import AirflowFailException

        log.error("%s failed on bad input or configuration; not retried (a retry cannot fix it)", what)
        raise AirflowFailException(f"{what} failed, not retried: {type(exc).__name__}: {exc}") from exc
