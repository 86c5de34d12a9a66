"""The archive contract: the CSV files the Glue job writes and Snowpipe loads.

One declaration of every archive entity (its folder, its file, its columns in
file order and their Snowflake types) and of the movie dimension's SCD roles.
Everything else agrees with it and is checked against it in tests:

- the Glue job (``glue/``) writes exactly these headers;
- the raw tables and pipes in ``sql/`` list exactly these columns;
- the ``DIM_MOVIE`` merge treats ``TYPE2_ATTRIBUTES`` as history-making and
  ``TYPE1_ATTRIBUTES`` as overwrite-in-place (``CHANGE_HASH`` covers the first,
  ``TYPE1_HASH`` the second); ``MEASURES`` go to the fact tables as snapshots
  and never make a new dimension version.

Stdlib only: it ships inside the Glue job and the Lambda with the rest of
``moviepipe.contract``.

File format, for every entity: UTF-8, comma-separated, a header line, fields
quoted with ``"`` when needed (``""`` inside quotes), NULL written as ``\\N``
(``NULL_MARKER``), dates ``YYYY-MM-DD``, timestamps ``YYYY-MM-DD HH:MM:SS``.
Each batch writes ``<entity>/batch_id=<id>/<entity>.csv`` (``archive_relpath``).
"""

from __future__ import annotations

NULL_MARKER = "\\N"

# --------------------------------------------------------------------------- #
# The movie dimension's attribute roles (one place; sql/ and glue/ follow it)
# --------------------------------------------------------------------------- #

#: A change makes a new DIM_MOVIE version (history kept).
TYPE2_ATTRIBUTES: tuple[str, ...] = (
    "TITLE", "TYPE", "YEAR", "YEAR_END", "RATED", "RELEASED", "RELEASED_PRECISION",
    "RUNTIME_MINUTES", "GENRES", "DIRECTOR", "WRITER", "ACTORS", "LANGUAGE", "COUNTRY",
    "PRODUCTION",
)
#: A change overwrites every version of the movie in place (no new version).
TYPE1_ATTRIBUTES: tuple[str, ...] = ("PLOT", "POSTER", "AWARDS", "WEBSITE", "OSCARS", "DVD")
#: Derived from type-2 attributes by the transform (so never hashed on their own).
DERIVED_ATTRIBUTES: tuple[str, ...] = ("DECADE", "RUNTIME_BAND", "PRIMARY_GENRE")
#: Scores, votes and money: snapshots for FACT_MOVIE_RATING / FACT_BOX_OFFICE.
MEASURES: tuple[str, ...] = (
    "METASCORE", "IMDB_RATING", "IMDB_VOTES", "TOMATO_METER", "TOMATO_RATING",
    "TOMATO_REVIEWS", "TOMATO_FRESH", "TOMATO_ROTTEN", "TOMATO_USER_METER",
    "TOMATO_USER_RATING", "TOMATO_USER_REVIEWS", "BOX_OFFICE",
)

_LINEAGE = (("BATCH_ID", "VARCHAR"), ("SOURCE_FILE", "VARCHAR"))

#: Snowflake type of every movies.csv column.
_MOVIE_TYPES: dict[str, str] = {
    "IMDB_ID": "VARCHAR", "SOURCE_ID": "VARCHAR",
    "TITLE": "VARCHAR", "TYPE": "VARCHAR", "YEAR": "NUMBER(4,0)", "YEAR_END": "NUMBER(4,0)",
    "RATED": "VARCHAR", "RELEASED": "DATE", "RELEASED_PRECISION": "VARCHAR",
    "RUNTIME_MINUTES": "NUMBER(6,0)", "GENRES": "VARCHAR", "DIRECTOR": "VARCHAR",
    "WRITER": "VARCHAR", "ACTORS": "VARCHAR", "LANGUAGE": "VARCHAR", "COUNTRY": "VARCHAR",
    "PRODUCTION": "VARCHAR",
    "PLOT": "VARCHAR", "POSTER": "VARCHAR", "AWARDS": "VARCHAR", "WEBSITE": "VARCHAR",
    "OSCARS": "NUMBER(4,0)", "DVD": "DATE",
    "DECADE": "NUMBER(4,0)", "RUNTIME_BAND": "VARCHAR", "PRIMARY_GENRE": "VARCHAR",
    "METASCORE": "NUMBER(3,0)", "IMDB_RATING": "NUMBER(4,1)", "IMDB_VOTES": "NUMBER(12,0)",
    "TOMATO_METER": "NUMBER(3,0)", "TOMATO_RATING": "NUMBER(4,1)", "TOMATO_REVIEWS": "NUMBER(9,0)",
    "TOMATO_FRESH": "NUMBER(9,0)", "TOMATO_ROTTEN": "NUMBER(9,0)",
    "TOMATO_USER_METER": "NUMBER(3,0)", "TOMATO_USER_RATING": "NUMBER(4,1)",
    "TOMATO_USER_REVIEWS": "NUMBER(12,0)", "BOX_OFFICE": "NUMBER(16,2)",
    "LAST_UPDATED": "TIMESTAMP_NTZ", "CHANGE_HASH": "VARCHAR(64)", "TYPE1_HASH": "VARCHAR(64)",
    # JSON object text: source extras and columns added by schema drift (policy "evolve")
    "EXTRA": "VARIANT",
}

