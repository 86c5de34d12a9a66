-- Re-points ANALYTICS.FACT_BOX_OFFICE rows at the DIM_MOVIE version valid at their SNAPSHOT_AT when
-- a late record split the version they pointed at (or their movie arrived after them).
-- Idempotent: only rows whose MOVIE_KEY differs are touched.
CREATE OR REPLACE TASK ANALYTICS.REPOINT_FACT_BOX_OFFICE
    WAREHOUSE = {{ warehouse }}
    AFTER ANALYTICS.MERGE_FACT_BOX_OFFICE
AS
MERGE INTO ANALYTICS.FACT_BOX_OFFICE AS target
USING (
    WITH facts AS (
        SELECT * FROM ANALYTICS.FACT_BOX_OFFICE
    ),

    versions AS (
        SELECT
            MOVIE_KEY,
            IMDB_ID,
            VALID_FROM,
            VALID_TO
        FROM ANALYTICS.DIM_MOVIE
    ),

    final AS (
        SELECT
            facts.IMDB_ID,
            facts.SNAPSHOT_DATE,
            versions.MOVIE_KEY
        FROM facts
        INNER JOIN versions
            ON versions.IMDB_ID = facts.IMDB_ID
            AND facts.SNAPSHOT_AT >= versions.VALID_FROM
            AND facts.SNAPSHOT_AT < versions.VALID_TO
        WHERE facts.MOVIE_KEY IS DISTINCT FROM versions.MOVIE_KEY
    )

    SELECT * FROM final
) AS incoming
ON target.IMDB_ID = incoming.IMDB_ID
    AND target.SNAPSHOT_DATE = incoming.SNAPSHOT_DATE
WHEN MATCHED THEN UPDATE SET
    MOVIE_KEY = incoming.MOVIE_KEY,
    UPDATED_AT = CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())::TIMESTAMP_NTZ
