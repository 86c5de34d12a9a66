-- Rating snapshots into FACT_MOVIE_RATING, one row per movie x source x snapshot date.
-- Runs after the DIM_MOVIE merge, so the version valid at the snapshot exists.
-- Idempotent on the grain: a replay matches and changes nothing; a newer record of
-- the same day updates the row (at the same instant the later batch wins); an
-- older one is ignored; a newer day adds a row.
CREATE OR REPLACE TASK ANALYTICS.MERGE_FACT_MOVIE_RATING
    WAREHOUSE = {{ warehouse }}
    AFTER ANALYTICS.MERGE_DIM_MOVIE
AS
MERGE INTO ANALYTICS.FACT_MOVIE_RATING AS target
USING (
    WITH source AS (
        SELECT
            IMDB_ID,
            RATING_SOURCE,
            SCORE,
            RAW_VALUE,
            VOTES,
            LAST_UPDATED,
            BATCH_ID,
            STAGED_FILE,
            STAGED_FILE_ROW_NUMBER
        FROM RAW.MOVIE_RATINGS_STREAM
    ),

    snapshots AS (
        SELECT
            source.*,
            TO_DATE(LAST_UPDATED) AS SNAPSHOT_DATE
        FROM source
        QUALIFY ROW_NUMBER() OVER (
            PARTITION BY IMDB_ID, RATING_SOURCE, TO_DATE(LAST_UPDATED)
            ORDER BY LAST_UPDATED DESC, BATCH_ID DESC, STAGED_FILE DESC, STAGED_FILE_ROW_NUMBER DESC
        ) = 1
    ),

    final AS (
        SELECT
            -- dimension keys
            movies.MOVIE_KEY,
            rating_sources.RATING_SOURCE_KEY,
            YEAR(snapshots.SNAPSHOT_DATE) * 10000 + MONTH(snapshots.SNAPSHOT_DATE) * 100
                + DAY(snapshots.SNAPSHOT_DATE) AS DATE_KEY,

            -- grain
            snapshots.IMDB_ID,
            snapshots.RATING_SOURCE,
            snapshots.SNAPSHOT_DATE,
            snapshots.LAST_UPDATED AS SNAPSHOT_AT,

            -- measures
            snapshots.SCORE,
            snapshots.VOTES,
            snapshots.RAW_VALUE,

            -- lineage
            snapshots.BATCH_ID
        FROM snapshots
        LEFT JOIN ANALYTICS.DIM_MOVIE AS movies
            ON movies.IMDB_ID = snapshots.IMDB_ID
            AND snapshots.LAST_UPDATED >= movies.VALID_FROM
            AND snapshots.LAST_UPDATED < movies.VALID_TO
        LEFT JOIN ANALYTICS.DIM_RATING_SOURCE AS rating_sources
            ON rating_sources.RATING_SOURCE = snapshots.RATING_SOURCE
    )

    SELECT * FROM final
) AS incoming
ON target.IMDB_ID = incoming.IMDB_ID
    AND target.RATING_SOURCE = incoming.RATING_SOURCE
    AND target.SNAPSHOT_DATE = incoming.SNAPSHOT_DATE
WHEN MATCHED AND incoming.SNAPSHOT_AT >= target.SNAPSHOT_AT AND (
    incoming.SNAPSHOT_AT <> target.SNAPSHOT_AT
    OR incoming.SCORE IS DISTINCT FROM target.SCORE
    OR incoming.VOTES IS DISTINCT FROM target.VOTES
    OR incoming.RAW_VALUE IS DISTINCT FROM target.RAW_VALUE
) THEN UPDATE SET
    MOVIE_KEY = incoming.MOVIE_KEY,
    SNAPSHOT_AT = incoming.SNAPSHOT_AT,
    SCORE = incoming.SCORE,
    VOTES = incoming.VOTES,
    RAW_VALUE = incoming.RAW_VALUE,
    BATCH_ID = incoming.BATCH_ID,
    UPDATED_AT = CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())::TIMESTAMP_NTZ
WHEN NOT MATCHED THEN INSERT (
    MOVIE_KEY, RATING_SOURCE_KEY, DATE_KEY,
    IMDB_ID, RATING_SOURCE, SNAPSHOT_DATE, SNAPSHOT_AT,
    SCORE, VOTES, RAW_VALUE,
    BATCH_ID
) VALUES (
    incoming.MOVIE_KEY, incoming.RATING_SOURCE_KEY, incoming.DATE_KEY,
    incoming.IMDB_ID, incoming.RATING_SOURCE, incoming.SNAPSHOT_DATE, incoming.SNAPSHOT_AT,
    incoming.SCORE, incoming.VOTES, incoming.RAW_VALUE,
    incoming.BATCH_ID
)
