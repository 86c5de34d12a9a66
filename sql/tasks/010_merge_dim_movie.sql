-- Root task of the merge graph: SCD type 2 merge of new raw movies into DIM_MOVIE.
-- Runs only when the stream has rows. One MERGE both closes the current version
-- (rows with a merge key) and inserts the new one (rows with a NULL merge key).
-- A record whose LAST_UPDATED is not newer than the current version's VALID_FROM
-- is late or replayed and changes nothing; an unchanged CHANGE_HASH is a no-op.
CREATE OR REPLACE TASK ANALYTICS.MERGE_DIM_MOVIE
    WAREHOUSE = {{ warehouse }}
    SCHEDULE = '5 MINUTE'
    WHEN SYSTEM$STREAM_HAS_DATA('RAW.MOVIES_STREAM')
AS
MERGE INTO ANALYTICS.DIM_MOVIE AS target
USING (
    WITH source AS (
        SELECT * FROM RAW.MOVIES_STREAM
    ),

    deduped AS (
        -- the newest record per movie in this slice of the stream
        SELECT *
        FROM source
        QUALIFY ROW_NUMBER() OVER (
            PARTITION BY IMDB_ID ORDER BY LAST_UPDATED DESC, ROW_ID DESC
        ) = 1
    ),

    current_versions AS (
        SELECT IMDB_ID, CHANGE_HASH, VALID_FROM
        FROM ANALYTICS.DIM_MOVIE
        WHERE IS_CURRENT
    ),

    changed AS (
        SELECT
            deduped.*,
            current_versions.IMDB_ID IS NOT NULL AS HAS_CURRENT
        FROM deduped
        LEFT JOIN current_versions
            ON current_versions.IMDB_ID = deduped.IMDB_ID
        WHERE current_versions.IMDB_ID IS NULL
           OR (
                deduped.CHANGE_HASH <> current_versions.CHANGE_HASH
                AND deduped.LAST_UPDATED > current_versions.VALID_FROM
           )
    ),

    final AS (
        -- closes the current version: matched on the merge key
        SELECT changed.IMDB_ID AS MERGE_KEY, changed.*
        FROM changed
        WHERE changed.HAS_CURRENT

        UNION ALL

        -- inserts the new version: a NULL merge key never matches
        SELECT NULL AS MERGE_KEY, changed.*
        FROM changed
    )

    SELECT * FROM final
) AS incoming
ON target.IMDB_ID = incoming.MERGE_KEY AND target.IS_CURRENT
WHEN MATCHED THEN UPDATE SET
    VALID_TO = incoming.LAST_UPDATED,
    IS_CURRENT = FALSE,
    UPDATED_AT = CURRENT_TIMESTAMP()
WHEN NOT MATCHED THEN INSERT (
    IMDB_ID,
    TITLE, YEAR, RATED, RELEASED, RELEASED_PRECISION, RUNTIME_MINUTES, GENRES,
    DIRECTOR, WRITER, ACTORS, LANGUAGE, COUNTRY, AWARDS, PRODUCTION, WEBSITE,
    OSCARS, METASCORE, IMDB_RATING, IMDB_VOTES, TOMATO_METER, TOMATO_RATING,
    TOMATO_REVIEWS, TOMATO_USER_METER, TOMATO_USER_RATING, BOX_OFFICE,
    CHANGE_HASH, VALID_FROM, VALID_TO, IS_CURRENT, IS_DELETED,
    BATCH_ID
) VALUES (
    incoming.IMDB_ID,
    incoming.TITLE, incoming.YEAR, incoming.RATED, incoming.RELEASED,
    incoming.RELEASED_PRECISION, incoming.RUNTIME_MINUTES, incoming.GENRES,
    incoming.DIRECTOR, incoming.WRITER, incoming.ACTORS, incoming.LANGUAGE,
    incoming.COUNTRY, incoming.AWARDS, incoming.PRODUCTION, incoming.WEBSITE,
    incoming.OSCARS, incoming.METASCORE, incoming.IMDB_RATING, incoming.IMDB_VOTES,
    incoming.TOMATO_METER, incoming.TOMATO_RATING, incoming.TOMATO_REVIEWS,
    incoming.TOMATO_USER_METER, incoming.TOMATO_USER_RATING, incoming.BOX_OFFICE,
    incoming.CHANGE_HASH, incoming.LAST_UPDATED, '9999-12-31 00:00:00'::TIMESTAMP_NTZ,
    TRUE, FALSE,
    incoming.BATCH_ID
)
