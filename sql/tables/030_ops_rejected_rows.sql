-- Every row the Glue job refused, with the rule it broke and its original values.
CREATE TABLE IF NOT EXISTS OPS.REJECTED_ROWS (
    BATCH_ID        VARCHAR NOT NULL,
    ENTITY          VARCHAR NOT NULL,
    RECORD_KEY      VARCHAR,
    RULE            VARCHAR NOT NULL,
    REASON          VARCHAR NOT NULL,
    RECORD          VARCHAR,
    SOURCE_FILE     VARCHAR,
    LOADED_AT       TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP()
)
