"""A local OMDb look-alike for tests: real HTTP on 127.0.0.1, realistic answers, scriptable faults.

Answers are generated from the id (deterministic), in OMDb's real shapes:
"N/A", "148 min", "$292,587,330", "2,345,678", "16 Jul 2010", Ratings with
"8.8/10", "87%" and "74/100", series with Year "1967–1987" and totalSeasons.
Every ``not_found_every``-th id is "Movie not found!"; a malformed id gets
"Incorrect IMDb ID.". Key checks, the daily limit and the faults answer the
way OMDb does (401 with an ``Error`` body, 429, 500, slow, truncated JSON).

Scripted answers serve every shape the real API has used, per id: ``answers``
(found records served verbatim, e.g. ``REAL_SHAPES``: old runtime forms,
episodes, an open-ended series, a game), ``errors`` (OMDb's error texts:
"Error getting data.", "Incorrect IMDb ID.", ...), and the faults
``status_always`` (401/403/5xx every time) and ``empty_always`` (HTTP 200, no body).

``attempts`` counts every keyed request per id (what OMDb charges);
``successes`` counts, per id, the 200 answers a client could use (found, not
found, an OMDb error text); faulted answers (slow, malformed) are counted apart,
so "each id fetched exactly once" is ``successes[id] == 1``.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

#: Found answers in the real API's shapes (see fixtures/README.md): id -> OMDb JSON.
REAL_SHAPES: dict[str, dict] = json.loads(
    (Path(__file__).resolve().parent / "fixtures" / "omdb_answers.json").read_text(encoding="utf-8"))["answers"]

_ID = re.compile(r"^tt(\d{7,8})$")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_WORDS = ["Night", "Inception", "Harbor", "Shadows", "Sátántangó", "8½", "Last", "Rain", "Kingdom", "Orbit",
          "Amélie", "Gold", "Winter", "Machine", "Sea", "Crown"]
_GENRES = ["Action", "Sci-Fi", "Drama", "Crime", "Comedy", "Romance", "Thriller", "Animation"]
_PEOPLE = ["Christopher Nolan", "Agnès Varda", "Béla Tarr", "Akira Kurosawa", "Greta Gerwig", "Bong Joon Ho",
           "Leonardo DiCaprio", "Joseph Gordon-Levitt", "Elliot Page", "Tom Hardy", "Penélope Cruz"]


@dataclass
class Faults:
    """What goes wrong, and how often. Draws come from one seeded RNG (order depends on thread timing)."""

    rate_429: float = 0.0
    rate_500: float = 0.0
    retry_after: str | None = None  # Retry-After header sent with 429s
    throttled_once: set[str] = field(default_factory=set)  # the first request for these ids gets a 429
    slow_ids: set[str] = field(default_factory=set)  # the first request for these ids is slow
    slow_seconds: float = 0.0
    malformed_once: set[str] = field(default_factory=set)  # first answer is truncated JSON
    malformed_always: set[str] = field(default_factory=set)  # every answer is an HTML error page with 200
    limit_after: int | None = None  # requests (with a valid key) before "Request limit reached!"
    status_always: dict[str, int] = field(default_factory=dict)  # id -> HTTP status of every answer (403, 503)
    empty_always: set[str] = field(default_factory=set)  # every answer is HTTP 200 with an empty body
    seed: int = 7


class OmdbServer:
    def __init__(self, api_key: str = "test-key", faults: Faults | None = None, not_found_every: int = 17,
                 series_every: int = 5, answers: dict[str, dict] | None = None, errors: dict[str, str] | None = None):
        self.api_key = api_key
        self.faults = faults or Faults()
        self.answers = dict(answers or {})  # id -> found answer, served verbatim
        self.errors = dict(errors or {})  # id -> OMDb error text
        self.not_found_every = not_found_every
        self.series_every = series_every
        self.lock = threading.Lock()
        self.successes: Counter[str] = Counter()
        self.attempts: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.request_times: list[float] = []  # time.monotonic() of every request with a valid key
        self.keyed_requests = 0
        self._rng = random.Random(self.faults.seed)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="omdb-test-server", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> "OmdbServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def reset_limit(self) -> None:
        """A new day at OMDb: the request counter starts again."""
        with self.lock:
            self.keyed_requests = 0

    # ---------------------------------------------------------------- answers

    def movie(self, imdb_id: str) -> dict:
        """The answer for a found id: scripted, else generated (deterministic), in OMDb's field order."""
        if imdb_id in self.answers:
            return self.answers[imdb_id]
        number = int(_ID.match(imdb_id).group(1))
        rng = random.Random(imdb_id)
        year = rng.randint(1921, 2024)
        series = number % self.series_every == 0
        title = " ".join(rng.sample(_WORDS, rng.randint(1, 3)))
        released = f"{rng.randint(1, 28):02d} {rng.choice(_MONTHS)} {year}" if rng.random() > 0.1 else "N/A"
        imdb_rating = f"{rng.randint(10, 95) / 10:.1f}"
        ratings = [{"Source": "Internet Movie Database", "Value": f"{imdb_rating}/10"}]
        if rng.random() > 0.3:
            ratings.append({"Source": "Rotten Tomatoes", "Value": f"{rng.randint(0, 100)}%"})
        metascore = str(rng.randint(10, 100)) if rng.random() > 0.3 else "N/A"
        if metascore != "N/A":
            ratings.append({"Source": "Metacritic", "Value": f"{metascore}/100"})
        plot = (f'A thief who steals corporate secrets, "{title}", through the use of dream-sharing technology, '
                f"is given the inverse task of planting an idea into the mind of a C.E.O.")
        data = {
            "Title": title,
            "Year": (f"{year}–{year + rng.randint(1, 20)}" if rng.random() > 0.3 else f"{year}–") if series else str(year),
            "Rated": rng.choice(["PG-13", "R", "G", "PG", "TV-MA", "N/A", "Not Rated"]),
            "Released": released,
            "Runtime": f"{rng.randint(22, 240)} min" if rng.random() > 0.05 else "N/A",
            "Genre": ", ".join(rng.sample(_GENRES, rng.randint(1, 3))),
            "Director": ", ".join(rng.sample(_PEOPLE, rng.randint(1, 2))) if not series else "N/A",
            "Writer": ", ".join(rng.sample(_PEOPLE, rng.randint(1, 3))),
            "Actors": ", ".join(rng.sample(_PEOPLE, 3)),
            "Plot": plot,
            "Language": ", ".join(rng.sample(["English", "Japanese", "French", "Hungarian"], rng.randint(1, 2))),
            "Country": ", ".join(rng.sample(["United States", "United Kingdom", "Japan", "France"], rng.randint(1, 2))),
            "Awards": rng.choice(["Won 4 Oscars. 159 wins & 220 nominations total", "N/A", "1 win & 3 nominations"]),
            "Poster": f"https://m.media-amazon.com/images/M/MV5B{number:08d}._V1_SX300.jpg",
            "Ratings": ratings,
            "Metascore": metascore,
            "imdbRating": imdb_rating,
            "imdbVotes": f"{rng.randint(5, 2_900_000):,}",
            "imdbID": imdb_id,
            "Type": "series" if series else "movie",
        }
        if series:
            data["totalSeasons"] = str(rng.randint(1, 12))
        else:
            data.update({
                "DVD": f"{rng.randint(1, 28):02d} {rng.choice(_MONTHS)} {min(year + 1, 2024)}" if rng.random() > 0.4 else "N/A",
                "BoxOffice": f"${rng.randint(10_000, 900_000_000):,}" if rng.random() > 0.3 else "N/A",
                "Production": "N/A",
                "Website": "N/A",
            })
        data["Response"] = "True"
        return data

    def is_not_found(self, imdb_id: str) -> bool:
        """Not answered with a record: a scripted error, or every ``not_found_every``-th generated id."""
        if imdb_id in self.answers:
            return False
        if imdb_id in self.errors:
            return True
        match = _ID.match(imdb_id)
        return bool(match) and int(match.group(1)) % self.not_found_every == 0

    def answer(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes, str]:
        """(status, headers, body, kind) for one request; kind is 'success' or the fault's name."""
        key, imdb_id = query.get("apikey"), query.get("i", "")
        if not key:
            return _error(401, "No API key provided.")
        if key != self.api_key:
            return _error(401, "Invalid API key!")
        f = self.faults
        with self.lock:
            self.keyed_requests += 1
            self.request_times.append(time.monotonic())
            if f.limit_after is not None and self.keyed_requests > f.limit_after:
                return _error(401, "Request limit reached!")
            self.attempts[imdb_id] += 1
            first = self.attempts[imdb_id] == 1
            draw = self._rng.random()
        if imdb_id in f.status_always:
            code = f.status_always[imdb_id]
            return code, {"Content-Type": "text/html"}, f"<html><body>{code}</body></html>".encode(), str(code)
        if imdb_id in f.empty_always:
            return 200, {}, b"", "empty"
        if draw < f.rate_429 or (first and imdb_id in f.throttled_once):
            headers = {"Retry-After": f.retry_after} if f.retry_after is not None else {}
            return 429, headers, b'{"Response":"False","Error":"Too many requests"}', "429"
        if draw < f.rate_429 + f.rate_500:
            return 500, {"Content-Type": "text/html"}, b"<html><body>Internal Server Error</body></html>", "500"
        if imdb_id in f.malformed_always:
            return 200, {"Content-Type": "text/html"}, b"<html>upstream error</html>", "malformed"
        if first and imdb_id in f.malformed_once:
            return 200, {}, json.dumps(self.movie(imdb_id)).encode()[:50], "malformed"
        if imdb_id in self.errors:
            message = self.errors[imdb_id]
            status, headers, body, _ = _error(401 if message in _KEY_OR_LIMIT else 200, message)
        elif not _ID.match(imdb_id):
            status, headers, body, _ = _error(200, "Incorrect IMDb ID.")
        elif self.is_not_found(imdb_id):
            status, headers, body, _ = _error(200, "Movie not found!")
        else:
            status, headers, body = 200, {}, json.dumps(self.movie(imdb_id), ensure_ascii=False).encode()
        if first and imdb_id in f.slow_ids:
            time.sleep(f.slow_seconds)
            return status, headers, body, "slow"
        return status, headers, body, "success"


