"""One run per source at a time, with a lock that dies with its holder.

Two overlapping runs of one source would plan the same watermark range twice and
race to advance it. The lock is scoped to what it protects: the watermarks of one
``MOVIEPIPE_HOME`` (locally) or of one state bucket (in the cloud), so two homes that
read the same source never block each other.

- **Local**: an OS file lock (``flock`` through ``filelock``) on
  ``$MOVIEPIPE_HOME/locks/<source>.lock``. The kernel releases it when the holder
  exits in any way (return, exception, Ctrl-C, SIGKILL), so a killed run never leaves
  the source taken. Beside it, ``<source>.holder.json`` (pid, host, started at, source),
  written atomically, names the holder in the message a refused run gets. The
  holder file is information only: whether the lock is held is the kernel's answer.
- **Cloud**: a lease object ``state/locks/<source>.json`` in the state bucket, created with a
  conditional write (``IfNoneMatch='*'``: S3 refuses it if the object exists), holding
  an expiry that a background thread renews while the run lives (``IfMatch`` on the
  lease's ETag, so a run that lost its lease notices). A run killed without releasing it
  blocks the source only until the lease expires (``S3LeaseLock``). Releasing overwrites the
  lease with one that has expired: the flow runs' role may Get and Put under ``state/``, not Delete.

A refused run waits up to ``MOVIEPIPE_SOURCE_LOCK_WAIT`` seconds, then fails with
``SourceBusy`` naming the holder and the lock. ``moviepipe unlock SOURCE`` removes a
stale lock and refuses while its holder is alive (``unlock``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from moviepipe.errors import MoviepipeError
from moviepipe.objectstore import write_atomic

#: Cloud lease: how long a lease lives without renewal, and how often the holder renews it.
LEASE_SECONDS = 300.0
RENEW_EVERY = LEASE_SECONDS / 5
POLL_SECONDS = 0.2


class SourceBusy(MoviepipeError):
    """Another run of the same source holds its lock."""

    stage = "lock"


class LockLost(MoviepipeError):
    """The cloud lease expired or was taken over while this run held it."""

    stage = "lock"


def lock_name(source_key: str) -> str:
    """Readable and unique per source: the tail of the (password-free) key plus its hash."""
    slug = re.sub(r"[^a-z0-9]+", "-", source_key.lower()).strip("-")[-40:].strip("-") or "source"
    return f"moviepipe-source-{slug}-{hashlib.sha256(source_key.encode()).hexdigest()[:10]}"


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def holder_info(source_name: str, **extra) -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(), "source": source_name,
            "started_at": now_utc().isoformat(timespec="seconds"), **extra}


def describe(holder: dict | None) -> str:
    if not holder:
        return "holder unknown (no holder file)"
    return f"held by pid {holder.get('pid')} on {holder.get('host')} since {holder.get('started_at')}"


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a live process on this host (signal 0 checks without sending)."""
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


# --------------------------------------------------------------------------- #
# Local: a file lock under the home
# --------------------------------------------------------------------------- #

