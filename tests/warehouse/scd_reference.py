"""A plain-Python reference model of DIM_MOVIE: full history per movie, by the documented rules.

It restates the rules of ``sql/tasks/010_merge_dim_movie.sql`` one event at a
time instead of as one set-based MERGE, so the property test can compare the two:

1. inside a batch, one event per movie and instant: a delete beats a record; among
   records the greater (CHANGE_HASH, TYPE1_HASH) wins;
2. an event at the instant of a stored version replaces it (the later batch wins),
   unless it says the same thing (same deleted flag and, for records, hash);
3. an event at a new instant that says what the version in effect before it says is
   dropped; otherwise it becomes a version (late ones split history);
4. a tombstone carries the content of the record before it (none if there is none);
5. stored versions are never removed; versions are contiguous, the last is current;
6. type-1 values come from the newest record (batch order breaks ties at an instant).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

END_OF_TIME = datetime(9999, 12, 31)


@dataclass
class Version:
    valid_from: datetime
    deleted: bool
    record_hash: str | None  # the record's own CHANGE_HASH (None for a tombstone)
    title: str | None
    batch_id: str
    stored: bool = False
    content: tuple = (None, None)  # (CHANGE_HASH, TITLE) as stored: a tombstone's come from its record

    @property
    def says(self) -> tuple:
        return self.deleted, self.content[0]


@dataclass
class ReferenceDim:
    versions: dict[str, list[Version]] = field(default_factory=dict)
    type1: dict[str, tuple[datetime, str | None]] = field(default_factory=dict)

    def apply(self, batch_id: str, records: list[dict], deletes: list[dict]) -> None:
        self._apply_type1(records)
        events: dict[tuple[str, datetime], Version] = {}
        for record in records:
            at = _ts(record["LAST_UPDATED"])
            event = Version(at, False, record["CHANGE_HASH"], record["TITLE"], batch_id)
            current = events.get((record["IMDB_ID"], at))
            if current is None or (not current.deleted and event.record_hash > current.record_hash):
                events[(record["IMDB_ID"], at)] = event
        for gone in deletes:
            at = _ts(gone["DELETED_AT"])
            events[(gone["IMDB_ID"], at)] = Version(at, True, None, None, batch_id)
        for imdb_id in sorted({key for key, _ in events}):
            mine = sorted((e for (key, _), e in events.items() if key == imdb_id), key=lambda e: e.valid_from)
            self._merge(imdb_id, mine)

    def _apply_type1(self, records: list[dict]) -> None:
        best: dict[str, tuple] = {}
        for record in records:
            rank = (_ts(record["LAST_UPDATED"]), record["CHANGE_HASH"], record["TYPE1_HASH"])
            if record["IMDB_ID"] not in best or rank > best[record["IMDB_ID"]][0]:
                best[record["IMDB_ID"]] = (rank, record["PLOT"])
        for imdb_id, ((at, _, _), plot) in best.items():
            if imdb_id not in self.type1 or at >= self.type1[imdb_id][0]:
                self.type1[imdb_id] = (at, plot)

    def _merge(self, imdb_id: str, events: list[Version]) -> None:
        by_time = {v.valid_from: v for v in self.versions.get(imdb_id, [])}
        for event in events:
            stored = by_time.get(event.valid_from)
            if stored is None:
                by_time[event.valid_from] = event
            elif (stored.deleted, stored.record_hash) != (event.deleted, event.record_hash) \
                    and not (stored.deleted and event.deleted):
                stored.deleted, stored.record_hash, stored.title = event.deleted, event.record_hash, event.title
                stored.batch_id = event.batch_id
        kept: list[Version] = []
        for version in sorted(by_time.values(), key=lambda v: v.valid_from):
            _set_content(version, kept)
            if not version.stored and kept and kept[-1].says == version.says:
                continue
            kept.append(version)
        for version in kept:  # re-derive tombstone content over the versions that remain
            _set_content(version, kept[: kept.index(version)])
            version.stored = True
        self.versions[imdb_id] = kept

    def rows(self, imdb_id: str) -> list[tuple]:
        """(VALID_FROM, VALID_TO, IS_CURRENT, IS_DELETED, CHANGE_HASH, TITLE, PLOT, BATCH_ID) per version."""
        versions = self.versions.get(imdb_id, [])
        plot = self.type1.get(imdb_id, (None, None))[1]
        ends = [v.valid_from for v in versions[1:]] + [END_OF_TIME]
        return [(v.valid_from, end, end == END_OF_TIME, v.deleted, v.content[0], v.content[1], plot, v.batch_id)
                for v, end in zip(versions, ends)]


def _set_content(version: Version, before: list[Version]) -> None:
    if not version.deleted:
        version.content = (version.record_hash, version.title)
        return
    records = [v for v in before if not v.deleted]
    version.content = (records[-1].record_hash, records[-1].title) if records else (None, None)


def _ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
