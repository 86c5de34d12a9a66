-- Root task of the merge graph: SCD type 2 / type 1 merge of new raw movie records
-- and source deletes into DIM_MOVIE. Runs when any raw stream has rows (the other
-- merges run after it, see AFTER in their files).
--
-- How: for every movie in this slice of the streams, the stored versions and the
-- incoming events are laid on one time line (event time = LAST_UPDATED, or
-- DELETED_AT for a delete), and the versions are recomputed from it:
--   * duplicates: one event per movie and instant. Inside one slice a delete beats a
--     record, and among records the greater CHANGE_HASH, then TYPE1_HASH, wins (content
--     decides, not the order rows arrived in); identical events tie-break on arrival;
--   * an incoming event at the instant of a stored version replaces that version in
--     place (later arrival wins), unless it says the same thing (replay: no-op);
--   * a new event that says what the version before it says (same CHANGE_HASH and
--     deleted flag) changes nothing; otherwise it is slotted in, splitting the version
--     in effect at its time (late records never overwrite newer history);
--   * a tombstone (IS_DELETED) carries the attributes of the record before it;
--   * VALID_TO = the next version's VALID_FROM, the last one 9999-12-31 (IS_CURRENT);
--   * type-1 attributes come from the newest record ever received (at the same
--     instant the later slice, inside a slice the record picked above) and are
--     written to every version of the movie.
-- Stored versions are never deleted, so fact rows keep their MOVIE_KEY.
-- Only rows whose stored values change reach the MERGE.
-- Audit times are UTC whatever the session's TIMEZONE (Snowflake's default is
-- America/Los_Angeles): CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())::TIMESTAMP_NTZ, the
-- same instant as SYSDATE() (which the table defaults use; fakesnow's MERGE evaluates
-- SYSDATE() in the session's zone, so the merges spell it out).
-- Hardening, stated on the root (both apply to the whole graph): a failed graph run is
-- retried twice from the task that failed (safe: a stream offset moves only when its
-- merge commits, and the merges ignore replays); after 6 consecutive failed runs the
-- root is suspended instead of failing every 5 minutes (alerts go out through the
-- error integration; resume with ALTER TASK ... RESUME once fixed). The finalizer
-- (100_record_merge_outcome.sql) records each graph run's outcome in OPS.TASK_GRAPH_RUNS.
-- The stack can make the graph serverless or triggered (infra/snowflake_objects.py).
CREATE OR REPLACE TASK ANALYTICS.MERGE_DIM_MOVIE
    WAREHOUSE = {{ warehouse }}
    SCHEDULE = '5 MINUTE'
    TASK_AUTO_RETRY_ATTEMPTS = 2
    SUSPEND_TASK_AFTER_NUM_FAILURES = 6
    WHEN SYSTEM$STREAM_HAS_DATA('RAW.MOVIES_STREAM')
      OR SYSTEM$STREAM_HAS_DATA('RAW.MOVIE_DELETES_STREAM')
      OR SYSTEM$STREAM_HAS_DATA('RAW.MOVIES_BOX_OFFICE_STREAM')
      OR SYSTEM$STREAM_HAS_DATA('RAW.MOVIE_RATINGS_STREAM')
      OR SYSTEM$STREAM_HAS_DATA('RAW.MOVIE_GENRES_DIM_STREAM')
      OR SYSTEM$STREAM_HAS_DATA('RAW.MOVIE_GENRES_BRIDGE_STREAM')
      OR SYSTEM$STREAM_HAS_DATA('RAW.MOVIE_PEOPLE_DIM_STREAM')
      OR SYSTEM$STREAM_HAS_DATA('RAW.MOVIE_PEOPLE_BRIDGE_STREAM')
AS
MERGE INTO ANALYTICS.DIM_MOVIE AS target
USING (
    WITH source_records AS (
        SELECT
            -- keys and arrival: ROW_ID identifies a raw row (NOORDER: no order); arrival
            -- order is BATCH_ID, STAGED_FILE, STAGED_FILE_ROW_NUMBER
            IMDB_ID,
            ROW_ID,
            BATCH_ID,
            STAGED_FILE,
            STAGED_FILE_ROW_NUMBER,
            LAST_UPDATED,

            -- versioned content: type-2 attributes, derived attributes, their hash
            SOURCE_ID,
            TITLE,
            TYPE,
            YEAR,
            YEAR_END,
            RATED,
            RELEASED,
            RELEASED_PRECISION,
            RUNTIME_MINUTES,
            GENRES,
            DIRECTOR,
            WRITER,
            ACTORS,
            LANGUAGE,
            COUNTRY,
            PRODUCTION,
            DECADE,
            RUNTIME_BAND,
            PRIMARY_GENRE,
            CHANGE_HASH,

            -- type-1 attributes and their hash
            PLOT,
            POSTER,
            AWARDS,
            WEBSITE,
            OSCARS,
            DVD,
            TYPE1_HASH
        FROM RAW.MOVIES_STREAM
    ),

    source_deletes AS (
        SELECT
            IMDB_ID,
            ROW_ID,
            BATCH_ID,
            STAGED_FILE,
            STAGED_FILE_ROW_NUMBER,
            DELETED_AT
        FROM RAW.MOVIE_DELETES_STREAM
    ),

    incoming_events AS (
        SELECT *
        FROM (
            SELECT IMDB_ID, LAST_UPDATED AS EVENT_AT, FALSE AS IS_DELETED, CHANGE_HASH, ROW_ID, BATCH_ID,
                STAGED_FILE, STAGED_FILE_ROW_NUMBER
            FROM source_records

            UNION ALL

            SELECT IMDB_ID, DELETED_AT AS EVENT_AT, TRUE AS IS_DELETED, NULL AS CHANGE_HASH, ROW_ID, BATCH_ID,
                STAGED_FILE, STAGED_FILE_ROW_NUMBER
            FROM source_deletes
        ) AS events
        QUALIFY ROW_NUMBER() OVER (
            PARTITION BY IMDB_ID, EVENT_AT
            ORDER BY IS_DELETED DESC, CHANGE_HASH DESC NULLS LAST, BATCH_ID DESC, STAGED_FILE DESC, STAGED_FILE_ROW_NUMBER DESC
        ) = 1
    ),

    stored_versions AS (
        SELECT *
        FROM ANALYTICS.DIM_MOVIE
        WHERE IMDB_ID IN (SELECT IMDB_ID FROM incoming_events)
    ),

    timeline AS (
        SELECT
            -- keys
            COALESCE(stored.IMDB_ID, incoming.IMDB_ID) AS IMDB_ID,
            COALESCE(stored.VALID_FROM, incoming.EVENT_AT) AS EVENT_AT,
            stored.MOVIE_KEY,

            -- what is stored
            stored.VALID_TO AS STORED_VALID_TO,
            stored.IS_DELETED AS STORED_IS_DELETED,
            stored.CHANGE_HASH AS STORED_CHANGE_HASH,
            stored.TYPE1_HASH AS STORED_TYPE1_HASH,
            stored.TYPE1_UPDATED_AT AS STORED_TYPE1_UPDATED_AT,
            stored.BATCH_ID AS STORED_BATCH_ID,

            -- what arrives
            incoming.ROW_ID AS INCOMING_ROW_ID,
            incoming.IS_DELETED AS INCOMING_IS_DELETED,
            incoming.CHANGE_HASH AS INCOMING_CHANGE_HASH,
            incoming.BATCH_ID AS INCOMING_BATCH_ID,

            -- NEW: no stored version at this instant; KEPT: stored, and nothing different
            -- arrives for it; REPLACED: stored, and a different event arrives for it
            CASE
                WHEN stored.MOVIE_KEY IS NULL THEN 'NEW'
                WHEN incoming.ROW_ID IS NULL THEN 'KEPT'
                WHEN incoming.IS_DELETED = stored.IS_DELETED
                    AND (incoming.IS_DELETED OR incoming.CHANGE_HASH IS NOT DISTINCT FROM stored.CHANGE_HASH)
                    THEN 'KEPT'
                ELSE 'REPLACED'
            END AS ORIGIN
        FROM stored_versions AS stored
        FULL OUTER JOIN incoming_events AS incoming
            ON incoming.IMDB_ID = stored.IMDB_ID
            AND incoming.EVENT_AT = stored.VALID_FROM
    ),

    events AS (
        SELECT
            timeline.*,
            IFF(ORIGIN = 'KEPT', STORED_IS_DELETED, INCOMING_IS_DELETED) AS IS_DELETED,
            -- where a record's attributes live: its dimension row, or its raw row
            IFF(ORIGIN = 'KEPT', 'DIM:' || MOVIE_KEY, 'RAW:' || INCOMING_ROW_ID) AS CONTENT_ID,
            IFF(ORIGIN = 'KEPT', STORED_CHANGE_HASH, INCOMING_CHANGE_HASH) AS RECORD_HASH,
            IFF(ORIGIN = 'KEPT', STORED_BATCH_ID, INCOMING_BATCH_ID) AS BATCH_ID
        FROM timeline
    ),

    sequenced AS (
        -- RECORD_SEQ numbers the records; a tombstone shares the number of the record before it
        SELECT
            events.*,
            SUM(IFF(IS_DELETED, 0, 1)) OVER (
                PARTITION BY IMDB_ID ORDER BY EVENT_AT ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
            ) AS RECORD_SEQ
        FROM events
    ),

    with_content AS (
        SELECT
            sequenced.*,
            record.CONTENT_ID AS VERSION_CONTENT_ID,
            record.RECORD_HASH AS VERSION_HASH
        FROM sequenced
        LEFT JOIN sequenced AS record
            ON record.IMDB_ID = sequenced.IMDB_ID
            AND record.RECORD_SEQ = sequenced.RECORD_SEQ
            AND NOT record.IS_DELETED
    ),

    compared AS (
        SELECT
            with_content.*,
            ROW_NUMBER() OVER (PARTITION BY IMDB_ID ORDER BY EVENT_AT) AS POSITION,
            LAG(IS_DELETED) OVER (PARTITION BY IMDB_ID ORDER BY EVENT_AT) AS PREVIOUS_IS_DELETED,
            LAG(VERSION_HASH) OVER (PARTITION BY IMDB_ID ORDER BY EVENT_AT) AS PREVIOUS_HASH
        FROM with_content
    ),

    kept AS (
        SELECT *
        FROM compared
        WHERE NOT (
            ORIGIN = 'NEW'
            AND POSITION > 1
            AND IS_DELETED = PREVIOUS_IS_DELETED
            AND VERSION_HASH IS NOT DISTINCT FROM PREVIOUS_HASH
        )
    ),

    versions AS (
        SELECT
            kept.*,
            COALESCE(
                LEAD(EVENT_AT) OVER (PARTITION BY IMDB_ID ORDER BY EVENT_AT),
                '9999-12-31 00:00:00'::TIMESTAMP_NTZ
            ) AS VALID_TO
        FROM kept
    ),

    record_contents AS (
        SELECT
            'RAW:' || ROW_ID AS CONTENT_ID,
            SOURCE_ID, TITLE, TYPE, YEAR, YEAR_END, RATED, RELEASED, RELEASED_PRECISION,
            RUNTIME_MINUTES, GENRES, DIRECTOR, WRITER, ACTORS, LANGUAGE, COUNTRY, PRODUCTION,
            DECADE, RUNTIME_BAND, PRIMARY_GENRE, CHANGE_HASH
        FROM source_records

        UNION ALL

        SELECT
            'DIM:' || MOVIE_KEY AS CONTENT_ID,
            SOURCE_ID, TITLE, TYPE, YEAR, YEAR_END, RATED, RELEASED, RELEASED_PRECISION,
            RUNTIME_MINUTES, GENRES, DIRECTOR, WRITER, ACTORS, LANGUAGE, COUNTRY, PRODUCTION,
            DECADE, RUNTIME_BAND, PRIMARY_GENRE, CHANGE_HASH
        FROM stored_versions
        WHERE NOT IS_DELETED
    ),

    type1_candidates AS (
        SELECT
            IMDB_ID, PLOT, POSTER, AWARDS, WEBSITE, OSCARS, DVD, TYPE1_HASH,
            LAST_UPDATED AS TYPE1_UPDATED_AT, 1 AS ARRIVED, CHANGE_HASH,
            BATCH_ID, STAGED_FILE, STAGED_FILE_ROW_NUMBER
        FROM source_records

        UNION ALL

        SELECT
            IMDB_ID, PLOT, POSTER, AWARDS, WEBSITE, OSCARS, DVD, TYPE1_HASH,
            TYPE1_UPDATED_AT, 0 AS ARRIVED, CHANGE_HASH,
            NULL AS BATCH_ID, NULL AS STAGED_FILE, NULL AS STAGED_FILE_ROW_NUMBER
        FROM stored_versions
        WHERE IS_CURRENT
    ),

    type1_values AS (
        SELECT *
        FROM type1_candidates
        QUALIFY ROW_NUMBER() OVER (
            PARTITION BY IMDB_ID
            ORDER BY TYPE1_UPDATED_AT DESC NULLS LAST, ARRIVED DESC, CHANGE_HASH DESC NULLS LAST, TYPE1_HASH DESC NULLS LAST,
                BATCH_ID DESC, STAGED_FILE DESC, STAGED_FILE_ROW_NUMBER DESC
        ) = 1
    ),

    final AS (
        SELECT
            -- keys
            versions.MOVIE_KEY,
            versions.IMDB_ID,
            contents.SOURCE_ID,

            -- type-2 attributes
            contents.TITLE,
            contents.TYPE,
            contents.YEAR,
            contents.YEAR_END,
            contents.RATED,
            contents.RELEASED,
            contents.RELEASED_PRECISION,
            contents.RUNTIME_MINUTES,
            contents.GENRES,
            contents.DIRECTOR,
            contents.WRITER,
            contents.ACTORS,
            contents.LANGUAGE,
            contents.COUNTRY,
            contents.PRODUCTION,

            -- derived attributes
            contents.DECADE,
            contents.RUNTIME_BAND,
            contents.PRIMARY_GENRE,

            -- type-1 attributes
            type1_values.PLOT,
            type1_values.POSTER,
            type1_values.AWARDS,
            type1_values.WEBSITE,
            type1_values.OSCARS,
            type1_values.DVD,

            -- change detection
            versions.VERSION_HASH AS CHANGE_HASH,
            type1_values.TYPE1_HASH,
            type1_values.TYPE1_UPDATED_AT,

            -- versioning
            versions.EVENT_AT AS VALID_FROM,
            versions.VALID_TO,
            versions.VALID_TO = '9999-12-31 00:00:00'::TIMESTAMP_NTZ AS IS_CURRENT,
            versions.IS_DELETED,

            -- lineage
            versions.BATCH_ID,

            -- INSERT a new version; VERSION: a stored one changes its versioning or content;
            -- TYPE1: only the type-1 attributes change; NONE: nothing to write
            CASE
                WHEN versions.MOVIE_KEY IS NULL THEN 'INSERT'
                WHEN versions.ORIGIN = 'REPLACED'
                    OR versions.VALID_TO <> versions.STORED_VALID_TO
                    OR versions.VERSION_HASH IS DISTINCT FROM versions.STORED_CHANGE_HASH
                    THEN 'VERSION'
                WHEN type1_values.TYPE1_HASH IS DISTINCT FROM versions.STORED_TYPE1_HASH
                    OR type1_values.TYPE1_UPDATED_AT IS DISTINCT FROM versions.STORED_TYPE1_UPDATED_AT
                    THEN 'TYPE1'
                ELSE 'NONE'
            END AS MERGE_ACTION
        FROM versions
        LEFT JOIN record_contents AS contents
            ON contents.CONTENT_ID = versions.VERSION_CONTENT_ID
        LEFT JOIN type1_values
            ON type1_values.IMDB_ID = versions.IMDB_ID
    )

    SELECT * FROM final WHERE MERGE_ACTION <> 'NONE'
) AS incoming
ON target.MOVIE_KEY = incoming.MOVIE_KEY
WHEN MATCHED AND incoming.MERGE_ACTION = 'TYPE1' THEN UPDATE SET
    PLOT = incoming.PLOT,
    POSTER = incoming.POSTER,
    AWARDS = incoming.AWARDS,
    WEBSITE = incoming.WEBSITE,
    OSCARS = incoming.OSCARS,
    DVD = incoming.DVD,
    TYPE1_HASH = incoming.TYPE1_HASH,
    TYPE1_UPDATED_AT = incoming.TYPE1_UPDATED_AT,
    UPDATED_AT = CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())::TIMESTAMP_NTZ
