-- Snowpipe for rows the Glue job rejected: they land in OPS.REJECTED_ROWS with
-- their rule, reason and original values, so every batch reconciles in SQL.
-- Same COPY shape and ON_ERROR policy as 010_raw_movies_pipe.sql (why: see there).
CREATE PIPE IF NOT EXISTS OPS.REJECTED_ROWS_PIPE
    AUTO_INGEST = TRUE
AS
COPY INTO OPS.REJECTED_ROWS (
    BATCH_ID, ENTITY, RECORD_KEY, RULE, REASON, RECORD, SOURCE_FILE,
    STAGED_FILE, STAGED_FILE_ROW_NUMBER
)
FROM (
    SELECT
        $1, $2, $3, $4, $5, $6, $7,
        METADATA$FILENAME, METADATA$FILE_ROW_NUMBER
    FROM @RAW.ARCHIVE_STAGE/rejected/
)
FILE_FORMAT = (FORMAT_NAME = 'RAW.CSV_ARCHIVE')
ON_ERROR = SKIP_FILE
