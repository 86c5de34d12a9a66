-- One row per movie the source no longer has (archive entity "movie_deletes"): the
-- DIM_MOVIE merge closes its current version at DELETED_AT with a tombstone version.
CREATE TABLE IF NOT EXISTS RAW.MOVIE_DELETES (
    -- arrival order: the local stream emulation keeps its offsets on it
    ROW_ID              NUMBER(38, 0) AUTOINCREMENT,

    -- identity
    IMDB_ID             VARCHAR NOT NULL,
    SOURCE_ID           VARCHAR,

    -- event time
    DELETED_AT          TIMESTAMP_NTZ NOT NULL,

    -- lineage
    BATCH_ID            VARCHAR NOT NULL,
    SOURCE_FILE         VARCHAR,
    LOADED_AT           TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP()
)
