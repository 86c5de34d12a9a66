-- Each movie's ratings from its newest snapshot (the ratings of its latest record),
-- one row per movie x rating source, every SCORE on a 0-100 scale.
CREATE OR REPLACE VIEW ANALYTICS.MOVIE_RATING_LATEST AS
WITH source AS (
    SELECT * FROM ANALYTICS.FACT_MOVIE_RATING
),

rating_sources AS (
    SELECT * FROM ANALYTICS.DIM_RATING_SOURCE
),

latest_snapshots AS (
    SELECT
        IMDB_ID,
        MAX(SNAPSHOT_AT) AS SNAPSHOT_AT
    FROM source
    GROUP BY IMDB_ID
),

final AS (
    SELECT
        -- keys
        source.IMDB_ID,
        source.MOVIE_KEY,
        source.RATING_SOURCE_KEY,
        source.DATE_KEY,

        -- rating source
        source.RATING_SOURCE,
        rating_sources.DISPLAY_NAME AS RATING_SOURCE_NAME,
        rating_sources.AUDIENCE,

        -- measures
        source.SCORE,
        source.VOTES,
        source.RAW_VALUE,

        -- snapshot
        source.SNAPSHOT_DATE,
        source.SNAPSHOT_AT
    FROM source
    INNER JOIN latest_snapshots
        ON latest_snapshots.IMDB_ID = source.IMDB_ID
        AND latest_snapshots.SNAPSHOT_AT = source.SNAPSHOT_AT
    LEFT JOIN rating_sources
        ON rating_sources.RATING_SOURCE_KEY = source.RATING_SOURCE_KEY
)

SELECT * FROM final
