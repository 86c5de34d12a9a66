"""HTTP plumbing of the OMDb source: the key-carrying transport, one fetch with retries, OMDb's answers.

The API key must never reach a log line or an exception text. httpx logs every
request URL at INFO and puts the URL into ``HTTPStatusError`` messages, so the
key is not a client parameter or an ``Auth`` (both change the request httpx
logs). ``ApiKeyTransport`` adds ``apikey=`` to a *copy* of the request just
before it goes on the wire; httpx logs, raises and attaches to responses the
original, key-less request. Texts that come from elsewhere still go through
``scrub`` before they are shown.

What each answer means (``classify``), and what happens to the id:

=============================================  ===============================================
answer                                         handling
=============================================  ===============================================
200 with ``"Response": "True"``                found: cached, delivered in the next batch
``Movie not found!``, ``Incorrect IMDb ID.``,  not_found: a permanent miss, recorded once with
``Series or episode not found!``               its time; asked again only after the configured
                                               days or with ``retry_missing``
``Error getting data.``                        unavailable (OMDb has not indexed the id): a
                                               permanent miss, handled like not_found
``Request limit reached!``                     stop fetching for today; the rest resume next run
``Invalid API key!``, ``No API key provided.``  the run fails at once (KeyRejected, not retried):
401 or 403 without an OMDb body                another request cannot succeed
429, 5xx, timeout, connection error            transient: retried with backoff (tenacity,
                                               exponential with full jitter, or ``Retry-After``
                                               capped); after ``max_attempts`` the run fails,
                                               retryable, keeping what it fetched
200 with an empty, HTML or truncated body, or  failed: retried ``malformed_attempts`` times, then
an OMDb error text not listed here             recorded failed for this run; asked next run
any other status (404, 3xx, ...)               the run fails naming the status: a wrong base URL
=============================================  ===============================================

Misses are never failures: they are answers about the id, not about the run.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_random_exponential

from moviepipe.errors import SourceError
from moviepipe.sources.omdb.settings import (
    API_KEY_ENV,
    API_KEY_PARAM,
    FOUND,
    FAILED,
    KEY_ERRORS,
    LIMIT_ERRORS,
    NOT_FOUND,
    NOT_FOUND_ERRORS,
    UNAVAILABLE,
    UNAVAILABLE_ERRORS,
)

logger = logging.getLogger("moviepipe.sources.omdb")
_KEY_PARAM = re.compile(rf"({API_KEY_PARAM}=)[^&\s\"'>)]*")


class ApiKey:
    """The API key, held so that ``repr``/``str`` (tracebacks, debuggers, Prefect parameters) never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        value = (value or "").strip()
        if not value:
            raise SourceError("the OMDb API key is empty")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "ApiKey('***')"

    __str__ = __repr__

    def __reduce__(self):  # never pickled into a cache, a Prefect result or a subprocess
        raise TypeError("an OMDb API key cannot be pickled")


def scrub(text: str, key: ApiKey | None) -> str:
    """``text`` with the key (and any ``apikey=...`` parameter value) replaced by ``***``."""
    if key is not None:
        text = text.replace(key.reveal(), "***")
    return _KEY_PARAM.sub(r"\1***", text)


class ApiKeyTransport(httpx.BaseTransport):
    """Adds the key to a copy of each request at the last moment (see the module docstring)."""

    def __init__(self, key: ApiKey, inner: httpx.BaseTransport | None = None):
        self._key = key
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        wire = httpx.Request(request.method, request.url.copy_merge_params({API_KEY_PARAM: self._key.reveal()}),
                             headers=request.headers, stream=request.stream, extensions=request.extensions)
        return self._inner.handle_request(wire)

    def close(self) -> None:
        self._inner.close()

    def __repr__(self) -> str:
        return "ApiKeyTransport(key=***)"


# --------------------------------------------------------------------------- #
# What one request can come back with
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class Answer:
    """A final answer for one id: ``found`` with OMDb's JSON, or a miss (``not_found``,
    ``unavailable``) or ``failed`` with the reason."""

    status: str
    data: dict | None = None
    reason: str | None = None


