"""The taxonomy of OMDb answers: what each one means, what happens to its id, and what it costs.

Every answer the real API gives (tests/sources/fixtures/README.md) has its own handling:
found records are delivered; permanent misses ("Movie not found!", "Incorrect IMDb ID.",
"Error getting data.") are recorded once with their time and not asked again until
``retry_missing`` or ``retry_missing_after_days``, and never fail a run; empty and HTML bodies
are retried, then recorded failed and asked next run; 5xx and 429 are retried with backoff; a
refused key (or 401/403) and "Request limit reached!" stop the fetching.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from moviepipe.errors import SourceError
from moviepipe.sources.omdb import OmdbSource
from moviepipe.sources.omdb.helpers import KeyRejected, MalformedBody, RequestLimitReached, TransientError, classify
from tests.sources.omdb_server import REAL_SHAPES, Faults, OmdbServer, fast_source, imdb_ids


def _body(error: str) -> str:
    return json.dumps({"Response": "False", "Error": error})


def _classify(status: int, body: str | bytes, **headers):
    content = body.encode() if isinstance(body, str) else body
    return classify(httpx.Response(status, content=content, headers=headers), "tt0000001", "http://x/")


# --------------------------------------------------------------------------- one answer, one meaning
@pytest.mark.parametrize("status, body, kind, reason", [
    (200, json.dumps(REAL_SHAPES["tt1480055"]), "found", None),
    (200, _body("Movie not found!"), "not_found", "Movie not found!"),
    (200, _body("Incorrect IMDb ID."), "not_found", "Incorrect IMDb ID."),
    (200, _body("Series or episode not found!"), "not_found", "Series or episode not found!"),
    (200, _body("Error getting data."), "unavailable", "Error getting data."),
])
def test_answers_about_the_id(status, body, kind, reason):
    answer = _classify(status, body)
    assert (answer.status, answer.reason) == (kind, reason)
    assert (answer.data is not None) == (kind == "found")


@pytest.mark.parametrize("status, body, error, message", [
    (401, _body("Request limit reached!"), RequestLimitReached, "Request limit reached!"),
    (200, _body("Request limit reached!"), RequestLimitReached, "Request limit reached!"),
    (401, _body("Invalid API key!"), KeyRejected, r"rejected the API key \(Invalid API key!\)"),
    (401, _body("No API key provided."), KeyRejected, r"rejected the API key \(No API key provided.\)"),
    (401, "<html>Unauthorized</html>", KeyRejected, r"refused the request \(HTTP 401\)"),
    (403, "<html>Forbidden</html>", KeyRejected, r"refused the request \(HTTP 403\)"),
    (500, "<html>oops</html>", TransientError, "HTTP 500"),
    (502, "", TransientError, "HTTP 502"),
    (503, _body("Error getting data."), TransientError, "HTTP 503"),
    (429, "", TransientError, "HTTP 429"),
    (200, "", MalformedBody, "empty body"),
    (200, "  \n", MalformedBody, "empty body"),
    (200, "<html><body>upstream error</body></html>", MalformedBody, "not OMDb JSON"),
    (200, '{"Title": "Incep', MalformedBody, "not OMDb JSON"),
    (200, _body("Something went wrong."), MalformedBody, "unexpected OMDb error"),
    (404, "not here", SourceError, "HTTP 404 .* check the base URL"),
    (301, "", SourceError, "HTTP 301"),
])
def test_answers_about_the_run(status, body, error, message):
    with pytest.raises(error, match=message) as raised:
        _classify(status, body)
    if error is KeyRejected:
        assert not raised.value.retryable


def test_retry_after_travels_with_a_429():
    with pytest.raises(TransientError) as raised:
        _classify(429, "", **{"Retry-After": "7"})
    assert raised.value.retry_after == 7


# --------------------------------------------------------------------------- over HTTP
MISSING = {"tt0000101": "Movie not found!", "tt0000102": "Incorrect IMDb ID.",
           "tt0000103": "Error getting data.", "tt0000104": "Series or episode not found!"}
EMPTY, HTML = "tt0000105", "tt0000106"


def _server(**faults) -> OmdbServer:
    return OmdbServer(answers=REAL_SHAPES, errors=MISSING, faults=Faults(**faults), not_found_every=10**9)


def _plan(server, folder, ids, low=None, **options):
    source = fast_source(server, folder, ids, malformed_attempts=3, **options)
    try:
        plan = source.plan(low)
        rows = [row for batch in source.batches(plan) for row in batch.to_pylist()]
    finally:
        source.close()
    return plan, rows


def test_every_answer_kind_in_one_run(tmp_path):
    ids = [*REAL_SHAPES, *MISSING, EMPTY, HTML]
    with _server(empty_always={EMPTY}, malformed_always={HTML}) as server:
        plan, rows = _plan(server, tmp_path, ids)
        assert {row["imdbID"] for row in rows} == set(REAL_SHAPES)  # every found record, episodes and game too
        by_id = {m.imdb_id: m for m in plan.misses}
        assert {i: (m.status, m.reason) for i, m in by_id.items() if i in MISSING} == {
            "tt0000101": ("not_found", "Movie not found!"), "tt0000102": ("not_found", "Incorrect IMDb ID."),
            "tt0000103": ("unavailable", "Error getting data."),
            "tt0000104": ("not_found", "Series or episode not found!")}
        assert (by_id[EMPTY].status, by_id[EMPTY].reason) == ("failed", "empty body")
        assert by_id[HTML].status == "failed" and "not OMDb JSON" in by_id[HTML].reason
        assert plan.answers() == {"found": len(REAL_SHAPES), "not_found": 3, "unavailable": 1, "failed": 2,
                                  "unanswered": 0}
        assert sum(plan.answers().values()) == plan.ids_requested == len(ids)
        # each permanent miss cost one request; a body that never parses costs malformed_attempts
        assert all(server.attempts[i] == 1 for i in MISSING) and all(server.attempts[i] == 1 for i in REAL_SHAPES)
        assert server.attempts[EMPTY] == server.attempts[HTML] == 3
        now = datetime.now(timezone.utc)
        for imdb_id in MISSING:
            checked = datetime.strptime(by_id[imdb_id].checked_at, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
            retry = datetime.strptime(by_id[imdb_id].retry_after, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
            assert abs(now - checked) < timedelta(minutes=5) and retry - checked == timedelta(days=30)
        assert by_id[EMPTY].retry_after is None  # asked again next run


def test_three_runs_ask_each_permanent_miss_once_and_each_failure_every_run(tmp_path):
    ids = [*MISSING, EMPTY, "tt1375666"]
    with _server(empty_always={EMPTY}) as server:
        low = None
        for _ in range(3):
            plan, _ = _plan(server, tmp_path, ids, low)
            low = plan.high or low
            assert plan.answers()["not_found"] + plan.answers()["unavailable"] == len(MISSING)
        assert all(server.attempts[i] == 1 for i in MISSING), dict(server.attempts)
        assert server.attempts["tt1375666"] == 1
        assert server.attempts[EMPTY] == 3 * 3  # failed: asked again (with its retries) by every run
        assert [(m.imdb_id, m.status) for m in plan.misses if m.status != "failed"] == sorted(
            (i, "unavailable" if MISSING[i] == "Error getting data." else "not_found") for i in MISSING)


def test_a_refresh_does_not_ask_misses_again(tmp_path):
    ids = [*MISSING, "tt1375666"]
    with _server() as server:
        first, _ = _plan(server, tmp_path, ids)
        refreshed, rows = _plan(server, tmp_path, ids, first.high, refresh=True)
        assert [row["imdbID"] for row in rows] == ["tt1375666"]
        assert server.attempts["tt1375666"] == 2 and all(server.attempts[i] == 1 for i in MISSING)
        assert len(refreshed.misses) == len(MISSING)


def test_retry_missing_asks_every_miss_again_and_a_found_one_is_delivered(tmp_path):
    ids = list(MISSING)
    with _server() as server:
        first, _ = _plan(server, tmp_path, ids)
        assert first.is_empty and len(first.misses) == 4
        server.errors.pop("tt0000103")  # OMDb indexed it since
        server.answers["tt0000103"] = dict(REAL_SHAPES["tt1375666"], imdbID="tt0000103", Title="Indexed At Last")
        retried, rows = _plan(server, tmp_path, ids, first.high, retry_missing=True)
        assert all(server.attempts[i] == 2 for i in ids)
        assert [row["Title"] for row in rows] == ["Indexed At Last"]
        assert retried.answers()["found"] == 1 and {m.imdb_id for m in retried.misses} == set(ids) - {"tt0000103"}


def test_misses_are_asked_again_once_older_than_the_configured_days(tmp_path):
    ids = ["tt0000101", "tt0000103"]
    with _server() as server:
        first, _ = _plan(server, tmp_path, ids, retry_missing_after_days=30)
        _age_cache(tmp_path, days=29)
        _plan(server, tmp_path, ids, retry_missing_after_days=30)
        assert all(server.attempts[i] == 1 for i in ids)  # 29 days old: not yet
        _age_cache(tmp_path, days=2)
        again, _ = _plan(server, tmp_path, ids, retry_missing_after_days=30)
        assert all(server.attempts[i] == 2 for i in ids)  # 31 days old: asked once more, recorded anew
        assert all(m.checked_at > first.misses[0].checked_at for m in again.misses)
        _plan(server, tmp_path, ids, retry_missing_after_days=None)
        assert all(server.attempts[i] == 2 for i in ids)


def _age_cache(folder, days: float) -> None:
    """Move every cached answer ``days`` into the past (as if the runs had been that long ago)."""
    path = folder / "responses.jsonl"
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        stamp = datetime.strptime(record["fetched_at"], "%Y-%m-%d %H:%M:%S.%f") - timedelta(days=days)
        record["fetched_at"] = stamp.strftime("%Y-%m-%d %H:%M:%S.%f")
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_retry_missing_after_days_must_not_be_negative(tmp_path):
    with _server() as server:
        with pytest.raises(SourceError, match="retry_missing_after_days must be 0 or more"):
            fast_source(server, tmp_path, [], retry_missing_after_days=-1)


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_client_stops_after_one_request(tmp_path, status):
    ids = imdb_ids(3_100_000, 20)
    with OmdbServer(faults=Faults(status_always={i: status for i in ids})) as server:
        source = fast_source(server, tmp_path, ids)
        try:
            with pytest.raises(KeyRejected, match=f"HTTP {status}") as raised:
                source.plan(None)
        finally:
            source.close()
        assert sum(server.attempts.values()) == 1 and not raised.value.retryable


@pytest.mark.parametrize("message", ["Invalid API key!", "No API key provided."])
def test_key_errors_stop_after_one_request(tmp_path, message):
    ids = imdb_ids(3_200_000, 10)
    with OmdbServer(errors={i: message for i in ids}) as server:
        source = fast_source(server, tmp_path, ids)
        try:
            with pytest.raises(KeyRejected, match=message):
                source.plan(None)
        finally:
            source.close()
        assert sum(server.attempts.values()) == 1


def test_a_5xx_id_is_retried_with_backoff_then_the_run_fails_retryable_keeping_the_rest(tmp_path):
    ids = imdb_ids(3_300_000, 6)
    down = ids[3]
    with OmdbServer(faults=Faults(status_always={down: 503}), not_found_every=10**9) as server:
        source = fast_source(server, tmp_path, ids, max_attempts=4, workers=1)
        try:
            with pytest.raises(SourceError, match=f"did not answer for {down} after 4 attempts") as raised:
                source.plan(None)
        finally:
            source.close()
        assert raised.value.retryable and server.attempts[down] == 4
        server.faults.status_always.clear()
        plan, rows = _plan(server, tmp_path, ids)
        assert plan.fetched == len(ids) - 3 and len(rows) == len(ids)  # the first three were kept
        assert all(server.successes[i] == 1 for i in ids)


def test_old_caches_with_error_getting_data_recorded_failed_are_asked_once_more(tmp_path):
    """Before this taxonomy, "Error getting data." was recorded failed; such ids become unavailable."""
    (tmp_path / "responses.jsonl").write_text(json.dumps(
        {"imdbID": "tt0000103", "status": "failed", "fetched_at": "2026-01-01 00:00:00.000000",
         "reason": "unexpected OMDb error: 'Error getting data.'"}) + "\n", encoding="utf-8")
    with _server() as server:
        for _ in range(2):
            plan, _ = _plan(server, tmp_path, ["tt0000103"])
        assert server.attempts["tt0000103"] == 1 and plan.unavailable == [("tt0000103", "Error getting data.")]


def test_source_defaults_come_from_settings():
    import inspect

    from moviepipe.sources.omdb import settings as cfg

    defaults = inspect.signature(OmdbSource).parameters
    assert defaults["retry_missing"].default is False
    assert defaults["retry_missing_after_days"].default == cfg.DEFAULT_RETRY_MISSING_AFTER_DAYS == 30
