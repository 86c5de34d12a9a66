"""OMDb source fetching, over real HTTP against the local OMDb look-alike (tests/sources/omdb_server.py)."""

from __future__ import annotations

import logging
import threading
import traceback

import pytest

from moviepipe.errors import SourceError
from moviepipe.sources.omdb import OmdbQuotaExhausted
from moviepipe.sources.omdb.helpers import KeyRejected
from tests.sources.omdb_server import FAKE_KEY, Faults, OmdbServer, fast_source, imdb_ids


@pytest.fixture
def debug_logs(caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "moviepipe", "pyrate_limiter", "filelock"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _files_text(folder) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def _error_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error)


def _found_ids(server, ids):
    return {i for i in ids if not server.is_not_found(i)}


@pytest.mark.integration
def test_500_ids_through_429s_and_500s_each_fetched_once_and_the_key_never_shows(tmp_path, debug_logs):
    ids = imdb_ids(1_000_000, 500)
    with OmdbServer(api_key=FAKE_KEY, faults=Faults(rate_429=1 / 3, rate_500=1 / 10)) as server:
        source = fast_source(server, tmp_path / "cache", ids)
        try:
            plan = source.plan(None)
            rows = [row for batch in source.batches(plan) for row in batch.to_pylist()]
            shown = repr(source) + repr(plan) + str(plan.summary())
        finally:
            source.close()
        # the faults happened, and every id was answered exactly once all the same
        assert server.statuses[429] > 100 and server.statuses[500] > 20
        assert set(server.successes) == set(ids)
        assert all(server.successes[i] == 1 for i in ids)
        assert plan.fetched == 500 and plan.pending == 0 and not plan.quota_exhausted and not plan.failed
        assert plan.requests == sum(server.statuses.values())
        found = _found_ids(server, ids)
        assert plan.expected_rows == len(rows) == len(found)
        assert {row["imdbID"] for row in rows} == found
        assert {i for i, _ in plan.not_found} == set(ids) - found
    assert "HTTP 429" in debug_logs.text and "HTTP Request: GET" in debug_logs.text  # the logs were captured
    assert FAKE_KEY not in debug_logs.text
    assert FAKE_KEY not in shown
    assert FAKE_KEY.encode() not in _files_text(tmp_path)


def test_exhausted_retries_raise_a_retryable_error_without_the_key(tmp_path, debug_logs):
    with OmdbServer(api_key=FAKE_KEY, faults=Faults(rate_500=1.0)) as server:
        source = fast_source(server, tmp_path, imdb_ids(2_000_000, 3), max_attempts=3)
        try:
            with pytest.raises(SourceError, match="after 3 attempts") as caught:
                source.plan(None)
        finally:
            source.close()
    assert caught.value.retryable
    assert server.statuses[500] == 3  # the first id alone: the pool never started
    assert FAKE_KEY not in _error_text(caught.value) and FAKE_KEY not in debug_logs.text


def test_connection_errors_are_retried_then_reported_without_the_key(tmp_path, debug_logs):
    server = OmdbServer(api_key=FAKE_KEY)  # bound, never started: connections are refused
    url = server.url
    server.stop()
    source = fast_source(server, tmp_path, imdb_ids(2_100_000, 2), max_attempts=2, base_url=url)
    try:
        with pytest.raises(SourceError, match="ConnectError") as caught:
            source.plan(None)
    finally:
        source.close()
    assert caught.value.retryable
    assert FAKE_KEY not in _error_text(caught.value) and FAKE_KEY not in debug_logs.text


def test_invalid_key_fails_fast_after_one_request(tmp_path, debug_logs):
    wrong = "WRONGkey" + FAKE_KEY
    with OmdbServer(api_key=FAKE_KEY) as server:
        source = fast_source(server, tmp_path, imdb_ids(3_000_000, 40), api_key=wrong)
        try:
            with pytest.raises(KeyRejected, match="Invalid API key!") as caught:
                source.plan(None)
        finally:
            source.close()
        assert server.statuses == {401: 1}
    assert not caught.value.retryable
    assert wrong not in _error_text(caught.value) and wrong not in debug_logs.text
    assert wrong.encode() not in _files_text(tmp_path)


