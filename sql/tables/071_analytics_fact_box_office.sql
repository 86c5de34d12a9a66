-- Box office snapshots: one row per movie x snapshot date for records that carry a
-- BOX_OFFICE amount. MOVIE_KEY is the DIM_MOVIE version valid at SNAPSHOT_AT.
-- Grain: IMDB_ID x SNAPSHOT_DATE.
CREATE TABLE IF NOT EXISTS ANALYTICS.FACT_BOX_OFFICE (
    -- dimension keys
    MOVIE_KEY           NUMBER(38, 0),
    DATE_KEY            NUMBER(8, 0) NOT NULL,

    -- grain (natural keys)
    IMDB_ID             VARCHAR NOT NULL,
    SNAPSHOT_DATE       DATE NOT NULL,
    SNAPSHOT_AT         TIMESTAMP_NTZ NOT NULL,

    -- measures
    BOX_OFFICE          NUMBER(16, 2) NOT NULL,

    -- lineage
    BATCH_ID            VARCHAR NOT NULL,
    UPDATED_AT          TIMESTAMP_NTZ DEFAULT SYSDATE()
)
