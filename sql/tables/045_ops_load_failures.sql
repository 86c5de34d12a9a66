-- Archive files a pipe refused (ON_ERROR = SKIP_FILE): nothing of them was loaded, and
-- this says why, with Snowflake's first error (COPY_HISTORY's FIRST_ERROR_* columns).
-- Snowpipe never loads the same file (name and content) twice, failed or not, so a
-- refused file stays refused until it is fixed and staged again; until then every load
-- of its batch fails naming it. Written by the local pipe emulator, and by the cloud
-- runtime from COPY_HISTORY.
CREATE TABLE IF NOT EXISTS OPS.LOAD_FAILURES (
    -- the file
    PIPE_NAME       VARCHAR NOT NULL,
    FILE_NAME       VARCHAR NOT NULL,
    CONTENT_MD5     VARCHAR(32),
    BATCH_ID        VARCHAR,

    -- Snowflake's first error
    ERROR_MESSAGE   VARCHAR NOT NULL,
    ERROR_LINE      NUMBER(18, 0),
    ERROR_COLUMN    VARCHAR,
    ERROR_COUNT     NUMBER(18, 0),
    ROWS_PARSED     NUMBER(18, 0),

    -- when it was refused (UTC)
    FAILED_AT       TIMESTAMP_NTZ DEFAULT SYSDATE()
)
