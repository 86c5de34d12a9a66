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
            STAGED_FILE,
            STAGED_FILE_ROW_NUMBER
        FROM RAW.MOVIE_GENRES_DIM_STREAM
    ),

    final AS (
        -- one row per name: the first arrival (least batch id - they sort by their watermark -
        -- then file and row) names the batch that introduced it; never ROW_ID, which is NOORDER
        SELECT
            GENRE,
            BATCH_ID AS FIRST_BATCH_ID
        FROM source
        QUALIFY ROW_NUMBER() OVER (
            PARTITION BY GENRE ORDER BY BATCH_ID, STAGED_FILE, STAGED_FILE_ROW_NUMBER
        ) = 1
    )

    SELECT * FROM final
) AS incoming
ON target.GENRE = incoming.GENRE
WHEN NOT MATCHED THEN INSERT (GENRE, FIRST_BATCH_ID)
VALUES (incoming.GENRE, incoming.FIRST_BATCH_ID)
