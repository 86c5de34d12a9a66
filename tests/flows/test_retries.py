"""Which errors the flows retry, and that Prefect really retries them (and only them)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from flows.retries import is_transient
from moviepipe.errors import BatchRejected, SourceError, StageError


def client_error(code: str, status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "PutObject")


@pytest.mark.parametrize("error, retried", [
    (client_error("ThrottlingException"), True),
    (client_error("SlowDown", 503), True),
    (client_error("RequestTimeout"), True),
    (client_error("InternalError", 500), True),
    (client_error("AccessDenied", 403), False),
    (client_error("NoSuchBucket", 404), False),
    (client_error("ConcurrentRunsExceededException"), False),
    (EndpointConnectionError(endpoint_url="https://s3.amazonaws.com"), True),
    (ConnectionResetError("reset by peer"), True),
    (OSError("disk hiccup"), True),
    (StageError("extract", "source changed mid-batch", retryable=True), True),
    (StageError("transform", "Glue job FAILED: bad column"), False),
    (SourceError("source database not found: x"), False),
    (BatchRejected("bad zip", "not_a_zip"), False),
    (ValueError("batch_id must match"), False),
    (KeyError("BATCH_ID"), False),
])
def test_only_transient_errors_are_retried(error, retried):
    assert is_transient(error) is retried


@pytest.mark.usefixtures("prefect_harness")
def test_prefect_retries_a_throttled_call_and_not_a_validation_error():
    from prefect import flow

    from flows.pipeline import _task

    calls = {"throttled": 0, "invalid": 0}

    def throttled_once():
        calls["throttled"] += 1
        if calls["throttled"] == 1:
            raise client_error("SlowDown", 503)
        return "ok"

    def invalid():
        calls["invalid"] += 1
        raise ValueError("not a valid batch id")

    throttled_task = _task("land")(throttled_once).with_options(retry_delay_seconds=0)
    invalid_task = _task("land")(invalid).with_options(retry_delay_seconds=0)

    @flow
    def both():
        first = throttled_task()
        try:
            invalid_task()
        except ValueError:
            pass
        return first

    assert both() == "ok"
    assert calls == {"throttled": 2, "invalid": 1}
