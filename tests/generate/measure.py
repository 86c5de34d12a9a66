"""Measure the mess of a default-schema SQLite source: the same function on the real
movies.db (to check the generator's constants were measured, not guessed) and on a
generated file (to check the generator reproduces them)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np

NULL_COLUMNS = ("omdb.Rating", "omdb.Runtime", "omdb.Writer", "omdb.Metacritic", "omdb.imdbRating",
                "omdb.imdbVotes", "omdb.Language", "omdb.Awards", "tomatoes.Rating", "tomatoes.BoxOffice",
                "tomatoes.Production")
EMPTY_COLUMNS = ("omdb.Genre", "omdb.Director", "omdb.Cast")


def measure(path: Path) -> dict:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        def one(sql: str):
            return conn.execute(sql).fetchone()[0]

        films = one("SELECT COUNT(*) FROM omdb")
        facts = {
            "films": films,
            "tomatoes rows": one("SELECT COUNT(*) FROM tomatoes"),
            "unique IDs": one("SELECT COUNT(DISTINCT ID) FROM omdb") == films,
            "year-only releases": one("SELECT AVG(Released LIKE '%-01-01') FROM omdb"),
            "release year = Year": one("SELECT AVG(CAST(substr(Released, 1, 4) AS INT) = Year) FROM omdb"),
            "films sharing an imdbID": one("SELECT COUNT(*) FROM omdb WHERE imdbID IN "
                                           "(SELECT imdbID FROM omdb GROUP BY 1 HAVING COUNT(*) > 1)") / films,
            "imdbIDs tt+7-8 digits": one("SELECT AVG(imdbID GLOB 'tt[0-9][0-9][0-9][0-9][0-9][0-9][0-9]' OR "
                                         "imdbID GLOB 'tt[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]') FROM omdb"),
            "BoxOffice min": one("SELECT MIN(BoxOffice) FROM tomatoes"),
            "BoxOffice max": one("SELECT MAX(BoxOffice) FROM tomatoes"),
            "lastUpdated years": one("SELECT COUNT(DISTINCT substr(lastUpdated, 1, 4)) FROM omdb"),
            "tomatoes IDs match": one("SELECT COUNT(*) FROM omdb JOIN tomatoes USING (ID)") == films,
        }
        titles = [row[0] for row in conn.execute("SELECT Title FROM omdb")]
        facts["non-ASCII titles"] = sum(not title.isascii() for title in titles) / films
        casts = [row[0] for row in conn.execute('SELECT "Cast" FROM omdb WHERE "Cast" <> \'\'')]
        facts["non-ASCII casts"] = sum(not cast.isascii() for cast in casts) / films
        facts["cast size median"] = float(np.median([cast.count(", ") + 1 for cast in casts]))
        for column in NULL_COLUMNS:
            table, name = column.split(".")
            facts[f"NULL {column}"] = one(f'SELECT AVG("{name}" IS NULL) FROM {table}')
        for column in EMPTY_COLUMNS:
            table, name = column.split(".")
            facts[f"empty {column}"] = one(f'SELECT AVG("{name}" = \'\') FROM {table}')
    return facts


def declared_schema(path: Path) -> dict[str, list[tuple[str, str]]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return {table: [(row[1], row[2]) for row in conn.execute(f'PRAGMA table_info("{table}")')]
                for table in ("omdb", "tomatoes")}


def content_hash(path: Path) -> str:
    """SHA-256 of both tables' rows in ID order (values and their SQLite storage classes)."""
    digest = hashlib.sha256()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        for table in ("omdb", "tomatoes"):
            columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
            select = ", ".join(f'"{c}", typeof("{c}")' for c in columns)
            for row in conn.execute(f'SELECT {select} FROM "{table}" ORDER BY ID'):
                digest.update(repr(row).encode())
    return digest.hexdigest()
