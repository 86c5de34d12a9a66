-- One row per movie x genre, ORDINAL from 1 in source order (archive entity "movie_genres").
-- All rows of one movie record share its LAST_UPDATED: together they are the genre list.
CREATE TABLE IF NOT EXISTS RAW.MOVIE_GENRES (
    -- identity only: unique, not ordered (NOORDER, Snowflake's default since 2024_01);
    -- the local stream emulation keeps its offsets on it (see moviepipe/warehouse/emulator.py)
    ROW_ID              NUMBER(38, 0) AUTOINCREMENT NOORDER,

    -- grain
    IMDB_ID             VARCHAR NOT NULL,
    GENRE               VARCHAR NOT NULL,
    LAST_UPDATED        TIMESTAMP_NTZ NOT NULL,

    -- position in the list
    ORDINAL             NUMBER(4,0),

    -- lineage
    BATCH_ID            VARCHAR NOT NULL,
    SOURCE_FILE         VARCHAR,
    LOADED_AT           TIMESTAMP_NTZ DEFAULT SYSDATE(),

    -- load metadata (METADATA$FILENAME, METADATA$FILE_ROW_NUMBER, set by the pipe's COPY):
    -- with BATCH_ID, the arrival order the merges break ties with
    STAGED_FILE             VARCHAR NOT NULL,
    STAGED_FILE_ROW_NUMBER  NUMBER(38, 0) NOT NULL
)
