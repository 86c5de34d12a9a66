-- Rating snapshots: one row per movie x rating source x snapshot date (the date of
-- the record's LAST_UPDATED). A replay inserts nothing; a newer snapshot adds a row.
-- MOVIE_KEY is the DIM_MOVIE version valid at SNAPSHOT_AT (re-pointed when a late
-- record splits that version). Grain: IMDB_ID x RATING_SOURCE x SNAPSHOT_DATE.
CREATE TABLE IF NOT EXISTS ANALYTICS.FACT_MOVIE_RATING (
    -- dimension keys
    MOVIE_KEY           NUMBER(38, 0),
    RATING_SOURCE_KEY   NUMBER(38, 0),
    DATE_KEY            NUMBER(8, 0) NOT NULL,

    -- grain (natural keys)
    IMDB_ID             VARCHAR NOT NULL,
    RATING_SOURCE       VARCHAR NOT NULL,
    SNAPSHOT_DATE       DATE NOT NULL,
    SNAPSHOT_AT         TIMESTAMP_NTZ NOT NULL,

    -- measures
    SCORE               NUMBER(5, 1),
    VOTES               NUMBER(12, 0),
    RAW_VALUE           VARCHAR,

    -- lineage
    BATCH_ID            VARCHAR NOT NULL,
    UPDATED_AT          TIMESTAMP_NTZ DEFAULT SYSDATE()
)
