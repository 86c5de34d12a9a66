"""Archive fixtures written from the contract, and a local warehouse to load them into.

The Glue job is not used here: ``write_batch`` writes every archive entity of
``moviepipe/contract/archive.py`` for a batch, exactly as the contract says
(header, file order, ``\\N`` for NULL), from plain movie dicts. Ratings, genres
and people rows are derived from the movie the way the contract describes them,
and the hashes are computed here, so a test states only what it changes.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from datetime import date, datetime
from pathlib import Path

from moviepipe.contract import archive as contract
from moviepipe.objectstore import LocalObjectStore
from moviepipe.warehouse import sqlfiles
from moviepipe.warehouse.client import local_warehouse
from moviepipe.warehouse.emulator import LocalSnowflake

#: Rating source -> (movie column, factor to the 0-100 scale, votes column).
RATING_COLUMNS = {
    "IMDB": ("IMDB_RATING", 10, "IMDB_VOTES"),
    "ROTTEN_TOMATOES": ("TOMATO_METER", 1, "TOMATO_REVIEWS"),
    "ROTTEN_TOMATOES_AUDIENCE": ("TOMATO_USER_METER", 1, "TOMATO_USER_REVIEWS"),
    "METACRITIC": ("METASCORE", 1, None),
}


def _text(value) -> str:
    if value is None:
        return contract.NULL_MARKER
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _hash(values) -> str:
    return hashlib.sha256("\x1f".join(_text(v) for v in values).encode()).hexdigest()


def movie(imdb_id: str, last_updated: str | datetime, **values) -> dict:
    """A full movies.csv record; hashes follow the contract's attribute roles."""
    record = dict.fromkeys(contract.column_names("movies"))
    record.update(IMDB_ID=imdb_id, SOURCE_ID=imdb_id.removeprefix("tt"), TITLE=f"Title {imdb_id}", TYPE="movie",
                  YEAR=1994, GENRES="Drama, Crime", DIRECTOR="Ann Director", WRITER="Wes Writer",
                  ACTORS="Al Actor, Bo Actor", PLOT="A plot.", IMDB_RATING="8.1", IMDB_VOTES=1000,
                  TOMATO_METER=90, TOMATO_USER_METER=85, METASCORE=70, BOX_OFFICE="1000000.00")
    record.update(values)
    record["LAST_UPDATED"] = last_updated if isinstance(last_updated, str) else _text(last_updated)
    record["DECADE"] = record["DECADE"] or (record["YEAR"] // 10 * 10 if record["YEAR"] else None)
    genres = _split(record["GENRES"])
    record["PRIMARY_GENRE"] = record["PRIMARY_GENRE"] or (genres[0] if genres else None)
    record["CHANGE_HASH"] = values.get("CHANGE_HASH") or _hash(
        record[c] for c in (*contract.TYPE2_ATTRIBUTES, *contract.DERIVED_ATTRIBUTES))
    record["TYPE1_HASH"] = values.get("TYPE1_HASH") or _hash(record[c] for c in contract.TYPE1_ATTRIBUTES)
    return record


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def ratings_of(record: dict) -> list[dict]:
    rows = []
    for source, (column, factor, votes) in RATING_COLUMNS.items():
        if record.get(column) is not None:
            rows.append({"IMDB_ID": record["IMDB_ID"], "RATING_SOURCE": source,
                         "SCORE": f"{float(record[column]) * factor:.1f}", "RAW_VALUE": str(record[column]),
                         "VOTES": record.get(votes) if votes else None, "LAST_UPDATED": record["LAST_UPDATED"]})
    return rows


def genres_of(record: dict) -> list[dict]:
    return [{"IMDB_ID": record["IMDB_ID"], "GENRE": genre, "ORDINAL": i, "LAST_UPDATED": record["LAST_UPDATED"]}
            for i, genre in enumerate(_split(record["GENRES"]), 1)]


def people_of(record: dict) -> list[dict]:
    rows = []
    for role, column in (("director", "DIRECTOR"), ("writer", "WRITER"), ("cast", "ACTORS")):
        rows += [{"IMDB_ID": record["IMDB_ID"], "ROLE": role, "PERSON_NAME": name, "ORDINAL": i,
                  "LAST_UPDATED": record["LAST_UPDATED"]} for i, name in enumerate(_split(record[column]), 1)]
    return rows


def delete(imdb_id: str, deleted_at: str) -> dict:
    return {"IMDB_ID": imdb_id, "SOURCE_ID": imdb_id.removeprefix("tt"), "DELETED_AT": deleted_at}


def write_batch(archive: Path, batch_id: str, movies: list[dict] = (), deletes: list[dict] = (),
                rejected: list[dict] = (), only: tuple[str, ...] = ()) -> dict[str, int]:
    """Write every archive entity of one batch (header-only files included), or ``only`` those."""
    rows = {
        "movies": list(movies),
        "movie_ratings": [r for m in movies for r in ratings_of(m)],
        "movie_genres": [r for m in movies for r in genres_of(m)],
        "movie_people": [r for m in movies for r in people_of(m)],
        "movie_deletes": list(deletes),
        "rejected": list(rejected),
    }
    for entity, records in rows.items():
        if only and entity not in only:
            continue
        key = contract.archive_relpath(entity, batch_id)
        path = archive / key
        path.parent.mkdir(parents=True, exist_ok=True)
        columns = contract.column_names(entity)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            for record in records:
                full = {**record, "BATCH_ID": batch_id, "SOURCE_FILE": key}
                unknown = set(full) - set(columns)
                assert not unknown, f"{entity}: columns not in the contract: {unknown}"
                writer.writerow([_text(full.get(c)) for c in columns])
    return {entity: len(records) for entity, records in rows.items()}


class Snow:
    """A fresh local warehouse built from sql/, its archive folder, and the stages of a run."""

    def __init__(self, tmp_path: Path):
        self.archive_dir = tmp_path / "archive"
        self.archive_dir.mkdir()
        self.store = LocalObjectStore(self.archive_dir)
        self.warehouse = local_warehouse(tmp_path / "wh", "MOVIEPIPE")
        self.emulator = LocalSnowflake(self.warehouse, {
            "database": "MOVIEPIPE", "warehouse": "WH", "archive_url": self.archive_dir.as_uri() + "/",
            "stage_options": ""})
        self.emulator.apply_sql_tree()

    def load(self):
        return {name: self.emulator.run_pipe(name, self.store) for name in sorted(self.emulator.pipes)}

    def write(self, batch_id: str, movies=(), deletes=(), rejected=(), only=()) -> dict[str, int]:
        """One batch's archive files, not loaded yet."""
        return write_batch(self.archive_dir, batch_id, movies, deletes, rejected, only)

    def run(self, batch_id: str, movies=(), deletes=(), rejected=(), only=()):
        """One batch through pipes, streams and tasks."""
        self.write(batch_id, movies, deletes, rejected, only)
        return self.load(), self.emulator.run_tasks()

    def query(self, sql: str, params=None) -> list[dict]:
        return self.emulator.wh.query(sql, params)

    def scalar(self, sql: str, params=None):
        return self.emulator.wh.scalar(sql, params)

    def versions(self) -> list[dict]:
        return self.query("SELECT * FROM ANALYTICS.DIM_MOVIE ORDER BY IMDB_ID, VALID_FROM")

    def close(self) -> None:
        self.warehouse.close()


def tree_with(tmp_path: Path, kind: str, file_name: str, text: str):
    """A copy of sql/ with one file replaced or added, and an emulator over it (not applied yet)."""
    root = tmp_path / "sql"
    shutil.copytree(sqlfiles.SQL_ROOT, root)
    (root / kind / file_name).write_text(text)
    warehouse = local_warehouse(tmp_path / "wh2", "MOVIEPIPE")
    emulator = LocalSnowflake(warehouse, {"database": "MOVIEPIPE", "warehouse": "WH",
                                          "archive_url": (tmp_path / "a").as_uri() + "/", "stage_options": ""},
                              sql_root=root)
    return warehouse, emulator
