-- Adds every genre this slice names that ANALYTICS.DIM_GENRE does not have yet.
-- Runs after the DIM_MOVIE merge; the bridge merge runs after it.
CREATE OR REPLACE TASK ANALYTICS.MERGE_DIM_GENRE
    WAREHOUSE = {{ warehouse }}
    AFTER ANALYTICS.MERGE_DIM_MOVIE
AS
MERGE INTO ANALYTICS.DIM_GENRE AS target
USING (
    WITH source AS (
        SELECT
            GENRE,
            BATCH_ID,
            ROW_ID
        FROM RAW.MOVIE_GENRES_DIM_STREAM
    ),

    final AS (
        -- one row per name: the first arrival names the batch that introduced it
        SELECT
            GENRE,
            BATCH_ID AS FIRST_BATCH_ID
        FROM source
        QUALIFY ROW_NUMBER() OVER (PARTITION BY GENRE ORDER BY ROW_ID) = 1
    )

    SELECT * FROM final
) AS incoming
ON target.GENRE = incoming.GENRE
WHEN NOT MATCHED THEN INSERT (GENRE, FIRST_BATCH_ID)
VALUES (incoming.GENRE, incoming.FIRST_BATCH_ID)
