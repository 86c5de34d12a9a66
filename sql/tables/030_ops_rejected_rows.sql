-- Every row the Glue job refused (archive entity "rejected"), with the rule it broke
-- and its original values, so every batch reconciles in SQL.
CREATE TABLE IF NOT EXISTS OPS.REJECTED_ROWS (
    -- identity only: unique, not ordered (NOORDER, Snowflake's default since 2024_01)
    ROW_ID          NUMBER(38, 0) AUTOINCREMENT NOORDER,

    -- what was refused and why
    BATCH_ID        VARCHAR NOT NULL,
    ENTITY          VARCHAR NOT NULL,
    RECORD_KEY      VARCHAR,
    RULE            VARCHAR NOT NULL,
    REASON          VARCHAR NOT NULL,
    RECORD          VARCHAR,

    -- lineage
    SOURCE_FILE     VARCHAR,
    LOADED_AT       TIMESTAMP_NTZ DEFAULT SYSDATE(),

    -- load metadata (METADATA$FILENAME, METADATA$FILE_ROW_NUMBER, set by the pipe's COPY)
    STAGED_FILE             VARCHAR NOT NULL,
    STAGED_FILE_ROW_NUMBER  NUMBER(38, 0) NOT NULL
)
