-- Person dimension: one row per person name (the source has no person ids).
-- Grain: PERSON_NAME.
CREATE TABLE IF NOT EXISTS ANALYTICS.DIM_PERSON (
    PERSON_KEY          NUMBER(38, 0) AUTOINCREMENT,
    PERSON_NAME         VARCHAR NOT NULL,
    FIRST_BATCH_ID      VARCHAR,
    CREATED_AT          TIMESTAMP_NTZ DEFAULT SYSDATE()
)