WHEN MATCHED THEN UPDATE SET
    SOURCE_ID = incoming.SOURCE_ID,
    TITLE = incoming.TITLE,
    TYPE = incoming.TYPE,
    YEAR = incoming.YEAR,
    YEAR_END = incoming.YEAR_END,
    RATED = incoming.RATED,
    RELEASED = incoming.RELEASED,
    RELEASED_PRECISION = incoming.RELEASED_PRECISION,
    RUNTIME_MINUTES = incoming.RUNTIME_MINUTES,
    GENRES = incoming.GENRES,
    DIRECTOR = incoming.DIRECTOR,
    WRITER = incoming.WRITER,
    ACTORS = incoming.ACTORS,
    LANGUAGE = incoming.LANGUAGE,
    COUNTRY = incoming.COUNTRY,
    PRODUCTION = incoming.PRODUCTION,
    DECADE = incoming.DECADE,
    RUNTIME_BAND = incoming.RUNTIME_BAND,
    PRIMARY_GENRE = incoming.PRIMARY_GENRE,
    PLOT = incoming.PLOT,
    POSTER = incoming.POSTER,
    AWARDS = incoming.AWARDS,
    WEBSITE = incoming.WEBSITE,
    OSCARS = incoming.OSCARS,
    DVD = incoming.DVD,
    CHANGE_HASH = incoming.CHANGE_HASH,
    TYPE1_HASH = incoming.TYPE1_HASH,
    TYPE1_UPDATED_AT = incoming.TYPE1_UPDATED_AT,
    VALID_TO = incoming.VALID_TO,
    IS_CURRENT = incoming.IS_CURRENT,
    IS_DELETED = incoming.IS_DELETED,
    BATCH_ID = incoming.BATCH_ID,
    UPDATED_AT = CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())::TIMESTAMP_NTZ
