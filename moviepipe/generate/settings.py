"""Constants of the synthetic source: the default schema (as movies.db declares it) and chunking."""

from __future__ import annotations

#: Columns and declared SQLite types of bokeh-sampledata's movies.db, in table order.
#: ``tests/generate/test_schema.py`` compares them with the real file.
OMDB_COLUMNS: tuple[tuple[str, str], ...] = (
    ("ID", "INTEGER"), ("imdbID", "TEXT"), ("Title", "TEXT"), ("Year", "INTEGER"), ("Rating", "TEXT"),
    ("Runtime", "REAL"), ("Genre", "TEXT"), ("Released", "TEXT"), ("Director", "TEXT"), ("Writer", "TEXT"),
    ("Cast", "TEXT"), ("Metacritic", "INTEGER"), ("imdbRating", "REAL"), ("imdbVotes", "INTEGER"),
    ("Language", "TEXT"), ("Country", "TEXT"), ("Awards", "TEXT"), ("lastUpdated", "TEXT"), ("Oscars", "INTEGER"),
)
TOMATOES_COLUMNS: tuple[tuple[str, str], ...] = (
    ("ID", "INTEGER"), ("Image", "TEXT"), ("Rating", "REAL"), ("Meter", "INTEGER"), ("Reviews", "INTEGER"),
    ("Fresh", "INTEGER"), ("Rotten", "INTEGER"), ("Consensus", "TEXT"), ("userMeter", "INTEGER"),
    ("userRating", "REAL"), ("userReviews", "INTEGER"), ("DVD", "TEXT"), ("BoxOffice", "REAL"),
    ("Production", "TEXT"), ("Website", "TEXT"), ("lastUpdated", "TEXT"),
)
TABLES: dict[str, tuple[tuple[str, str], ...]] = {"omdb": OMDB_COLUMNS, "tomatoes": TOMATOES_COLUMNS}

#: movies.db's indexes on ``ID`` (the source joins and scans on it), created after the bulk
#: insert, which is faster than maintaining them. Its three other indexes (omdb.Year,
#: tomatoes.Meter, tomatoes.Rating) serve no query of the pipeline and would add ~1 s per
#: million films, so they are left out.
INDEXES: tuple[tuple[str, str, str], ...] = (("omdb_ID", "omdb", "ID"), ("tomatoes_ID", "tomatoes", "ID"))

#: Films generated per chunk. Part of the seed's meaning (each chunk has its own random
#: stream), so it is fixed: changing it changes the generated content for a given seed.
CHUNK_ROWS = 100_000

#: imdbIDs are unique by construction up to this many films (see ``rows.imdb_numbers``).
MAX_ROWS = 80_000_000
