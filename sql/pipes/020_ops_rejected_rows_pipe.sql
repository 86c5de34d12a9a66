-- Snowpipe for rows the Glue job rejected: they land in OPS.REJECTED_ROWS with
-- their rule, reason and original values, so every batch reconciles in SQL.
CREATE PIPE IF NOT EXISTS OPS.REJECTED_ROWS_PIPE
    AUTO_INGEST = TRUE
AS
COPY INTO OPS.REJECTED_ROWS (
    BATCH_ID, ENTITY, RECORD_KEY, RULE, REASON, RECORD, SOURCE_FILE
)
FROM @RAW.ARCHIVE_STAGE/rejected/
FILE_FORMAT = (FORMAT_NAME = 'RAW.CSV_ARCHIVE')
