-- Every row the Glue job refused (archive entity "rejected"), with the rule it broke
-- and its original values, so every batch reconciles in SQL.
CREATE TABLE IF NOT EXISTS OPS.REJECTED_ROWS (
    -- arrival order
    ROW_ID          NUMBER(38, 0) AUTOINCREMENT,

    -- what was refused and why
    BATCH_ID        VARCHAR NOT NULL,
    ENTITY          VARCHAR NOT NULL,
    RECORD_KEY      VARCHAR,
    RULE            VARCHAR NOT NULL,
    REASON          VARCHAR NOT NULL,
    RECORD          VARCHAR,

    -- lineage
    SOURCE_FILE     VARCHAR,
    LOADED_AT       TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP()
)
