"""OMDb API source: movies by IMDb id, fetched politely, cached on disk, delivered in the raw contract.

The signature of ``OmdbSource`` is the configuration contract. ``plan(low)``
does the fetching (resumable: answers are cached as they arrive) and returns
a plan over the cache; ``batches(plan)`` reads the planned records back from
the cache in bounded chunks.

Watermark: ``fetched_at`` (UTC, microseconds), which is also the records'
``lastUpdated``. A plan covers the found records with ``low < fetched_at <=
high`` where ``low`` is the watermark of the last completed batch and ``high``
the newest such record. A retried plan over the same ids fetches nothing new,
so it finds the same ``high`` and the same batch id. Which ids are fetched:

* ids never answered, and ids whose last attempt failed (empty or non-JSON bodies);
* with ``refresh=True``, also ids whose answer was delivered by a completed
  batch (``fetched_at <= low``): a refresh re-fetches them, and the newer
  ``lastUpdated`` makes the warehouse keep a new version if anything changed.
  An id answered since ``low`` (an interrupted refresh) is not fetched again;
* permanent misses (``not_found``: "Movie not found!", "Incorrect IMDb ID.";
  ``unavailable``: "Error getting data.") only once their answer is older than
  ``retry_missing_after_days``, or with ``retry_missing=True``. A refresh does
  not re-ask them: each costs a request of the daily quota and OMDb would
  most likely say the same.

Misses are answers, not failures: recorded once with their time, reported in
every plan whose ids include them (``OmdbBatchPlan.misses``, the per-run
``answers`` counts), never in a batch.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

import httpx
import pyarrow as pa
from filelock import FileLock, Timeout

from moviepipe.contract import WATERMARK_COLUMN, make_batch_id
from moviepipe.errors import SourceError
from moviepipe.sources.omdb import settings as cfg
from moviepipe.sources.omdb.cache import ResponseCache, batch_of, schema_for, to_row
from moviepipe.sources.omdb.helpers import (
    ApiKey, KeyRejected, OmdbClient, RequestLimitReached, RetryPolicy, utc_stamp,
)
from moviepipe.sources.omdb.ids import FileIds, IdFeed, IterableIds, SqlIds, as_feed
from moviepipe.sources.omdb.throttle import RequestThrottle

__all__ = ["OmdbSource", "OmdbBatchPlan", "OmdbQuotaExhausted", "Miss", "resolve_api_key", "ids_from_file",
           "ids_from_sql", "ids_from_iterable"]

logger = logging.getLogger("moviepipe.sources.omdb")


def ids_from_file(path: str | Path) -> FileIds:
    return FileIds(Path(path))


def ids_from_sql(url: str, query: str | None = None, table: str | None = None, column: str = "imdbID") -> SqlIds:
    return SqlIds(url, query=query, table=table, column=column)


def ids_from_iterable(values, label: str = "ids") -> IterableIds:
    """A list of ids, or a callable returning them when the source plans (e.g. a warehouse query)."""
    return IterableIds(values, label=label)


def resolve_api_key(api_key: str | None = None, secret_block: str | None = None) -> ApiKey:
    """The key from the parameter, else a Prefect ``Secret`` block, else ``$OMDB_API_KEY``. Never stored."""
    if api_key:
        return ApiKey(api_key)
    if secret_block:
        try:
            from prefect.blocks.system import Secret

            return ApiKey(str(Secret.load(secret_block).get()))
        except Exception as error:
            raise SourceError(f"cannot read the OMDb key from Prefect Secret block {secret_block!r}: "
                              f"{type(error).__name__}") from None
    if os.environ.get(cfg.API_KEY_ENV):
        return ApiKey(os.environ[cfg.API_KEY_ENV])
    raise SourceError(f"no OMDb API key: pass api_key, set {cfg.API_KEY_ENV}, or name a Prefect Secret block")


class OmdbQuotaExhausted(SourceError):
    """The day's requests are spent; what was fetched is kept and the next run goes on from there."""

    retryable = True


@dataclass(frozen=True)
class Miss:
    """An id among a plan's ids whose latest answer is not a record: a permanent miss or a failure."""

    imdb_id: str
    status: str  # not_found | unavailable | failed
    reason: str  # OMDb's own text ("Movie not found!") or what went wrong
    checked_at: str  # fetched_at of that answer (UTC, "YYYY-MM-DD HH:MM:SS.ffffff")
    retry_after: str | None = None  # when a permanent miss is asked again by itself (None: failed, next run)