def test_not_found_is_recorded_reported_and_not_fetched_again(tmp_path):
    ids = imdb_ids(4_000_000, 40)
    with OmdbServer() as server:
        missing = set(ids) - _found_ids(server, ids)
        assert missing  # every 17th id
        first = fast_source(server, tmp_path, ids)
        try:
            plan = first.plan(None)
            batch_ids = {row["imdbID"] for b in first.batches(plan) for row in b.to_pylist()}
        finally:
            first.close()
        assert plan.not_found == sorted((i, "Movie not found!") for i in missing)
        assert batch_ids.isdisjoint(missing) and plan.expected_rows == len(ids) - len(missing)
        again = fast_source(server, tmp_path, ids)
        try:
            later = again.plan(plan.high)
        finally:
            again.close()
        assert later.fetched == 0 and later.is_empty
        assert later.not_found == plan.not_found  # still reported: those ids are unknown to OMDb
        assert all(server.successes[i] == 1 for i in ids)


def test_request_limit_pauses_and_a_later_run_resumes_without_refetching(tmp_path):
    ids = imdb_ids(5_000_000, 60)
    with OmdbServer(faults=Faults(limit_after=30)) as server:
        first = fast_source(server, tmp_path, ids)
        try:
            plan = first.plan(None)
            first_rows = {row["imdbID"] for b in first.batches(plan) for row in b.to_pylist()}
        finally:
            first.close()
        assert plan.quota_exhausted and plan.fetched == 30 and plan.pending == 30
        error = plan.quota_error()
        assert isinstance(error, OmdbQuotaExhausted) and error.retryable
        assert "Request limit reached!" in str(error) and "resumes on the next run" in str(error)
        assert plan.expected_rows == len(first_rows) > 0  # what was fetched is delivered now

        server.reset_limit()  # the next UTC day at OMDb
        second = fast_source(server, tmp_path, ids)
        try:
            resumed = second.plan(plan.high)  # the first batch completed: its high is the watermark
            second_rows = {row["imdbID"] for b in second.batches(resumed) for row in b.to_pylist()}
        finally:
            second.close()
        assert not resumed.quota_exhausted and resumed.fetched == 30 and resumed.pending == 0
        assert resumed.quota_error() is None
        assert all(server.successes[i] == 1 for i in ids)
        assert first_rows.isdisjoint(second_rows)
        assert first_rows | second_rows == _found_ids(server, ids)


def test_crash_mid_fetch_resumes_without_refetching_finished_ids(tmp_path):
    ids = imdb_ids(6_000_000, 80)

    class Crash(Exception):
        pass

    answered = []

    def crash_after_25(imdb_id, status):
        answered.append(imdb_id)
        if len(answered) == 25:
            raise Crash("simulated crash")

    with OmdbServer(faults=Faults(rate_429=0.2)) as server:
        crashing = fast_source(server, tmp_path, ids, on_answer=crash_after_25)
        try:
            with pytest.raises(Crash):
                crashing.plan(None)
        finally:
            crashing.close()
        done_before = sum(server.successes.values())
        assert 25 <= done_before < len(ids)
        resumed = fast_source(server, tmp_path, ids)
        try:
            plan = resumed.plan(None)
        finally:
            resumed.close()
        assert plan.fetched == len(ids) - done_before
        assert all(server.successes[i] == 1 for i in ids)
        assert plan.expected_rows == len(_found_ids(server, ids))  # the batch holds the pre-crash answers too


def test_malformed_bodies_are_retried_then_recorded_as_failed_and_fetched_next_run(tmp_path):
    ids = imdb_ids(7_000_001, 6)
    flaky, broken = ids[0], ids[1]
    faults = Faults(malformed_once={flaky}, malformed_always={broken})
    with OmdbServer(faults=faults) as server:
        source = fast_source(server, tmp_path, ids, malformed_attempts=3)
        try:
            plan = source.plan(None)
            rows = {row["imdbID"] for b in source.batches(plan) for row in b.to_pylist()}
            assert flaky in rows and server.successes[flaky] == 1
            assert broken not in rows and server.attempts[broken] == 3
            assert [i for i, _ in plan.failed] == [broken] and "not OMDb JSON" in plan.failed[0][1]
            server.faults.malformed_always = set()  # OMDb recovers
            later = source.plan(plan.high)
            later_rows = {row["imdbID"] for b in source.batches(later) for row in b.to_pylist()}
        finally:
            source.close()
    assert later.fetched == 1 and later_rows == {broken} and later.failed == []


