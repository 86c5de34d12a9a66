-- Keeps ANALYTICS.BRIDGE_MOVIE_GENRE equal to each movie's latest genre list.
-- The rows of one movie record share its LAST_UPDATED and BATCH_ID: together they are
-- the list. Per movie, the newest list in this slice (at the same instant the later
-- batch's: batch ids sort by their watermark) replaces the stored one unless the stored one is newer: rows it no longer
-- has are deleted, new ones inserted, moved ones updated. A replayed list changes
-- nothing. Limitation: a record with an empty list writes no rows, so the stored list
-- stays until a non-empty one arrives (see docs/bi.md).
CREATE OR REPLACE TASK ANALYTICS.MERGE_BRIDGE_MOVIE_GENRE
    WAREHOUSE = {{ warehouse }}
    AFTER ANALYTICS.MERGE_DIM_GENRE
AS
MERGE INTO ANALYTICS.BRIDGE_MOVIE_GENRE AS target
USING (
    WITH source AS (
        SELECT
            IMDB_ID,
            GENRE,
            ORDINAL,
            LAST_UPDATED,
            BATCH_ID,
            STAGED_FILE,
            STAGED_FILE_ROW_NUMBER
        FROM RAW.MOVIE_GENRES_BRIDGE_STREAM
    ),

    lists AS (
        SELECT
            IMDB_ID,
            LAST_UPDATED,
            BATCH_ID
        FROM source
        GROUP BY IMDB_ID, LAST_UPDATED, BATCH_ID
    ),

    stored_lists AS (
        SELECT
            IMDB_ID,
            MAX(LIST_UPDATED_AT) AS LIST_UPDATED_AT
        FROM ANALYTICS.BRIDGE_MOVIE_GENRE
        WHERE IMDB_ID IN (SELECT IMDB_ID FROM lists)
        GROUP BY IMDB_ID
    ),

    latest_lists AS (
        SELECT lists.*
        FROM lists
        LEFT JOIN stored_lists
            ON stored_lists.IMDB_ID = lists.IMDB_ID
        WHERE stored_lists.IMDB_ID IS NULL
           OR lists.LAST_UPDATED >= stored_lists.LIST_UPDATED_AT
        QUALIFY ROW_NUMBER() OVER (
            PARTITION BY lists.IMDB_ID ORDER BY lists.LAST_UPDATED DESC, lists.BATCH_ID DESC
        ) = 1
    ),

    new_rows AS (
        SELECT
            source.IMDB_ID,
            names.GENRE_KEY,
            source.ORDINAL,
            source.LAST_UPDATED AS LIST_UPDATED_AT,
            source.BATCH_ID,
            'UPSERT' AS MERGE_ACTION
        FROM source
        INNER JOIN latest_lists
            ON latest_lists.IMDB_ID = source.IMDB_ID
            AND latest_lists.LAST_UPDATED = source.LAST_UPDATED
            AND latest_lists.BATCH_ID = source.BATCH_ID
        INNER JOIN ANALYTICS.DIM_GENRE AS names
            ON names.GENRE = source.GENRE
        QUALIFY ROW_NUMBER() OVER (
            PARTITION BY source.IMDB_ID, names.GENRE_KEY
            ORDER BY source.ORDINAL, source.STAGED_FILE DESC, source.STAGED_FILE_ROW_NUMBER DESC
        ) = 1
    ),

    dropped_rows AS (
        SELECT
            stored.IMDB_ID,
            stored.GENRE_KEY,
            stored.ORDINAL,
            stored.LIST_UPDATED_AT,
            stored.BATCH_ID,
            'DELETE' AS MERGE_ACTION
        FROM ANALYTICS.BRIDGE_MOVIE_GENRE AS stored
        INNER JOIN latest_lists
            ON latest_lists.IMDB_ID = stored.IMDB_ID
        LEFT JOIN new_rows
            ON new_rows.IMDB_ID = stored.IMDB_ID
            AND new_rows.GENRE_KEY = stored.GENRE_KEY
        WHERE new_rows.IMDB_ID IS NULL
    ),

    final AS (
        SELECT * FROM new_rows
        UNION ALL
        SELECT * FROM dropped_rows
    )

    SELECT * FROM final
) AS incoming
ON target.IMDB_ID = incoming.IMDB_ID
    AND target.GENRE_KEY = incoming.GENRE_KEY
WHEN MATCHED AND incoming.MERGE_ACTION = 'DELETE' THEN DELETE
WHEN MATCHED AND (
    target.ORDINAL IS DISTINCT FROM incoming.ORDINAL
    OR target.LIST_UPDATED_AT <> incoming.LIST_UPDATED_AT
) THEN UPDATE SET
    ORDINAL = incoming.ORDINAL,
    LIST_UPDATED_AT = incoming.LIST_UPDATED_AT,
    BATCH_ID = incoming.BATCH_ID,
    UPDATED_AT = CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())::TIMESTAMP_NTZ
WHEN NOT MATCHED AND incoming.MERGE_ACTION = 'UPSERT' THEN INSERT (IMDB_ID, GENRE_KEY, ORDINAL, LIST_UPDATED_AT, BATCH_ID)
VALUES (incoming.IMDB_ID, incoming.GENRE_KEY, incoming.ORDINAL, incoming.LIST_UPDATED_AT, incoming.BATCH_ID)