@dataclass
class OmdbBatchPlan:
    """Found records with low < fetched_at <= high, plus what the fetching met on the way."""

    source_name: str
    source_key: str
    watermark_column: str
    low: str | None
    high: str | None
    expected_rows: int
    ids_requested: int = 0
    fetched: int = 0  # answers received by this plan (found, not found or failed)
    requests: int = 0  # HTTP attempts made by this plan, retries included
    not_found: list[tuple[str, str]] = field(default_factory=list)  # (id, OMDb's reason) among the ids asked for
    unavailable: list[tuple[str, str]] = field(default_factory=list)  # (id, reason): "Error getting data."
    failed: list[tuple[str, str]] = field(default_factory=list)  # (id, reason) among them: fetched again next run
    misses: list[Miss] = field(default_factory=list)  # the three above, with when and until when
    found: int = 0  # ids among those asked for whose latest answer is a record (in this batch or delivered)
    resolved: list[tuple[str, str]] = field(default_factory=list)  # (id, fetched_at): found after a miss
    invalid_ids: list[tuple[str, str, str]] = field(default_factory=list)  # (where, value, reason)
    pending: int = 0  # ids left unfetched because the quota ran out
    quota_exhausted: bool = False
    quota_reason: str | None = None
    quota_used_today: int | None = None

    @property
    def batch_id(self) -> str:
        return make_batch_id(self.source_key, self.low, self.high)

    @property
    def is_empty(self) -> bool:
        return self.expected_rows == 0

    def quota_error(self) -> OmdbQuotaExhausted | None:
        """The error to end the run with once the fetched records are loaded (None if the quota held)."""
        if not self.quota_exhausted:
            return None
        return OmdbQuotaExhausted(f"OMDb request limit reached ({self.quota_reason}): {self.pending} of "
                                  f"{self.ids_requested} ids not fetched yet; what was fetched is kept and "
                                  "fetching resumes on the next run")

    def answers(self) -> dict[str, int]:
        """Where each id asked for stands: found + not_found + unavailable + failed + unanswered = ids_requested
        (unanswered: never answered yet, because the day's quota ran out)."""
        counts = {"found": self.found, "not_found": len(self.not_found), "unavailable": len(self.unavailable),
                  "failed": len(self.failed)}
        counts["unanswered"] = self.ids_requested - sum(counts.values())
        return counts

    def report(self, limit: int = 100) -> dict:
        """The summary plus the first ``limit`` misses (for the CLI and the run's artifact)."""
        return {**self.summary(), "source": self.source_name,
                "misses": [{"imdb_id": m.imdb_id, "status": m.status, "reason": m.reason,
                            "checked_at": m.checked_at[:19], "retry_after": m.retry_after and m.retry_after[:19]}
                           for m in self.misses[:limit]]}

    def summary(self) -> dict:
        return {"ids_requested": self.ids_requested, "answers": self.answers(), "fetched": self.fetched,
                "requests": self.requests, "found_in_batch": self.expected_rows, "not_found": len(self.not_found),
                "unavailable": len(self.unavailable), "failed": len(self.failed),
                "invalid_ids": len(self.invalid_ids), "pending": self.pending,
                "quota_exhausted": self.quota_exhausted, "quota_used_today": self.quota_used_today}