#: OMDb sends these error texts with HTTP 401; every other error text comes with 200.
_KEY_OR_LIMIT = frozenset({"Invalid API key!", "No API key provided.", "Request limit reached!"})


def _error(status: int, message: str) -> tuple[int, dict[str, str], bytes, str]:
    return status, {}, json.dumps({"Response": "False", "Error": message}).encode(), "error"


def _handler_for(server: OmdbServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

        def do_GET(self):  # noqa: N802 - http.server's naming
            query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
            status, headers, body, kind = server.answer(query)
            # Counted before the answer leaves: once the client has it, the test may read the counters.
            with server.lock:
                server.statuses[status] += 1
                if kind == "success":
                    server.successes[query.get("i", "")] += 1
            try:
                self.send_response(status)
                self.send_header("Content-Type", headers.pop("Content-Type", "application/json; charset=utf-8"))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):  # a client that timed out and left
                return

        def log_message(self, *args):  # keep test output quiet
            pass

    return Handler


# --------------------------------------------------------------------------- #
# Test helpers shared by tests/sources/test_omdb_*.py
# --------------------------------------------------------------------------- #

#: A key nobody could mistake for anything else: tests grep logs, errors and files for it.
FAKE_KEY = "Zq9xSECRETomdbKEY7f3a"


def imdb_ids(start: int, count: int) -> list[str]:
    return [f"tt{start + i:07d}" for i in range(count)]


def fast_source(server: OmdbServer, folder, ids, **overrides):
    """An OmdbSource on ``server`` with test-sized waits (no pacing, no quota, tiny backoff) unless overridden."""
    from moviepipe.sources.omdb import OmdbSource

    options = dict(api_key=server.api_key, base_url=server.url, requests_per_second=None, daily_quota=None,
                   workers=4, timeout_s=2.0, max_attempts=20, backoff_initial_s=0.001, backoff_max_s=0.01)
    options.update(overrides)
    return OmdbSource(ids, folder, **options)
