"""Every query the dashboard runs: Snowflake SQL over the ANALYTICS views, nothing else.

The pages run these texts with ``db.query(queries.NAME)`` on a backend
(``moviepipe.dashboard.backend``), so the same text runs on fakesnow locally and on
Snowflake (Streamlit in Snowflake, or ``st.connection("snowflake")``). Only views are read, so the analyst role the Pulumi
program creates (SELECT on views, nothing on tables) is all the app needs; the
pipeline's health comes from ``PIPELINE_STAGES`` and ``REJECTS_BY_RULE``, views over
the OPS ledger. Aggregation happens in SQL, so a page moves summaries, not movies.

Values are never bound as parameters (the parameter style of a Streamlit in Snowflake
session is not ours to choose): the only caller-supplied values, a movie
id and a title search, go through ``sql_string``.
"""

from __future__ import annotations

import pandas as pd

from moviepipe.dashboard.backend import Backend

OVERVIEW = """
SELECT
    (SELECT COUNT(*) FROM ANALYTICS.MOVIE_CURRENT) AS MOVIES,
    (SELECT COUNT(*) FROM ANALYTICS.MOVIE_HISTORY) AS VERSIONS,
    (SELECT COUNT(*) FROM ANALYTICS.MOVIE_HISTORY WHERE VERSION_KIND <> 'FIRST') AS CHANGES,
    (SELECT COUNT(DISTINCT BATCH_ID) FROM ANALYTICS.PIPELINE_STAGES) AS BATCHES,
    (SELECT COALESCE(SUM(ROWS_REJECTED), 0) FROM ANALYTICS.REJECTS_BY_RULE) AS ROWS_REJECTED,
    (SELECT MAX(ENDED_AT) FROM ANALYTICS.PIPELINE_STAGES WHERE STAGE = 'reconcile' AND STATE = 'succeeded')
        AS LAST_LOADED_AT
"""

MOVIES_BY_DECADE = """
SELECT DECADE, COUNT(*) AS MOVIES
FROM ANALYTICS.MOVIE_CURRENT
WHERE DECADE IS NOT NULL
GROUP BY DECADE
ORDER BY DECADE
"""

RATINGS_BY_SOURCE = """
SELECT
    RATING_SOURCE_NAME AS SOURCE,
    AUDIENCE,
    COUNT(SCORE) AS MOVIES_RATED,
    ROUND(AVG(SCORE), 1) AS AVERAGE_SCORE,
    ROUND(MEDIAN(SCORE), 1) AS MEDIAN_SCORE,
    MIN(SCORE) AS LOWEST_SCORE,
    MAX(SCORE) AS HIGHEST_SCORE
FROM ANALYTICS.MOVIE_RATING_LATEST
WHERE SCORE IS NOT NULL
GROUP BY RATING_SOURCE_NAME, AUDIENCE
ORDER BY MOVIES_RATED DESC, SOURCE
"""

SCORE_DISTRIBUTION = """
SELECT
    RATING_SOURCE_NAME AS SOURCE,
    LEAST(FLOOR(SCORE / 10) * 10, 90) AS SCORE_BAND,
    COUNT(*) AS MOVIES
FROM ANALYTICS.MOVIE_RATING_LATEST
WHERE SCORE IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2
"""

AGREEMENT_BANDS = """
SELECT AGREEMENT, COUNT(*) AS MOVIES, ROUND(AVG(SCORE_SPREAD), 1) AS AVERAGE_SPREAD
FROM ANALYTICS.RATING_AGREEMENT
GROUP BY AGREEMENT
ORDER BY CASE AGREEMENT WHEN 'AGREE' THEN 1 WHEN 'MIXED' THEN 2 ELSE 3 END
"""

#: Tomatometer x Metascore in 5-point cells, counted per agreement band: every movie, at any scale.
AGREEMENT_GRID = """
SELECT
    LEAST(FLOOR(TOMATO_METER / 5) * 5, 95) + 2.5 AS TOMATO_METER,
    LEAST(FLOOR(METASCORE / 5) * 5, 95) + 2.5 AS METASCORE,
    AGREEMENT,
    COUNT(*) AS MOVIES
FROM ANALYTICS.RATING_AGREEMENT
WHERE TOMATO_METER IS NOT NULL AND METASCORE IS NOT NULL
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
"""

BIGGEST_DISAGREEMENTS = """
SELECT TITLE, YEAR, IMDB_SCORE, TOMATO_METER, METASCORE, SCORE_SPREAD
FROM ANALYTICS.RATING_AGREEMENT
WHERE AGREEMENT = 'DISAGREE'
ORDER BY SCORE_SPREAD DESC, TITLE
LIMIT 10
"""