WHEN NOT MATCHED THEN INSERT (
    IMDB_ID, SOURCE_ID,
    TITLE, TYPE, YEAR, YEAR_END, RATED, RELEASED, RELEASED_PRECISION, RUNTIME_MINUTES, GENRES,
    DIRECTOR, WRITER, ACTORS, LANGUAGE, COUNTRY, PRODUCTION,
    DECADE, RUNTIME_BAND, PRIMARY_GENRE,
    PLOT, POSTER, AWARDS, WEBSITE, OSCARS, DVD,
    CHANGE_HASH, TYPE1_HASH, TYPE1_UPDATED_AT,
    VALID_FROM, VALID_TO, IS_CURRENT, IS_DELETED,
    BATCH_ID
) VALUES (
    incoming.IMDB_ID, incoming.SOURCE_ID,
    incoming.TITLE, incoming.TYPE, incoming.YEAR, incoming.YEAR_END, incoming.RATED, incoming.RELEASED,
    incoming.RELEASED_PRECISION, incoming.RUNTIME_MINUTES, incoming.GENRES,
    incoming.DIRECTOR, incoming.WRITER, incoming.ACTORS, incoming.LANGUAGE, incoming.COUNTRY, incoming.PRODUCTION,
    incoming.DECADE, incoming.RUNTIME_BAND, incoming.PRIMARY_GENRE,
    incoming.PLOT, incoming.POSTER, incoming.AWARDS, incoming.WEBSITE, incoming.OSCARS, incoming.DVD,
    incoming.CHANGE_HASH, incoming.TYPE1_HASH, incoming.TYPE1_UPDATED_AT,
    incoming.VALID_FROM, incoming.VALID_TO, incoming.IS_CURRENT, incoming.IS_DELETED,
    incoming.BATCH_ID
)
