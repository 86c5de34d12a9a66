-- One row per movie x rating source with a score (archive entity "movie_ratings"):
-- SCORE is on a 0-100 scale for every source, RAW_VALUE is the source's own text.
CREATE TABLE IF NOT EXISTS RAW.MOVIE_RATINGS (
    -- identity only: unique, not ordered (NOORDER, Snowflake's default since 2024_01);
    -- the local stream emulation keeps its offsets on it (see moviepipe/warehouse/emulator.py)
    ROW_ID              NUMBER(38, 0) AUTOINCREMENT NOORDER,

    -- grain
    IMDB_ID             VARCHAR NOT NULL,
    RATING_SOURCE       VARCHAR NOT NULL,
    LAST_UPDATED        TIMESTAMP_NTZ NOT NULL,

    -- measures
    SCORE               NUMBER(5,1),
    RAW_VALUE           VARCHAR,
    VOTES               NUMBER(12,0),

    -- lineage
    BATCH_ID            VARCHAR NOT NULL,
    SOURCE_FILE         VARCHAR,
    LOADED_AT           TIMESTAMP_NTZ DEFAULT SYSDATE(),

    -- load metadata (METADATA$FILENAME, METADATA$FILE_ROW_NUMBER, set by the pipe's COPY):
    -- with BATCH_ID, the arrival order the merges break ties with
    STAGED_FILE             VARCHAR NOT NULL,
    STAGED_FILE_ROW_NUMBER  NUMBER(38, 0) NOT NULL
)