TOP_MOVIES = """
SELECT GENRE, DECADE, GENRE_DECADE_RANK AS RANK, TITLE, YEAR, AVERAGE_SCORE, SOURCES_RATED, IMDB_ID
FROM ANALYTICS.TOP_MOVIES_BY_GENRE_DECADE
ORDER BY GENRE, DECADE, GENRE_DECADE_RANK, TITLE
"""

BOX_OFFICE_BY_YEAR = """
SELECT YEAR, MOVIES, TOTAL_BOX_OFFICE, AVERAGE_BOX_OFFICE, MEDIAN_BOX_OFFICE, TOP_BOX_OFFICE, TOP_TITLE
FROM ANALYTICS.BOX_OFFICE_BY_YEAR
ORDER BY YEAR
"""

#: The history page's default list: most versions first, then the latest change that touched most attributes.
MOVIES_WITH_MOST_VERSIONS = """
SELECT IMDB_ID, TITLE, YEAR, VERSIONS
FROM ANALYTICS.MOVIE_HISTORY
WHERE IS_CURRENT
ORDER BY VERSIONS DESC, LENGTH(COALESCE(CHANGED_ATTRIBUTES, '')) DESC, VALID_FROM DESC, IMDB_ID
LIMIT 200
"""

MOVIE_VERSIONS = """
SELECT
    VERSION_NUMBER, VERSION_KIND, CHANGED_ATTRIBUTES, VALID_FROM, VALID_TO, IS_CURRENT, IS_DELETED,
    TITLE, YEAR, RUNTIME_MINUTES, GENRES, DIRECTOR, RATED, COUNTRY, LANGUAGE, BATCH_ID, MOVIE_KEY
FROM ANALYTICS.MOVIE_HISTORY
WHERE IMDB_ID = {imdb_id}
ORDER BY VERSION_NUMBER
"""

BATCHES = """
SELECT
    BATCH_ID,
    MAX(SOURCE) AS SOURCE,
    MIN(STARTED_AT) AS STARTED_AT,
    MAX(ENDED_AT) AS ENDED_AT,
    CASE
        WHEN COUNT_IF(STATE = 'failed') > 0 THEN 'failed'
        WHEN COUNT_IF(STATE = 'running') > 0 THEN 'running'
        WHEN COUNT_IF(STAGE = 'reconcile' AND STATE = 'succeeded') > 0 THEN 'loaded'
        ELSE 'incomplete'
    END AS STATE,
    MAX(IFF(STAGE = 'extract', ROWS_OUT, NULL)) AS EXTRACTED,
    MAX(IFF(STAGE = 'reconcile', ROWS_OUT, NULL)) AS LOADED,
    MAX(IFF(STAGE = 'reconcile', ROWS_REJECTED, NULL)) AS REJECTED,
    ROUND(SUM(SECONDS), 1) AS SECONDS
FROM ANALYTICS.PIPELINE_STAGES
GROUP BY BATCH_ID
ORDER BY STARTED_AT DESC, BATCH_ID
"""

STAGES = """
SELECT BATCH_ID, STAGE_ORDER, STAGE, STATE, ROWS_IN, ROWS_OUT, ROWS_REJECTED, SECONDS, STARTED_AT, ENDED_AT, ERROR
FROM ANALYTICS.PIPELINE_STAGES
ORDER BY BATCH_STARTED_AT DESC, BATCH_ID, STAGE_ORDER
"""

REJECTS_BY_RULE = """
SELECT BATCH_ID, ENTITY, RULE, ROWS_REJECTED, EXAMPLE_REASON
FROM ANALYTICS.REJECTS_BY_RULE
ORDER BY ROWS_REJECTED DESC, BATCH_ID, ENTITY, RULE
"""


def sql_string(value: str) -> str:
    """A Snowflake string literal: quotes doubled, backslashes escaped (Snowflake reads ``\\`` as an escape)."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "''") + "'"


def overview(db: Backend) -> pd.Series:
    return db.query(OVERVIEW).iloc[0]


def search_titles(db: Backend, text: str, limit: int = 50) -> pd.DataFrame:
    """Current movies whose title contains ``text`` (any case), most versions first."""
    return db.query(f"""
SELECT IMDB_ID, TITLE, YEAR, VERSIONS
FROM ANALYTICS.MOVIE_HISTORY
WHERE IS_CURRENT AND POSITION(LOWER({sql_string(text)}) IN LOWER(TITLE)) > 0
ORDER BY VERSIONS DESC, TITLE, IMDB_ID
LIMIT {int(limit)}
""")


def movie_versions(db: Backend, imdb_id: str) -> pd.DataFrame:
    return db.query(MOVIE_VERSIONS.format(imdb_id=sql_string(imdb_id)))
