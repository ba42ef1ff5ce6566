"""Bad input fails a load task at once; only transient errors are left for Airflow to retry."""

import errno

import pytest
from airflow.sdk.exceptions import AirflowFailException

from include.pipelines import LoadError
from include.sources.aws_cur.errors import CurInputError
from include.task_failures import is_transient, retry_only_transient


def chained(outer: BaseException, cause: BaseException) -> BaseException:
    try:
        try:
            raise cause
        except BaseException as exc:
            raise outer from exc
    except BaseException as exc:
        return exc


def client_error(code: str, status: int):
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "GetObject")


def bad_input_errors():
    import stripe
    from dlt.common.schema.exceptions import SchemaCorruptedException

    return {
        "missing month": ValueError("billing periods ['2026-01'] have no delivered manifest under s3://b/cur/x/"),
        "malformed manifest": chained(CurInputError("cannot read manifest s3://b/m.json: Expecting value"),
                                      ValueError("Expecting value: line 1 column 1 (char 0)")),
        "wrong type": chained(LoadError("loading dataset 'aws_costs' failed at dlt step 'extract': CurInputError: "
                                        "CUR data file s3://b/f.parquet: column line_item_unblended_cost has type "
                                        "string, expected a decimal"), CurInputError("column has type string")),
        "refused schema": chained(LoadError("loading dataset 'stripe_revenue' failed at dlt step 'normalize'"),
                                  SchemaCorruptedException("stripe_revenue", "column amount: data type changed")),
        "access denied": chained(CurInputError("cannot list s3://b/cur"), client_error("AccessDenied", 403)),
        "stripe auth": stripe.AuthenticationError("Invalid API Key provided"),
        "missing variable": KeyError("Variable aws_costs_config does not exist"),
    }


def transient_errors():
    import stripe
    from google.api_core import exceptions as gexc

    return {
        "connection refused": chained(CurInputError("cannot list s3://b/cur"),
                                      OSError("AWS Error NETWORK_CONNECTION during ListObjectsV2 operation: curlCode: 7")),
        "reset": chained(LoadError("loading dataset 'gcp_costs' failed"), ConnectionResetError(errno.ECONNRESET, "reset")),
        "throttled": chained(CurInputError("cannot read s3://b/f"), client_error("SlowDown", 503)),
        "bigquery 503": gexc.ServiceUnavailable("backend error"),
        "bigquery quota": gexc.TooManyRequests("rate limit exceeded"),
        "stripe rate limit": stripe.RateLimitError("Too many requests"),
        "stripe 500": stripe.APIError("Internal error", http_status=500),
        "timeout": TimeoutError("timed out"),
    }


@pytest.mark.parametrize("name", sorted(bad_input_errors()))
def test_bad_input_is_not_retried(name):
    error = bad_input_errors()[name]
    assert not is_transient(error)
    with pytest.raises(AirflowFailException, match="aws_costs load failed, not retried") as raised:
        with retry_only_transient("aws_costs load"):
            raise error
    assert str(error) in str(raised.value)  # the message that names the input survives


@pytest.mark.parametrize("name", sorted(transient_errors()))
def test_transient_errors_are_left_to_airflow_retries(name):
    error = transient_errors()[name]
    assert is_transient(error)
    with pytest.raises(type(error)):
        with retry_only_transient("gcp_costs load"):
            raise error


def test_airflow_control_flow_passes_through():
    from airflow.sdk.exceptions import AirflowSkipException

    with pytest.raises(AirflowSkipException):
        with retry_only_transient("x"):
            raise AirflowSkipException("nothing to do")
