"""Constants of the OMDb source: endpoint, limits, OMDb's error texts, cache layout, extra columns."""

from __future__ import annotations

import re

from moviepipe.contract import OMDB_EXTRA_TYPES

#: Where the API lives; tests point ``base_url`` at a local server instead.
DEFAULT_BASE_URL = "https://www.omdbapi.com/"
#: Environment variable the API key is read from when no key is passed.
API_KEY_ENV = "OMDB_API_KEY"
#: The query parameter OMDb reads the key from (added only inside the transport).
API_KEY_PARAM = "apikey"

#: OMDb's free tier allows 1,000 requests per UTC day; paid keys allow more.
DEFAULT_DAILY_QUOTA = 1_000
#: Requests per second, spread evenly (one request every 1/rps seconds, no bursts).
DEFAULT_REQUESTS_PER_SECOND = 5.0
#: Concurrent requests in flight; the rate limiter still decides when each one starts.
DEFAULT_WORKERS = 4
#: Seconds before a request counts as timed out (then retried).
DEFAULT_TIMEOUT_S = 10.0
#: Attempts per id for transient failures (429, 5xx, timeouts, connection errors).
DEFAULT_MAX_ATTEMPTS = 8
#: Attempts per id when the body is not OMDb JSON; after that the id is recorded as failed.
DEFAULT_MALFORMED_ATTEMPTS = 3
#: Exponential backoff with jitter between attempts, in seconds.
DEFAULT_BACKOFF_INITIAL_S = 1.0
DEFAULT_BACKOFF_MAX_S = 60.0
#: A Retry-After longer than this is capped (a server asking for an hour is treated as "later").
DEFAULT_MAX_RETRY_AFTER_S = 120.0
#: Rows per Arrow record batch read back from the cache.
DEFAULT_CHUNK_ROWS = 5_000

#: A valid IMDb title id: "tt" and 7 or 8 digits.
IMDB_ID_RE = re.compile(r"^tt\d{7,8}$")

#: OMDb error bodies (HTTP 200 or 401 with {"Response": "False", "Error": ...}), by what they mean:
#: the id is unknown to OMDb (a permanent miss) ...
NOT_FOUND_ERRORS = frozenset({"Movie not found!", "Incorrect IMDb ID.", "Series or episode not found!"})
#: ... OMDb knows the id but has no data for it (not indexed yet: a permanent miss, re-checked after days) ...
UNAVAILABLE_ERRORS = frozenset({"Error getting data."})
#: ... the day's requests are spent (stop, resume tomorrow) ...
LIMIT_ERRORS = frozenset({"Request limit reached!"})
#: ... the key is refused (stop the run: no other request can succeed).
KEY_ERRORS = frozenset({"Invalid API key!", "No API key provided."})

#: Days after which a permanent miss (not found, unavailable) is asked again; ``retry_missing`` asks at once.
DEFAULT_RETRY_MISSING_AFTER_DAYS = 30.0

#: Cache layout inside the folder the caller passes (one folder per source).
CACHE_FILE = "responses.jsonl"
LOCK_FILE = "fetch.lock"
#: Default location of the persisted daily request count (inside the cache folder);
#: pass one shared ``quota_path`` when several OMDb sources use the same key.
QUOTA_FILE = "daily-quota.sqlite"

#: Record statuses in the cache. ``not_found`` and ``unavailable`` are permanent misses (asked
#: again only after ``retry_missing_after_days`` or with ``retry_missing``); ``failed`` is an
#: answer that never became usable (empty or non-JSON bodies after the retries): asked next run.
FOUND, NOT_FOUND, UNAVAILABLE, FAILED = "found", "not_found", "unavailable", "failed"
MISSING = (NOT_FOUND, UNAVAILABLE)

#: OMDb fields beyond the contract that are worth carrying, in EXTRA with JSON types
#: (``moviepipe.contract.OMDB_EXTRA_TYPES``): ``Ratings`` (the list: IMDb, Rotten Tomatoes
#: and Metacritic values), ``totalSeasons`` (series), ``Season``, ``Episode`` and
#: ``seriesID`` (episodes: loaded like every other type). ``Response`` is always "True".
OMDB_EXTRA_COLUMNS: tuple[str, ...] = tuple(OMDB_EXTRA_TYPES)
