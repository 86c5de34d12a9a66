"""What runs remember between them, per source: watermarks, key scans, column baselines.

All of it lives in an ``ObjectStore`` (a folder locally, the state bucket in the
cloud: an ECS task's disk does not outlive its run) and moves only after a batch
reconciles, so a crash anywhere re-plans the same batch: same range, same
deletes, same batch id. Two runs of one source never overlap (``flows.locks``),
so a read-modify-write of the watermarks object is safe; each run rewrites only
its own source's entry after re-reading it.

Every write is atomic (``ObjectStore.put_bytes``: temp file, fsync, rename locally;
one PUT in S3). A commit writes two objects, so their order makes it safe: the
batch's key scan and column baseline go to a folder named after the batch first,
then the watermark entry, which points at that folder, is the one write that
commits. A crash between the two leaves the old watermark pointing at the old
snapshot: the rerun re-plans the very same batch.

State that cannot be read is named (``StateError``: the file and the way out),
never taken for "no state", which would silently re-load everything.
"""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date, datetime, timezone

from moviepipe.errors import MoviepipeError
from moviepipe.objectstore import ObjectStore

WATERMARKS_KEY = "state/watermarks.json"
SOURCES_PREFIX = "state/sources/"


FULL_REFRESH = "moviepipe run --full-refresh"


class StateError(MoviepipeError):
    """A state file is missing, empty, truncated or hand-edited; the message names it and the way out."""

    stage = "state"


def _valid_watermark(value) -> bool:
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    try:
        (datetime if "T" in value or " " in value else date).fromisoformat(value)
    except ValueError:
        return False
    return True


class WatermarkStore:
    """One JSON object: source key -> the high watermark and batch of its last committed batch."""

    def __init__(self, store: ObjectStore, key: str = WATERMARKS_KEY):
        self.store = store
        self.key = key

    def exists(self) -> bool:
        return self.store.exists(self.key)

    def _read(self) -> dict:
        if not self.store.exists(self.key):
            return {}
        raw = self.store.get_bytes(self.key)
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            why = "empty" if not raw.strip() else f"not valid JSON ({error})"
            raise self._corrupt(why) from None
        if not isinstance(data, dict):
            raise self._corrupt(f"a JSON {type(data).__name__}, not an object of sources")
        for source_key, entry in data.items():
            if not isinstance(entry, dict) or not _valid_watermark(entry.get("high")):
                raise self._corrupt(f"the entry of {source_key.split('|')[0]!r} has no valid 'high' watermark "
                                    f"(an ISO date or time): {json.dumps(entry)[:80]}")
        return data

    def _corrupt(self, why: str) -> StateError:
        return StateError(f"state file {self.store.uri(self.key)} is {why}; it holds every source's watermark. "
                          f"Restore it from a backup, or move it aside and run `{FULL_REFRESH}` (re-reads the "
                          "source; unchanged rows are no-ops in the warehouse)")

    def entry(self, source_key: str) -> dict:
        return self._read().get(source_key, {})

    def get(self, source_key: str) -> str | None:
        return self.entry(source_key).get("high")

    def advance(self, source_key: str, high: str | None, batch_id: str, snapshot: str | None = None,
                keys: bool | None = None) -> None:
        """The commit point of a batch: its watermark, and the snapshot folder it saw (``SourceSnapshots``)."""
        data = self._read()
        previous = data.get(source_key, {})
        entry = {"high": high, "batch_id": batch_id,
                 "updated_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        snapshot = snapshot or previous.get("snapshot")
        if snapshot:
            entry["snapshot"] = snapshot
            entry["keys"] = bool(keys if keys is not None else previous.get("keys"))
        data[source_key] = entry
        self.store.put_bytes(self.key, json.dumps(data, indent=2).encode())


class SourceSnapshots:
    """What the last committed batch saw of a source: its keys and its column types.

    The key scan is what delete detection diffs against; the column types are
    the baseline retyped columns are found against.
    """

    def __init__(self, store: ObjectStore, prefix: str = SOURCES_PREFIX):
        self.store = store
        self.prefix = prefix

    def _folder(self, source_key: str) -> str:
        return f"{self.prefix}{hashlib.sha256(source_key.encode()).hexdigest()[:16]}/"

    def _key(self, source_key: str, name: str, snapshot: str | None = None) -> str:
        """``<source>/<snapshot>/<name>``; without a snapshot, the flat layout of older homes."""
        return f"{self._folder(source_key)}{snapshot + '/' if snapshot else ''}{name}"

    def keys(self, source_key: str, snapshot: str | None = None, required: bool = False):
        """The key scan the watermark's commit saw; ``required``: the commit recorded one, so it must be there."""
        import pyarrow.parquet as pq

        key = self._key(source_key, "keys.parquet", snapshot)
        if not self.store.exists(key):
            if required:
                raise self._lost(key, "missing")
            return None
        raw = self.store.get_bytes(key)
        try:
            return pq.read_table(io.BytesIO(raw))
        except Exception as error:  # pyarrow raises ArrowInvalid / OSError on a truncated file
            raise self._lost(key, "empty" if not raw else f"unreadable ({str(error).splitlines()[0][:80]})") from None

    def _lost(self, key: str, why: str) -> StateError:
        return StateError(f"key scan {self.store.uri(key)} is {why}: deletes since the last batch cannot be found "
                          f"without it. Restore it from a backup, or run `{FULL_REFRESH}` to rescan the source "
                          "(movies deleted since the last batch then stay open in the warehouse)")

    def column_types(self, source_key: str, snapshot: str | None = None) -> dict | None:
        key = self._key(source_key, "columns.json", snapshot)
        if not self.store.exists(key):
            return None
        try:
            return json.loads(self.store.get_bytes(key))
        except (ValueError, UnicodeDecodeError):
            raise StateError(f"column baseline {self.store.uri(key)} is not valid JSON; restore it, or delete it "
                             "(retyped columns are then measured from this run on)") from None

    def commit(self, source_key: str, keys=None, column_types: dict | None = None,
               snapshot: str | None = None) -> None:
        """Write the batch's snapshot (under ``snapshot``, before the watermark points at it)."""
        import pyarrow.parquet as pq

        if keys is not None:
            buffer = io.BytesIO()
            pq.write_table(keys, buffer)
            self.store.put_bytes(self._key(source_key, "keys.parquet", snapshot), buffer.getvalue())
        if column_types is not None:
            self.store.put_bytes(self._key(source_key, "columns.json", snapshot),
                                 json.dumps(column_types, indent=2, sort_keys=True).encode())

    def latest(self, source_key: str) -> str | None:
        """The newest snapshot folder of the source (batch ids sort by date), if any."""
        folder = self._folder(source_key)
        try:
            keys = self.store.list(folder)
        except Exception:  # noqa: BLE001 - e.g. no s3:ListBucket: then only the watermark's pointer counts
            return None
        names = {key[len(folder):].split("/")[0] for key in keys if "/" in key[len(folder):]}
        return max(names) if names else None

    def prune(self, source_key: str, keep: str) -> None:
        """Drop the snapshots no watermark points at any more (after the commit; a crash here is harmless)."""
        folder = self._folder(source_key)
        try:
            for key in self.store.list(folder):
                if not key[len(folder):].startswith(keep + "/"):
                    self.store.delete(key)
        except Exception as error:  # noqa: BLE001 - best effort: the commit is done; a role without
            # s3:ListBucket / s3:DeleteObject on state/ keeps every snapshot instead
            import logging

            logging.getLogger(__name__).warning("could not prune old snapshots under %s: %s",
                                                self.store.uri(folder), str(error).splitlines()[0][:200])
