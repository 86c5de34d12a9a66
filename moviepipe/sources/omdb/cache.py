"""The on-disk cache of OMDb answers and its mapping onto the raw contract.

One append-only JSONL file per source: a line per fetched id, written (and
fsynced) the moment its answer arrives, so a crash loses at most the requests
in flight. A line holds the requested id, the status (found / not_found /
failed), ``fetched_at`` (UTC, microseconds) and either OMDb's JSON verbatim or
the reason. Never the key: it is not in OMDb's answers and is never written.

``fetched_at`` is the source's watermark. Stamps are strictly increasing within
the file (a stamp is never earlier than the last one, whatever the clock does),
so "records with low < fetched_at <= high" is exact and a batch's range never
loses a record to a tie.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pyarrow as pa

from moviepipe.contract import EXTRA_COLUMNS, RAW_COLUMNS
from moviepipe.errors import SourceError
from moviepipe.sources.omdb.helpers import utc_stamp
from moviepipe.sources.omdb.settings import CACHE_FILE, OMDB_EXTRA_COLUMNS

logger = logging.getLogger("moviepipe.sources.omdb")



def schema_for(omdb_extras=OMDB_EXTRA_COLUMNS) -> pa.Schema:
    """All strings: the contract's columns, the SQL source's extras (NULL here), then the chosen OMDb extras."""
    unknown = [name for name in omdb_extras if name not in OMDB_EXTRA_COLUMNS]
    if unknown:
        raise SourceError(f"OMDb extra columns {unknown} unknown; choose from {list(OMDB_EXTRA_COLUMNS)}")
    names = RAW_COLUMNS + EXTRA_COLUMNS + tuple(omdb_extras)
    return pa.schema([pa.field(name, pa.string()) for name in names])


#: The default schema of an OMDb batch.
SCHEMA = schema_for()


class ResponseCache:
    """Append-only JSONL of answers, with an in-memory index: id -> (status, fetched_at) of its latest line."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / CACHE_FILE
        self._lock = threading.Lock()
        self.latest: dict[str, tuple[str, str]] = {}
        self._last_stamp = ""
        self._load()
        self._handle = open(self.path, "a", encoding="utf-8")

    def _load(self) -> None:
        if not self.path.exists():
            return
        self._repair_torn_tail()
        for line_number, record in self._records():
            self.latest[record["imdbID"]] = (record["status"], record["fetched_at"])
            self._last_stamp = max(self._last_stamp, record["fetched_at"])

    def _repair_torn_tail(self) -> None:
        """A crash mid-write can leave a last line without its newline: cut it (its id is fetched again)."""
        with open(self.path, "rb+") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            if size == 0:
                return
            handle.seek(size - 1)
            if handle.read(1) == b"\n":
                return
            keep = 0
            position = size
            while position > 0:
                step = min(1 << 16, position)
                position -= step
                handle.seek(position)
                chunk = handle.read(step)
                cut = chunk.rfind(b"\n")
                if cut >= 0:
                    keep = position + cut + 1
                    break
            handle.truncate(keep)
            logger.warning("OMDb cache %s: cut a torn last line (%d bytes) left by a crash", self.path, size - keep)

    def _records(self) -> Iterator[tuple[int, dict]]:
        with open(self.path, encoding="utf-8") as handle:
            for line_number, line in enumerate(handle, start=1):
                try:
                    record = json.loads(line)
                    record["imdbID"], record["status"], record["fetched_at"]  # noqa: B018 - shape check
                except (json.JSONDecodeError, KeyError, TypeError):
                    raise SourceError(f"OMDb cache {self.path} line {line_number} is not a cache record; "
                                      "move the file away to fetch everything again") from None
                yield line_number, record

    def records(self) -> Iterator[dict]:
        """Every line, oldest first (read from disk each time: never all in memory)."""
        if self.path.exists():
            for _, record in self._records():
                yield record

    def append(self, imdb_id: str, status: str, data: dict | None = None, reason: str | None = None) -> str:
        """Write one answer durably; returns its fetched_at stamp."""
        with self._lock:
            stamp = utc_stamp()
            if stamp <= self._last_stamp:  # same microsecond, or the clock stepped back
                last = datetime.strptime(self._last_stamp, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
                stamp = utc_stamp(last + timedelta(microseconds=1))
            record = {"imdbID": imdb_id, "status": status, "fetched_at": stamp}
            if data is not None:
                record["data"] = data
            if reason is not None:
                record["reason"] = reason
            self._handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._last_stamp = stamp
            self.latest[imdb_id] = (status, stamp)
            return stamp

    def close(self) -> None:
        with self._lock:
            if not self._handle.closed:
                self._handle.close()


def _text(value) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def to_row(data: dict, fetched_at: str) -> dict[str, str | None]:
    """One OMDb answer as a raw-contract row: OMDb's strings untouched (the Glue job cleanses)."""
    row = {name: _text(data.get(name)) for name in RAW_COLUMNS}
    ratings = data.get("Ratings")
    if row["tomatoMeter"] in (None, "", "N/A") and isinstance(ratings, list):
        tomato = next((r.get("Value") for r in ratings
                       if isinstance(r, dict) and r.get("Source") == "Rotten Tomatoes"), None)
        if tomato is not None:
            row["tomatoMeter"] = _text(tomato)
    row["lastUpdated"] = fetched_at[:19]  # OMDb has no update time: the fetch time, so refreshes are newer versions
    for name in EXTRA_COLUMNS:
        row[name] = None
    for name in OMDB_EXTRA_COLUMNS:  # strings as OMDb sent them; the list as JSON text (typed in EXTRA by Glue)
        row[name] = _text(data.get(name))
    return row


def batch_of(rows: list[dict], schema: pa.Schema = SCHEMA) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array([row[f.name] for row in rows], type=pa.string()) for f in schema],
                                      schema=schema)
