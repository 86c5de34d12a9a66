-- Our own load history: Snowpipe forgets loaded files after 14 days, we never do.
CREATE TABLE IF NOT EXISTS OPS.LOADED_FILES (
    PIPE_NAME       VARCHAR NOT NULL,
    FILE_NAME       VARCHAR NOT NULL,
    BATCH_ID        VARCHAR,
    ROWS_LOADED     NUMBER(18, 0),
    LOADED_AT       TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP()
)