def test_slow_answers_time_out_and_are_retried(tmp_path, debug_logs):
    ids = imdb_ids(7_100_001, 4)
    with OmdbServer(faults=Faults(slow_ids={ids[0], ids[2]}, slow_seconds=0.8)) as server:
        source = fast_source(server, tmp_path, ids, timeout_s=0.2)
        try:
            plan = source.plan(None)
        finally:
            source.close()
        assert plan.fetched == 4 and all(server.successes[i] == 1 for i in ids)
        assert server.attempts[ids[0]] == 2 and server.attempts[ids[1]] == 1
    assert "timed out (ReadTimeout)" in debug_logs.text


def test_retry_after_is_honoured_and_capped(tmp_path, debug_logs):
    ids = imdb_ids(7_200_001, 1)
    with OmdbServer(faults=Faults(throttled_once=set(ids), retry_after="1")) as server:
        source = fast_source(server, tmp_path / "a", ids)
        try:
            source.plan(None)
        finally:
            source.close()
    assert "HTTP 429; attempt 1, retrying in 1.00s" in debug_logs.text  # not the 0.01 s backoff cap
    with OmdbServer(faults=Faults(throttled_once=set(ids), retry_after="3600")) as server:
        source = fast_source(server, tmp_path / "b", ids, max_retry_after_s=0.05)
        try:
            plan = source.plan(None)
        finally:
            source.close()
    assert "HTTP 429; attempt 1, retrying in 0.05s" in debug_logs.text and plan.fetched == 1


def test_rate_limiter_spaces_requests(tmp_path):
    ids = imdb_ids(8_000_001, 30)
    with OmdbServer(not_found_every=10_000_000) as server:
        source = fast_source(server, tmp_path, ids, requests_per_second=20, workers=4)
        try:
            source.plan(None)
        finally:
            source.close()
        times = sorted(server.request_times)
    assert len(times) == 30
    # at 20/s no half-second window may hold more than 10 requests (+2 for scheduling jitter);
    # unpaced, four workers on a local server send all 30 within a fraction of that.
    busiest = max(sum(1 for t in times if start <= t < start + 0.5) for start in times)
    assert busiest <= 12


def test_daily_quota_persists_across_source_instances(tmp_path):
    quota = tmp_path / "shared-quota.sqlite"
    with OmdbServer() as server:
        first = fast_source(server, tmp_path / "one", imdb_ids(9_000_001, 6), daily_quota=10, quota_path=quota)
        try:
            plan = first.plan(None)
        finally:
            first.close()
        assert plan.fetched == 6 and plan.quota_used_today == 6 and not plan.quota_exhausted
        second = fast_source(server, tmp_path / "two", imdb_ids(9_100_001, 8), daily_quota=10, quota_path=quota)
        try:
            later = second.plan(None)
        finally:
            second.close()
        assert later.quota_exhausted and later.fetched == 4 and later.pending == 4
        assert "daily quota of 10 requests" in later.quota_reason
        assert server.keyed_requests == 10  # the quota stopped us before OMDb had to


def test_another_process_fetching_into_the_same_cache_is_refused(tmp_path):
    from filelock import FileLock

    errors = []
    with OmdbServer() as server:
        source = fast_source(server, tmp_path, imdb_ids(9_200_001, 2))
        try:
            with FileLock(str(tmp_path / "fetch.lock")):  # held by "another process"
                thread = threading.Thread(target=lambda: _capture(errors, source.plan, None))
                thread.start()
                thread.join()
        finally:
            source.close()
    assert errors and "another process is fetching" in str(errors[0])


def _capture(errors, fn, *args):
    try:
        fn(*args)
    except Exception as error:  # noqa: BLE001
        errors.append(error)
