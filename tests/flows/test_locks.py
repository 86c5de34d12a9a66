"""One run per source: a lock that dies with its holder, names it when it refuses, and is scoped per home."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from flows.locks import FileSourceLock, LockLost, S3LeaseLock, SourceBusy, lock_for, lock_name, now_utc, source_lock

REPO = Path(__file__).resolve().parents[2]

HOLDER = """
import sys, time
from flows.locks import source_lock
with source_lock(sys.argv[1], "movies.db", 0, home=sys.argv[2]):
    print("held", flush=True)
    time.sleep(600)
"""


def hold_in_subprocess(key: str, home: Path) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", HOLDER, key, str(home)], cwd=REPO, stdout=subprocess.PIPE,
                             text=True)
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_killed_holder_frees_the_lock_at_once_and_a_live_one_is_named(tmp_path):
    home = tmp_path / "home"
    child = hold_in_subprocess("sql|movies.db", home)
    try:
        with pytest.raises(SourceBusy) as refused:
            with source_lock("sql|movies.db", "movies.db", 0, home=home):
                pass
        message = str(refused.value)
        assert f"held by pid {child.pid} on {socket.gethostname()}" in message
        assert str(home / "locks" / f"{lock_name('sql|movies.db')}.lock") in message
        with pytest.raises(SourceBusy, match=f"pid {child.pid}.*still going"):  # unlock refuses a live holder
            lock_for("sql|movies.db", home=home).unlock()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    # No wait allowed: the kernel released the dead holder's flock.
    with source_lock("sql|movies.db", "movies.db", 0, home=home) as name:
        holder = FileSourceLock(home / "locks", name).read_holder()
        assert holder["pid"] == os.getpid() and holder["source"] == "movies.db"
    assert not (home / "locks" / f"{name}.holder.json").exists(), "the holder file goes with the lock"


def test_unlock_removes_what_a_dead_holder_left(tmp_path):
    home = tmp_path / "home"
    child = hold_in_subprocess("sql|movies.db", home)
    child.send_signal(signal.SIGKILL)
    child.wait()
    lock = lock_for("sql|movies.db", home=home)
    assert lock.read_holder()["pid"] == child.pid, "SIGKILL leaves the holder file behind"
    assert f"removed stale lock {lock.lock_path} (last held by pid {child.pid}" in lock.unlock()
    assert not lock.holder_path.exists() and not lock.lock_path.exists()
    assert "nothing to remove" in lock.unlock()


def test_two_holders_on_one_home_one_is_refused_other_sources_and_homes_proceed(tmp_path):
    home, other_home = tmp_path / "a", tmp_path / "b"
    with source_lock("sql|movies.db", "movies.db", 0, home=home):
        with pytest.raises(SourceBusy, match=rf"source movies.db is in progress \(held by pid {os.getpid()} .*"
                                             r"waited 0.3 s"):
            with source_lock("sql|movies.db", "movies.db", 0.3, home=home):
                pass
        with source_lock("sql|other.db", "other.db", 0, home=home):  # another source does not wait
            pass
        with source_lock("sql|movies.db", "movies.db", 0, home=other_home):  # another home does not wait
            pass
    with source_lock("sql|movies.db", "movies.db", 0, home=home):  # released when the first run ended
        pass


def test_a_waiting_run_starts_when_the_first_one_ends(tmp_path):
    events, holding, release = [], threading.Event(), threading.Event()

    def first():
        with source_lock("sql|c.db", "c.db", 0, home=tmp_path):
            holding.set()
            release.wait(30)
            events.append("first released")

    thread = threading.Thread(target=first)
    thread.start()
    holding.wait(30)
    threading.Timer(0.5, release.set).start()
    with source_lock("sql|c.db", "c.db", 30, home=tmp_path):
        events.append("second acquired")
    thread.join()
    assert events == ["first released", "second acquired"]


def test_an_error_inside_the_block_is_not_mistaken_for_a_busy_source(tmp_path):
    with pytest.raises(TimeoutError, match="from the work"):
        with source_lock("sql|d.db", "d.db", 0, home=tmp_path):
            raise TimeoutError("from the work")
    with source_lock("sql|d.db", "d.db", 0, home=tmp_path):
        pass


# --------------------------------------------------------------------------- cloud lease (moto)

@pytest.fixture
def s3():
    moto = pytest.importorskip("moto")
    import boto3

    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="state")
        yield client


class Clock:
    def __init__(self):
        self.now = now_utc()

    def __call__(self):
        return self.now


def test_lease_refuses_a_second_run_until_it_expires(s3):
    clock = Clock()
    first = S3LeaseLock(s3, "state", "src", lease_seconds=60, renew_every=3600, clock=clock)
    second = S3LeaseLock(s3, "state", "src", lease_seconds=60, renew_every=3600, clock=clock)
    with pytest.raises(LockLost, match="taken over"), first.hold("movies.db", 0):
        with pytest.raises(SourceBusy, match=rf"held by pid {os.getpid()} .*s3://state/state/locks/src.json"):
            with second.hold("movies.db", 0):
                pass
        with pytest.raises(SourceBusy, match="still renewing"):
            second.unlock()
        clock.now += timedelta(seconds=61)  # the holder stopped renewing (as if killed): the lease runs out
        assert second.try_acquire({"pid": 1, "host": "other"})
    # the first holder's release left the new holder's lease alone, and said it had lost it
    assert second.read()[0]["host"] == "other"


def test_a_held_lease_is_renewed_and_released(s3):
    lock = S3LeaseLock(s3, "state", "src", lease_seconds=60, renew_every=0.05)
    with lock.hold("movies.db", 0):
        first_expiry = lock.read()[0]["expires_at"]
        threading.Event().wait(1.2)
        assert lock.read()[0]["expires_at"] > first_expiry, "the renewer pushed the expiry on"
    released = lock.read()[0]
    assert released["released"] and lock.expired(released), "released: expired at once"
    other = S3LeaseLock(s3, "state", "src", lease_seconds=60)
    with other.hold("movies.db", 0):  # the next run takes it over without waiting
        assert other.read()[0]["pid"] == os.getpid() and "released" not in other.read()[0]


def test_a_lease_taken_over_is_reported_as_lost(s3):
    lock = S3LeaseLock(s3, "state", "src", lease_seconds=60, renew_every=0.05)
    with pytest.raises(LockLost, match="taken over or removed"):
        with lock.hold("movies.db", 0):
            s3.delete_object(Bucket="state", Key=lock.key)
            threading.Event().wait(0.5)


def test_unlock_reports_an_expired_lease_free(s3):
    clock = Clock()
    lock = S3LeaseLock(s3, "state", "src", lease_seconds=60, clock=clock)
    assert lock.try_acquire({"pid": 42, "host": "gone"})
    clock.now += timedelta(seconds=120)
    assert "s3://state/state/locks/src.json is free: its lease ended (expired; last held by pid 42 on gone" \
        in lock.unlock()
