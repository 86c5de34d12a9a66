"""Which failures Prefect retries: transient ones only.

Retried (with backoff): AWS throttling and transient server errors (the same error
codes botocore's own retry logic treats as retryable), dropped or timed-out
connections (botocore, httpx, the Snowflake connector's network errors, OSError),
and any ``MoviepipeError`` that says ``retryable``. Never retried: validation and
contract errors (a bad source, a rejected zip, a Glue job that FAILED, an access
denial): trying again cannot help and only delays the alert.
"""

from __future__ import annotations

from botocore.exceptions import ClientError, ConnectionError as BotoConnectionError, HTTPClientError
from botocore.retries.standard import ThrottledRetryableChecker, TransientRetryableChecker

from moviepipe.errors import MoviepipeError

_THROTTLED = ThrottledRetryableChecker._THROTTLED_ERROR_CODES  # botocore's own list
_TRANSIENT = TransientRetryableChecker._TRANSIENT_ERROR_CODES
_TRANSIENT_STATUS = [*TransientRetryableChecker._TRANSIENT_STATUS_CODES, 429]

#: Errors of our own making or of bad input: never worth a retry.
VALIDATION_ERRORS = (ValueError, TypeError, KeyError, LookupError, AssertionError)


def is_transient(error: BaseException) -> bool:
    if isinstance(error, MoviepipeError):
        return error.retryable
    if isinstance(error, ClientError):
        response = error.response or {}
        code = response.get("Error", {}).get("Code", "")
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code in _THROTTLED or code in _TRANSIENT or status in _TRANSIENT_STATUS
    if isinstance(error, (BotoConnectionError, HTTPClientError, ConnectionError, TimeoutError)):
        return True
    try:
        import httpx

        if isinstance(error, httpx.TransportError):
            return True
    except ImportError:  # pragma: no cover - httpx is a dependency
        pass
    try:
        from snowflake.connector.errors import OperationalError as SnowflakeOperational

        if isinstance(error, SnowflakeOperational):  # network / session errors of the connector
            return True
    except ImportError:  # pragma: no cover
        pass
    if isinstance(error, VALIDATION_ERRORS):
        return False
    return isinstance(error, OSError)


def retry_if_transient(task, task_run, state) -> bool:
    """Prefect ``retry_condition_fn``: retry only errors that can pass."""
    try:
        state.result()
    except Exception as error:
        return is_transient(error)
    return False
