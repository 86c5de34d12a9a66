-- Adds every person name this slice names that ANALYTICS.DIM_PERSON does not have yet.
-- Runs after the DIM_MOVIE merge; the bridge merge runs after it.
CREATE OR REPLACE TASK ANALYTICS.MERGE_DIM_PERSON
    WAREHOUSE = {{ warehouse }}
    AFTER ANALYTICS.MERGE_DIM_MOVIE
AS
MERGE INTO ANALYTICS.DIM_PERSON AS target
USING (
    WITH source AS (
        SELECT
            PERSON_NAME,
            BATCH_ID,
            STAGED_FILE,
            STAGED_FILE_ROW_NUMBER
        FROM RAW.MOVIE_PEOPLE_DIM_STREAM
    ),

    final AS (
        -- one row per name: the first arrival (least batch id - they sort by their watermark -
        -- then file and row) names the batch that introduced it; never ROW_ID, which is NOORDER
        SELECT
            PERSON_NAME,
            BATCH_ID AS FIRST_BATCH_ID
        FROM source
        QUALIFY ROW_NUMBER() OVER (
            PARTITION BY PERSON_NAME ORDER BY BATCH_ID, STAGED_FILE, STAGED_FILE_ROW_NUMBER
        ) = 1
    )

    SELECT * FROM final
) AS incoming
ON target.PERSON_NAME = incoming.PERSON_NAME
WHEN NOT MATCHED THEN INSERT (PERSON_NAME, FIRST_BATCH_ID)
VALUES (incoming.PERSON_NAME, incoming.FIRST_BATCH_ID)
