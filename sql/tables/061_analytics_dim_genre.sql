-- Genre dimension: one row per genre name ever seen. Grain: GENRE.
CREATE TABLE IF NOT EXISTS ANALYTICS.DIM_GENRE (
    GENRE_KEY           NUMBER(38, 0) AUTOINCREMENT,
    GENRE               VARCHAR NOT NULL,
    FIRST_BATCH_ID      VARCHAR,
    CREATED_AT          TIMESTAMP_NTZ DEFAULT SYSDATE()
)
