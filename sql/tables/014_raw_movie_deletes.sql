-- One row per movie the source no longer has (archive entity "movie_deletes"): the
-- DIM_MOVIE merge closes its current version at DELETED_AT with a tombstone version.
CREATE TABLE IF NOT EXISTS RAW.MOVIE_DELETES (
    -- identity only: unique, not ordered (NOORDER, Snowflake's default since 2024_01);
    -- the local stream emulation keeps its offsets on it (see moviepipe/warehouse/emulator.py)
    ROW_ID              NUMBER(38, 0) AUTOINCREMENT NOORDER,

    -- identity
    IMDB_ID             VARCHAR NOT NULL,
    SOURCE_ID           VARCHAR,

    -- event time
    DELETED_AT          TIMESTAMP_NTZ NOT NULL,

    -- lineage
    BATCH_ID            VARCHAR NOT NULL,
    SOURCE_FILE         VARCHAR,
    LOADED_AT           TIMESTAMP_NTZ DEFAULT SYSDATE(),

    -- load metadata (METADATA$FILENAME, METADATA$FILE_ROW_NUMBER, set by the pipe's COPY):
    -- with BATCH_ID, the arrival order the merges break ties with
    STAGED_FILE             VARCHAR NOT NULL,
    STAGED_FILE_ROW_NUMBER  NUMBER(38, 0) NOT NULL
)