class OmdbSource:
    """Movies from the OMDb API for a set of IMDb ids; see the module docstring for the plan semantics."""

    kind = "omdb"

    def __init__(self, ids, cache_dir: str | Path, *, api_key: str | None = None, api_key_secret: str | None = None,
                 base_url: str = cfg.DEFAULT_BASE_URL, name: str | None = None, refresh: bool = False,
                 requests_per_second: float | None = cfg.DEFAULT_REQUESTS_PER_SECOND,
                 daily_quota: int | None = cfg.DEFAULT_DAILY_QUOTA, quota_path: str | Path | None = None,
                 workers: int = cfg.DEFAULT_WORKERS, timeout_s: float = cfg.DEFAULT_TIMEOUT_S,
                 max_attempts: int = cfg.DEFAULT_MAX_ATTEMPTS, malformed_attempts: int = cfg.DEFAULT_MALFORMED_ATTEMPTS,
                 backoff_initial_s: float = cfg.DEFAULT_BACKOFF_INITIAL_S,
                 backoff_max_s: float = cfg.DEFAULT_BACKOFF_MAX_S,
                 max_retry_after_s: float = cfg.DEFAULT_MAX_RETRY_AFTER_S, chunk_rows: int = cfg.DEFAULT_CHUNK_ROWS,
                 omdb_extras: tuple[str, ...] = cfg.OMDB_EXTRA_COLUMNS, retry_missing: bool = False,
                 retry_missing_after_days: float | None = cfg.DEFAULT_RETRY_MISSING_AFTER_DAYS,
                 on_answer: Callable[[str, str], None] | None = None):
        self.base_url = _checked_base_url(base_url)
        self.schema: pa.Schema = schema_for(omdb_extras)
        self.feed: IdFeed = as_feed(ids)
        self.name = name or f"omdb:{httpx.URL(self.base_url).netloc.decode()}"
        self.refresh = refresh
        if retry_missing_after_days is not None and retry_missing_after_days < 0:
            raise SourceError(f"OMDb retry_missing_after_days must be 0 or more, got {retry_missing_after_days}")
        self.retry_missing, self.retry_missing_after_days = retry_missing, retry_missing_after_days
        self.cache_dir = Path(cache_dir)
        if workers < 1 or chunk_rows < 1:
            raise SourceError("OMDb workers and chunk_rows must be at least 1")
        self.workers, self.chunk_rows, self.on_answer = workers, chunk_rows, on_answer
        key = resolve_api_key(api_key, api_key_secret)  # held by the client only
        policy = RetryPolicy(max_attempts, malformed_attempts, backoff_initial_s, backoff_max_s, max_retry_after_s)
        self._requests = 0
        self._count_lock = threading.Lock()
        self.cache = ResponseCache(self.cache_dir)
        try:
            self.throttle = RequestThrottle(requests_per_second, daily_quota,
                                            Path(quota_path) if quota_path else self.cache_dir / cfg.QUOTA_FILE)
        except BaseException:
            self.cache.close()
            raise
        self.client = OmdbClient(self.base_url, key, timeout_s, policy, before_request=self._before_request)

    @property
    def source_key(self) -> str:
        return f"omdb|{self.base_url}|{self.name}"

    def __repr__(self) -> str:
        return f"OmdbSource(name={self.name!r}, ids={self.feed.label!r}, cache_dir={str(self.cache_dir)!r})"

    def _before_request(self) -> None:
        self.throttle.acquire()
        with self._count_lock:
            self._requests += 1

    # ------------------------------------------------------------------ plan

    def needs_fetch(self, imdb_id: str, low: str | None) -> bool:
        latest = self.cache.latest.get(imdb_id)
        if latest is None or latest[0] == cfg.FAILED:
            return True
        status, stamp = latest
        if status in cfg.MISSING:
            if self.retry_missing:
                return True
            due = self.retry_due(stamp)
            return due is not None and due <= utc_stamp()
        return self.refresh and low is not None and stamp <= low

    def retry_due(self, checked_at: str) -> str | None:
        """When a permanent miss answered at ``checked_at`` is asked again by itself (None: never)."""
        if self.retry_missing_after_days is None:
            return None
        when = datetime.strptime(checked_at, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
        return utc_stamp(when + timedelta(days=self.retry_missing_after_days))

    def plan(self, low: str | None) -> OmdbBatchPlan:
        """Fetch what is missing (see the module docstring), then describe the batch the cache now holds."""
        id_list = self.feed.read()
        for where, value, reason in id_list.invalid[:20]:
            logger.warning("OMDb ids %s: %s %r is %s; skipped", id_list.label, where, value, reason)
        if len(id_list.invalid) > 20:
            logger.warning("OMDb ids %s: %d more invalid entries (all listed in plan.invalid_ids)",
                           id_list.label, len(id_list.invalid) - 20)
        lock = FileLock(str(self.cache_dir / cfg.LOCK_FILE), timeout=0)
        try:
            with lock:
                todo = [imdb_id for imdb_id in id_list.ids if self.needs_fetch(imdb_id, low)]
                requests_before = self._requests
                fetched, quota_reason = self._fetch(todo)
                plan = self._describe(low, set(id_list.ids))
        except Timeout:
            raise SourceError(f"another process is fetching into {self.cache_dir}; try again when it ends") from None
        plan.ids_requested, plan.fetched, plan.requests = len(id_list.ids), fetched, self._requests - requests_before
        plan.invalid_ids = id_list.invalid
        plan.pending = len(todo) - fetched
        plan.quota_exhausted, plan.quota_reason = quota_reason is not None, quota_reason
        plan.quota_used_today = self.throttle.used_today()
        logger.info("OMDb %s: %d ids, %d answers fetched with %d requests, %d rows in the batch, %d not found, "
                    "%d unavailable, %d failed, %d invalid, %d pending%s", self.name, plan.ids_requested, plan.fetched,
                    plan.requests, plan.expected_rows, len(plan.not_found), len(plan.unavailable), len(plan.failed),
                    len(plan.invalid_ids), plan.pending, " (request limit reached)" if plan.quota_exhausted else "")
        return plan

    def _fetch(self, todo: list[str]) -> tuple[int, str | None]:
        """Fetch ``todo`` with up to ``workers`` threads; returns (answers written, quota reason or None)."""
        if not todo:
            return 0, None
        state = _FetchState(iter(todo))
        self._fetch_one(state)  # alone first: a rejected key or a spent quota costs one request, not `workers`
        if not state.stop.is_set():
            with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="omdb") as pool:
                for future in [pool.submit(self._work, state) for _ in range(self.workers)]:
                    future.result()
        if state.errors:
            # A rejected key explains every other failure; otherwise the first one is the story.
            raise next((e for e in state.errors if isinstance(e, KeyRejected)), state.errors[0])
        return state.answered, state.quota_reason

    def _work(self, state: "_FetchState") -> None:
        while not state.stop.is_set():
            if not self._fetch_one(state):
                return

    def _fetch_one(self, state: "_FetchState") -> bool:
        with state.lock:
            imdb_id = next(state.ids, None)
        if imdb_id is None:
            return False
        try:
            answer = self.client.fetch(imdb_id)
            self.cache.append(imdb_id, answer.status, answer.data, answer.reason)
            with state.lock:
                state.answered += 1
            if self.on_answer is not None:
                self.on_answer(imdb_id, answer.status)
        except RequestLimitReached as limit:
            state.quota_reason = str(limit)
            state.stop.set()
            return False
        except BaseException as error:  # noqa: BLE001 - handed to the planning thread, which raises it
            state.errors.append(error)
            state.stop.set()
            return False
        return True

    def _describe(self, low: str | None, wanted: set[str]) -> OmdbBatchPlan:
        newest = self._found_in_range(low, None)
        latest: dict[str, dict] = {}  # id -> its latest cache line, for the ids asked for
        missed_before: set[str] = set()
        for record in self.cache.records():
            if record["imdbID"] in wanted:
                if record["status"] != cfg.FOUND:
                    missed_before.add(record["imdbID"])
                latest[record["imdbID"]] = record
        misses = []
        for imdb_id, record in sorted(latest.items()):
            status = record["status"]
            if status == cfg.FOUND:
                continue
            retry = self.retry_due(record["fetched_at"]) if status in cfg.MISSING else None
            misses.append(Miss(imdb_id, status, record.get("reason", ""), record["fetched_at"], retry))
        by_status = {status: [(m.imdb_id, m.reason) for m in misses if m.status == status]
                     for status in (cfg.NOT_FOUND, cfg.UNAVAILABLE, cfg.FAILED)}
        high = max(newest.values()) if newest else None
        return OmdbBatchPlan(self.name, self.source_key, WATERMARK_COLUMN, low, high, len(newest),
                             not_found=by_status[cfg.NOT_FOUND], unavailable=by_status[cfg.UNAVAILABLE],
                             failed=by_status[cfg.FAILED], misses=misses,
                             found=sum(1 for r in latest.values() if r["status"] == cfg.FOUND),
                             resolved=[(i, r["fetched_at"]) for i, r in sorted(latest.items())
                                       if r["status"] == cfg.FOUND and i in missed_before])

    def _found_in_range(self, low: str | None, high: str | None) -> dict[str, str]:
        """id -> fetched_at of its newest found record with low < fetched_at <= high (ids only in memory)."""
        chosen: dict[str, str] = {}
        for record in self.cache.records():
            stamp = record["fetched_at"]
            if record["status"] == cfg.FOUND and (low is None or stamp > low) and (high is None or stamp <= high):
                chosen[record["imdbID"]] = stamp
        return chosen

    # --------------------------------------------------------------- batches

    def batches(self, plan: OmdbBatchPlan) -> Iterator[pa.RecordBatch]:
        """The planned records from the cache, in fetch order, ``chunk_rows`` at a time."""
        if plan.high is None:
            return
        chosen = self._found_in_range(plan.low, plan.high)
        rows: list[dict] = []
        for record in self.cache.records():
            if record["status"] == cfg.FOUND and chosen.get(record["imdbID"]) == record["fetched_at"]:
                rows.append(to_row(record["data"], record["fetched_at"]))
                if len(rows) >= self.chunk_rows:
                    yield batch_of(rows, self.schema)
                    rows = []
        if rows:
            yield batch_of(rows, self.schema)

    def close(self) -> None:
        self.client.close()
        self.throttle.close()
        self.cache.close()


@dataclass
class _FetchState:
    ids: Iterator[str]
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    errors: list[BaseException] = field(default_factory=list)
    answered: int = 0
    quota_reason: str | None = None


def _checked_base_url(base_url: str) -> str:
    try:
        url = httpx.URL(base_url)
    except Exception:
        raise SourceError("OMDb base URL is not a URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise SourceError(f"OMDb base URL must be http(s)://host/..., got {url.scheme or 'no'} scheme")
    if cfg.API_KEY_PARAM in url.params:
        raise SourceError("OMDb base URL must not carry the API key: pass it as api_key, "
                          f"{cfg.API_KEY_ENV} or a Secret block")
    return str(url.copy_with(query=None, fragment=None))