class TransientError(Exception):
    """429, 5xx, a timeout or a dropped connection: worth another attempt after a wait."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class MalformedBody(Exception):
    """HTTP 200 but not an OMDb answer (not JSON, truncated, an unknown error text)."""


class RequestLimitReached(Exception):
    """OMDb said "Request limit reached!", or our own daily quota is spent: stop for today."""


class KeyRejected(SourceError):
    """OMDb rejected the key (never retryable: another attempt cannot make the key valid)."""


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def classify(response: httpx.Response, imdb_id: str, base_url: str) -> Answer:
    """Turn one HTTP response into an answer, or raise what the retry policy acts on."""
    try:
        payload = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        payload = None
    error = payload.get("Error") if isinstance(payload, dict) else None
    status = response.status_code
    if error in LIMIT_ERRORS:
        raise RequestLimitReached(error)
    if error in KEY_ERRORS:
        raise KeyRejected(f"OMDb rejected the API key ({error}): check {API_KEY_ENV} or the Secret block; "
                          "nothing more is fetched until the key is fixed")
    if status in (401, 403):
        raise KeyRejected(f"OMDb refused the request (HTTP {status}): the key is wrong or not activated, or "
                          f"this client is blocked; check {API_KEY_ENV}; nothing more is fetched")
    if status == 429 or status >= 500:
        raise TransientError(f"HTTP {status}", parse_retry_after(response.headers.get("Retry-After")))
    if status != 200:
        raise SourceError(f"OMDb answered HTTP {status} for {imdb_id} at {base_url}: check the base URL")
    if not response.content.strip():
        raise MalformedBody("empty body")
    if not isinstance(payload, dict) or payload.get("Response") not in ("True", "False"):
        snippet = response.text[:60].replace("\n", " ")
        raise MalformedBody(f"body is not OMDb JSON: {snippet!r}")
    if payload["Response"] == "True":
        return Answer(FOUND, data=payload)
    if error in NOT_FOUND_ERRORS:
        return Answer(NOT_FOUND, reason=error)
    if error in UNAVAILABLE_ERRORS:
        return Answer(UNAVAILABLE, reason=error)
    raise MalformedBody(f"unexpected OMDb error: {error!r}")


# --------------------------------------------------------------------------- #
# One fetch, with retries
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    malformed_attempts: int
    backoff_initial_s: float
    backoff_max_s: float
    max_retry_after_s: float

    def __post_init__(self):
        if self.max_attempts < 1 or self.malformed_attempts < 1:
            raise SourceError("OMDb retry attempts must be at least 1")


class OmdbClient:
    """GET ``{base_url}?i=<id>&plot=full`` with the key added in the transport; ``before_request`` throttles."""

    def __init__(self, base_url: str, key: ApiKey, timeout_s: float, policy: RetryPolicy,
                 before_request: Callable[[], None], transport: httpx.BaseTransport | None = None):
        self.base_url = base_url
        self._key = key
        self._policy = policy
        self._before_request = before_request
        self._http = httpx.Client(transport=ApiKeyTransport(key, transport), timeout=timeout_s,
                                  headers={"User-Agent": "moviepipe-omdb"}, follow_redirects=False)
        self._backoff = wait_random_exponential(multiplier=policy.backoff_initial_s, max=policy.backoff_max_s)

    def fetch(self, imdb_id: str) -> Answer:
        """The final answer for one id. Raises RequestLimitReached, KeyRejected or a (retryable) SourceError."""
        retrying = Retrying(stop=self._stop, wait=self._wait, reraise=True, before_sleep=self._log_retry,
                            retry=retry_if_exception_type((TransientError, MalformedBody)))
        try:
            return retrying(self._attempt, imdb_id)
        except MalformedBody as error:
            return Answer(FAILED, reason=scrub(str(error), self._key))
        except TransientError as error:
            failure = SourceError(f"OMDb did not answer for {imdb_id} after {self._policy.max_attempts} attempts "
                                  f"(last: {scrub(error.reason, self._key)}); finished ids are kept, "
                                  "the next attempt resumes")
            failure.retryable = True
            raise failure from None

    def _attempt(self, imdb_id: str) -> Answer:
        self._before_request()
        try:
            response = self._http.get(self.base_url, params={"i": imdb_id, "plot": "full"})
        except httpx.TimeoutException as error:
            raise TransientError(f"timed out ({type(error).__name__})") from None
        except httpx.UnsupportedProtocol:
            raise SourceError(f"OMDb base URL {self.base_url!r} is not an http(s) URL") from None
        except httpx.TransportError as error:
            raise TransientError(f"{type(error).__name__}: {scrub(str(error), self._key)[:200]}") from None
        return classify(response, imdb_id, self.base_url)

    def _stop(self, state: RetryCallState) -> bool:
        error = state.outcome.exception() if state.outcome else None
        limit = self._policy.malformed_attempts if isinstance(error, MalformedBody) else self._policy.max_attempts
        return state.attempt_number >= limit

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TransientError) and error.retry_after is not None:
            return min(error.retry_after, self._policy.max_retry_after_s)
        return self._backoff(state)

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        reason = scrub(str(error), self._key)
        logger.info("OMDb %s: %s; attempt %d, retrying in %.2fs", state.args[0] if state.args else "?",
                    reason, state.attempt_number, state.next_action.sleep if state.next_action else 0.0)

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"OmdbClient({self.base_url!r}, key=***)"


def utc_stamp(moment: datetime | None = None) -> str:
    """UTC ``YYYY-MM-DD HH:MM:SS.ffffff``: sortable as text, and its first 19 characters are lastUpdated."""
    moment = moment or datetime.now(timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
