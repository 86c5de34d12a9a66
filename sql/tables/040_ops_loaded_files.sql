-- Our own load history: Snowpipe forgets loaded files after 14 days, we never do.
-- A file is identified by its name and content digest (S3's ETag for a single-part
-- upload): a batch folder re-written with the same bytes is not loaded again, one
-- re-written with different bytes is (as Snowpipe does), and both are visible here.
-- FILE_SIZE and FILE_SIGNATURE (size, modification time in ns, inode) are the local
-- emulator's: a file whose signature is already recorded is known without reading it,
-- so a load costs the new files, never the archive's history (NULL on Snowflake,
-- whose pipes keep their own history).
CREATE TABLE IF NOT EXISTS OPS.LOADED_FILES (
    PIPE_NAME       VARCHAR NOT NULL,
    FILE_NAME       VARCHAR NOT NULL,
    CONTENT_MD5     VARCHAR(32),
    BATCH_ID        VARCHAR,
    ROWS_LOADED     NUMBER(18, 0),
    LOADED_AT       TIMESTAMP_NTZ DEFAULT SYSDATE(),
    FILE_SIZE       NUMBER(18, 0),
    FILE_SIGNATURE  VARCHAR
)
