-- Box office snapshots into FACT_BOX_OFFICE from the movie records that carry an
-- amount, one row per movie x snapshot date. Same rules as FACT_MOVIE_RATING: a replay
-- changes nothing, a newer record of the same day updates, an older one is ignored.
CREATE OR REPLACE TASK ANALYTICS.MERGE_FACT_BOX_OFFICE
    WAREHOUSE = {{ warehouse }}
    AFTER ANALYTICS.MERGE_DIM_MOVIE
AS
MERGE INTO ANALYTICS.FACT_BOX_OFFICE AS target
USING (
    WITH source AS (
        SELECT
            IMDB_ID,
            BOX_OFFICE,
            LAST_UPDATED,
            BATCH_ID,
            STAGED_FILE,
            STAGED_FILE_ROW_NUMBER
        FROM RAW.MOVIES_BOX_OFFICE_STREAM
    ),

    snapshots AS (
        SELECT
            source.*,
            TO_DATE(LAST_UPDATED) AS SNAPSHOT_DATE
        FROM source
        WHERE BOX_OFFICE IS NOT NULL
        QUALIFY ROW_NUMBER() OVER (
            PARTITION BY IMDB_ID, TO_DATE(LAST_UPDATED) ORDER BY LAST_UPDATED DESC, BATCH_ID DESC, STAGED_FILE DESC, STAGED_FILE_ROW_NUMBER DESC
        ) = 1
    ),

    final AS (
        SELECT
            -- dimension keys
            movies.MOVIE_KEY,
            YEAR(snapshots.SNAPSHOT_DATE) * 10000 + MONTH(snapshots.SNAPSHOT_DATE) * 100
                + DAY(snapshots.SNAPSHOT_DATE) AS DATE_KEY,

            -- grain
            snapshots.IMDB_ID,
            snapshots.SNAPSHOT_DATE,
            snapshots.LAST_UPDATED AS SNAPSHOT_AT,

            -- measures
            snapshots.BOX_OFFICE,

            -- lineage
            snapshots.BATCH_ID
        FROM snapshots
        LEFT JOIN ANALYTICS.DIM_MOVIE AS movies
            ON movies.IMDB_ID = snapshots.IMDB_ID
            AND snapshots.LAST_UPDATED >= movies.VALID_FROM
            AND snapshots.LAST_UPDATED < movies.VALID_TO
    )

    SELECT * FROM final
) AS incoming
ON target.IMDB_ID = incoming.IMDB_ID
    AND target.SNAPSHOT_DATE = incoming.SNAPSHOT_DATE
WHEN MATCHED AND incoming.SNAPSHOT_AT >= target.SNAPSHOT_AT AND (
    incoming.SNAPSHOT_AT <> target.SNAPSHOT_AT
    OR incoming.BOX_OFFICE <> target.BOX_OFFICE
) THEN UPDATE SET
    MOVIE_KEY = incoming.MOVIE_KEY,
    SNAPSHOT_AT = incoming.SNAPSHOT_AT,
    BOX_OFFICE = incoming.BOX_OFFICE,
    BATCH_ID = incoming.BATCH_ID,
    UPDATED_AT = CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())::TIMESTAMP_NTZ
WHEN NOT MATCHED THEN INSERT (
    MOVIE_KEY, DATE_KEY, IMDB_ID, SNAPSHOT_DATE, SNAPSHOT_AT, BOX_OFFICE, BATCH_ID
) VALUES (
    incoming.MOVIE_KEY, incoming.DATE_KEY, incoming.IMDB_ID, incoming.SNAPSHOT_DATE,
    incoming.SNAPSHOT_AT, incoming.BOX_OFFICE, incoming.BATCH_ID
)