MOVIE_COLUMNS: tuple[tuple[str, str], ...] = tuple(
    (name, _MOVIE_TYPES[name]) for name in (
        "IMDB_ID", "SOURCE_ID",
        *TYPE2_ATTRIBUTES, *TYPE1_ATTRIBUTES, *DERIVED_ATTRIBUTES, *MEASURES,
        "LAST_UPDATED", "CHANGE_HASH", "TYPE1_HASH", "EXTRA",
    )
) + _LINEAGE

#: Every archive entity: name -> columns (name, Snowflake type) in file order.
ENTITIES: dict[str, tuple[tuple[str, str], ...]] = {
    # one row per valid movie record
    "movies": MOVIE_COLUMNS,
    # one row per movie x rating source with a score; SCORE is 0-100 for every source
    "movie_ratings": (
        ("IMDB_ID", "VARCHAR"), ("RATING_SOURCE", "VARCHAR"), ("SCORE", "NUMBER(5,1)"),
        ("RAW_VALUE", "VARCHAR"), ("VOTES", "NUMBER(12,0)"), ("LAST_UPDATED", "TIMESTAMP_NTZ"),
    ) + _LINEAGE,
    # one row per movie x genre, ORDINAL from 1 in source order
    "movie_genres": (
        ("IMDB_ID", "VARCHAR"), ("GENRE", "VARCHAR"), ("ORDINAL", "NUMBER(4,0)"),
        ("LAST_UPDATED", "TIMESTAMP_NTZ"),
    ) + _LINEAGE,
    # one row per movie x role x person, ORDINAL from 1 in source order within the role
    "movie_people": (
        ("IMDB_ID", "VARCHAR"), ("ROLE", "VARCHAR"), ("PERSON_NAME", "VARCHAR"),
        ("ORDINAL", "NUMBER(4,0)"), ("LAST_UPDATED", "TIMESTAMP_NTZ"),
    ) + _LINEAGE,
    # one row per movie the source no longer has (key scan); the merge closes it
    "movie_deletes": (
        ("IMDB_ID", "VARCHAR"), ("SOURCE_ID", "VARCHAR"), ("DELETED_AT", "TIMESTAMP_NTZ"),
    ) + _LINEAGE,
    # every row the transform refused, with the rule and the original record (JSON)
    "rejected": (
        ("BATCH_ID", "VARCHAR"), ("ENTITY", "VARCHAR"), ("RECORD_KEY", "VARCHAR"),
        ("RULE", "VARCHAR"), ("REASON", "VARCHAR"), ("RECORD", "VARCHAR"), ("SOURCE_FILE", "VARCHAR"),
    ),
}

#: Rating sources in movie_ratings.RATING_SOURCE, with the raw field and its scale.
RATING_SOURCES: dict[str, str] = {
    "IMDB": "imdbRating x/10 (votes: imdbVotes)",
    "ROTTEN_TOMATOES": "tomatoMeter % (votes: tomatoReviews)",
    "ROTTEN_TOMATOES_AUDIENCE": "tomatoUserMeter % (votes: tomatoUserReviews)",
    "METACRITIC": "Metascore x/100",
}

#: Roles in movie_people.ROLE, with the raw list column each comes from.
PEOPLE_ROLES: dict[str, str] = {"director": "Director", "writer": "Writer", "cast": "Actors"}

#: The raw table each entity's pipe loads (OPS for the rejected rows).
RAW_TABLES: dict[str, str] = {
    "movies": "RAW.MOVIES",
    "movie_ratings": "RAW.MOVIE_RATINGS",
    "movie_genres": "RAW.MOVIE_GENRES",
    "movie_people": "RAW.MOVIE_PEOPLE",
    "movie_deletes": "RAW.MOVIE_DELETES",
    "rejected": "OPS.REJECTED_ROWS",
}

#: Raw-zip file holding the keys a source deleted (manifest file role "deletes").
DELETES_FILE = "deletes.csv"
DELETES_COLUMNS: tuple[str, ...] = ("imdbID", "sourceId", "deletedAt")


def column_names(entity: str) -> tuple[str, ...]:
    return tuple(name for name, _ in ENTITIES[entity])


def archive_relpath(entity: str, batch_id: str) -> str:
    return f"{entity}/batch_id={batch_id}/{entity}.csv"
