"""Request pacing for OMDb: requests per second in memory, the daily quota persisted (pyrate-limiter).

Every HTTP attempt counts, retries included, because OMDb counts them too.
The per-second limit spaces requests evenly (one every 1/rps seconds) across
all worker threads. The daily quota is a fixed window aligned on UTC midnight
(pyrate-limiter's ``FixedWindow`` over a one-day ``Rate``), stored in SQLite
with a file lock, so a restarted process — or a second source sharing the same
``quota_path`` — sees the requests already spent today.
"""

from __future__ import annotations

import threading
from pathlib import Path

from pyrate_limiter import Duration, FixedWindow, InMemoryBucket, Limiter, Rate, RateItem, SQLiteBucket

from moviepipe.errors import SourceError
from moviepipe.sources.omdb.helpers import RequestLimitReached

_QUOTA_TABLE = "omdb_requests"


class RequestThrottle:
    """``acquire()`` before each request: raises RequestLimitReached once today's quota is spent, else waits."""

    def __init__(self, requests_per_second: float | None, daily_quota: int | None, quota_path: Path):
        if requests_per_second is not None and requests_per_second <= 0:
            raise SourceError(f"OMDb requests_per_second must be positive, got {requests_per_second}")
        if daily_quota is not None and daily_quota < 1:
            raise SourceError(f"OMDb daily_quota must be at least 1 (or None for no quota), got {daily_quota}")
        self.daily_quota = daily_quota
        self._lock = threading.Lock()
        self._pace: Limiter | None = None
        if requests_per_second is not None:
            interval_ms = max(1, round(1000 / requests_per_second))
            # buffer_ms=1: pyrate-limiter's default 50 ms safety margin would slow fast local runs for nothing.
            self._pace = Limiter(InMemoryBucket([Rate(1, interval_ms)]), buffer_ms=1)
        self._daily: SQLiteBucket | None = None
        if daily_quota is not None:
            quota_path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._daily = SQLiteBucket.init_from_file([Rate(daily_quota, Duration.DAY)], table=_QUOTA_TABLE,
                                                          db_path=str(quota_path), use_file_lock=True,
                                                          algorithm=FixedWindow())
                self._daily.leak(self._daily.now())  # forget earlier UTC days
            except Exception as error:
                raise SourceError(f"cannot open the OMDb quota file {quota_path}: {error}") from None

    def acquire(self) -> None:
        if self._daily is not None:
            with self._lock:
                admitted = self._daily.put(RateItem("omdb", self._daily.now()))
            if not admitted:
                raise RequestLimitReached(f"the daily quota of {self.daily_quota} requests is spent (UTC day)")
        if self._pace is not None:
            self._pace.try_acquire("omdb", blocking=True)

    def used_today(self) -> int | None:
        """Requests counted against today's quota (None without a quota)."""
        if self._daily is None:
            return None
        with self._lock:
            self._daily.leak(self._daily.now())
            return int(self._daily.count())

    def close(self) -> None:
        if self._pace is not None:
            self._pace.close()
            self._pace = None
        if self._daily is not None:
            self._daily.close()
            self._daily = None
