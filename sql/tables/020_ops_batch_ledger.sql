-- One row per batch and stage: what went in, what came out, what was rejected.
CREATE TABLE IF NOT EXISTS OPS.BATCH_LEDGER (
    BATCH_ID        VARCHAR NOT NULL,
    STAGE           VARCHAR NOT NULL,
    STATE           VARCHAR NOT NULL,
    ROWS_IN         NUMBER(18, 0),
    ROWS_OUT        NUMBER(18, 0),
    ROWS_REJECTED   NUMBER(18, 0),
    STARTED_AT      TIMESTAMP_NTZ,
    ENDED_AT        TIMESTAMP_NTZ,
    SOURCE          VARCHAR,
    DETAIL          VARCHAR
)