@dataclass
class FileSourceLock:
    """``flock`` on ``<locks_dir>/<name>.lock``; the kernel releases it when the process dies."""

    locks_dir: Path
    name: str

    @property
    def lock_path(self) -> Path:
        return self.locks_dir / f"{self.name}.lock"

    @property
    def holder_path(self) -> Path:
        return self.locks_dir / f"{self.name}.holder.json"

    def read_holder(self) -> dict | None:
        try:
            return json.loads(self.holder_path.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def _file_lock(self):
        from filelock import FileLock

        self.locks_dir.mkdir(parents=True, exist_ok=True)
        # thread_local=False and not a singleton: a second holder in the same process is refused too.
        return FileLock(str(self.lock_path), thread_local=False, is_singleton=False)

    @contextmanager
    def hold(self, source_name: str, wait_seconds: float) -> Iterator[str]:
        from filelock import Timeout

        lock = self._file_lock()
        try:
            lock.acquire(timeout=wait_seconds, poll_interval=POLL_SECONDS)
        except Timeout:
            raise SourceBusy(f"another moviepipe run of source {source_name} is in progress "
                             f"({describe(self.read_holder())}; lock {self.lock_path}); waited {wait_seconds:g} s. "
                             "Try again when it ends, or raise MOVIEPIPE_SOURCE_LOCK_WAIT.") from None
        try:
            write_atomic(self.holder_path, json.dumps(holder_info(source_name), indent=2).encode())
            yield self.name
        finally:
            self.holder_path.unlink(missing_ok=True)  # before the release: a new holder writes its own
            lock.release()

    def unlock(self) -> str:
        """Clear what a dead holder left; refuse while the lock is held (its holder is alive)."""
        from filelock import Timeout

        holder = self.read_holder()
        lock = self._file_lock()
        try:
            lock.acquire(timeout=0)
        except Timeout:
            alive = holder and holder.get("host") == socket.gethostname() and pid_alive(holder.get("pid", -1))
            who = describe(holder) + (" (alive)" if alive else "")
            raise SourceBusy(f"{self.lock_path} is held, {who}: that run is still going; "
                             "stop it (or wait for it) instead of unlocking") from None
        try:
            self.holder_path.unlink(missing_ok=True)
        finally:
            lock.release()
        self.lock_path.unlink(missing_ok=True)
        return (f"removed stale lock {self.lock_path} (last {describe(holder)})" if holder
                else f"{self.lock_path} was not held; nothing to remove")


# --------------------------------------------------------------------------- #
# Cloud: a lease object in the state bucket
# --------------------------------------------------------------------------- #

def _error_code(error) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


class S3LeaseLock:
    """A lease object created with ``IfNoneMatch='*'`` and renewed with ``IfMatch`` while the run lives.

    A dead holder's lease is taken over once it has expired (a conditional overwrite on the
    expired lease's ETag, so two runs that both see it expired cannot both win).
    """

    def __init__(self, s3, bucket: str, name: str, lease_seconds: float = LEASE_SECONDS,
                 renew_every: float | None = None, clock=now_utc):
        self.s3, self.bucket, self.name = s3, bucket, name
        self.key = f"state/locks/{name}.json"  # the flow runs' role may Get/Put under state/ (infra/worker.py)
        self.lease_seconds = lease_seconds
        self.renew_every = renew_every if renew_every is not None else lease_seconds / 5
        self.clock = clock
        self.etag: str | None = None
        self.lost: str | None = None

    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def _body(self, holder: dict) -> bytes:
        expires = self.clock() + timedelta(seconds=self.lease_seconds)
        return json.dumps({**holder, "expires_at": expires.isoformat(timespec="seconds")}).encode()

    def read(self) -> tuple[dict | None, str | None]:
        from botocore.exceptions import ClientError

        try:
            answer = self.s3.get_object(Bucket=self.bucket, Key=self.key)
        except ClientError as error:
            if _error_code(error) in ("NoSuchKey", "404", "NotFound"):
                return None, None
            raise
        try:
            return json.loads(answer["Body"].read()), answer["ETag"]
        except ValueError:
            return {}, answer["ETag"]

    def expired(self, lease: dict | None) -> bool:
        try:
            return datetime.fromisoformat(lease["expires_at"]) <= self.clock()
        except (KeyError, TypeError, ValueError):
            return True  # unreadable lease: treat as expired (it still needs the ETag to take over)

    def try_acquire(self, holder: dict) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.etag = self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=self._body(holder),
                                           IfNoneMatch="*")["ETag"]
            return True
        except ClientError as error:
            if _error_code(error) not in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                raise
        lease, etag = self.read()
        if etag is None or not self.expired(lease):
            return False
        try:  # take over the expired lease, only if nobody renewed or took it since we read it
            self.etag = self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=self._body(holder),
                                           IfMatch=etag)["ETag"]
            return True
        except ClientError as error:
            if _error_code(error) in ("PreconditionFailed", "412", "ConditionalRequestConflict", "NoSuchKey"):
                return False
            raise

    def renew(self, holder: dict) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.etag = self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=self._body(holder),
                                           IfMatch=self.etag)["ETag"]
            return True
        except ClientError as error:
            if _error_code(error) in ("PreconditionFailed", "412", "NoSuchKey", "404"):
                self.lost = f"lease {self.uri()} was taken over or removed while this run held it"
                return False
            raise

    def release(self) -> None:
        """End the lease if it is still ours (an overwrite that expires it now: the role has no
        s3:DeleteObject); else note that it was lost (someone took it over)."""
        from botocore.exceptions import ClientError

        lease, etag = self.read()
        if etag is None or etag != self.etag:
            if self.lost is None:
                self.lost = f"lease {self.uri()} was taken over or removed while this run held it"
            return
        released = {**(lease or {}), "expires_at": self.clock().isoformat(timespec="seconds"), "released": True}
        try:
            self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=json.dumps(released).encode(), IfMatch=etag)
        except ClientError as error:
            if _error_code(error) not in ("PreconditionFailed", "412", "NoSuchKey"):
                raise
            self.lost = f"lease {self.uri()} was taken over while this run released it"

    @contextmanager
    def hold(self, source_name: str, wait_seconds: float) -> Iterator[str]:
        holder = holder_info(source_name, lease_seconds=self.lease_seconds)
        deadline = time.monotonic() + wait_seconds
        while not self.try_acquire(holder):
            if time.monotonic() >= deadline:
                lease, _ = self.read()
                raise SourceBusy(f"another moviepipe run of source {source_name} is in progress "
                                 f"({describe(lease)}, lease until {(lease or {}).get('expires_at')}; "
                                 f"lock {self.uri()}); waited {wait_seconds:g} s. Try again when it ends or the "
                                 "lease expires, or raise MOVIEPIPE_SOURCE_LOCK_WAIT.")
            time.sleep(POLL_SECONDS)
        stop = threading.Event()

        def keep_alive():
            while not stop.wait(self.renew_every):
                if not self.renew(holder):
                    return

        renewer = threading.Thread(target=keep_alive, name=f"lease-{self.name}", daemon=True)
        renewer.start()
        try:
            yield self.name
        finally:
            stop.set()
            renewer.join()
            if self.lost is None:
                self.release()
        # Reached only when the block itself succeeded: its work ran while another run may have held the source.
        if self.lost:
            raise LockLost(self.lost)

    def unlock(self) -> str:
        lease, etag = self.read()
        if etag is None:
            return f"{self.uri()} does not exist; nothing to remove"
        if not self.expired(lease):
            raise SourceBusy(f"{self.uri()} is held, {describe(lease)}, lease until {lease.get('expires_at')}: "
                             "that run is still renewing it; stop it (or wait for the lease to expire)")
        return (f"{self.uri()} is free: its lease ended ({'released' if lease.get('released') else 'expired'}; "
                f"last {describe(lease)}); the next run takes it over")


# --------------------------------------------------------------------------- #
# Picking the lock for a runtime
# --------------------------------------------------------------------------- #

def lock_for(source_key: str, runtime=None, home: Path | None = None):
    """The lock of ``source_key`` where ``runtime`` keeps its state (its home, or its state bucket)."""
    name = lock_name(source_key)
    if runtime is not None and getattr(runtime, "name", "local") == "cloud":
        settings = runtime.settings
        return S3LeaseLock(runtime.s3, settings.state_bucket, name, lease_seconds=settings.source_lock_lease)
    if home is None:
        if runtime is not None:
            home = runtime.settings.home_dir
        else:
            from moviepipe.settings import load_settings

            home = load_settings().home_dir
    return FileSourceLock(Path(home) / "locks", name)


@contextmanager
def source_lock(source_key: str, source_name: str, wait_seconds: float, *, runtime=None,
                home: Path | None = None) -> Iterator[str]:
    """Hold the source's lock for the block; refuse after ``wait_seconds`` with a message naming the holder."""
    with lock_for(source_key, runtime, home).hold(source_name, wait_seconds) as name:
        yield name
