-- One row per movie x role x person, ORDINAL from 1 within the role (archive entity
-- "movie_people"). All rows of one movie record share its LAST_UPDATED.
CREATE TABLE IF NOT EXISTS RAW.MOVIE_PEOPLE (
    -- identity only: unique, not ordered (NOORDER, Snowflake's default since 2024_01);
    -- the local stream emulation keeps its offsets on it (see moviepipe/warehouse/emulator.py)
    ROW_ID              NUMBER(38, 0) AUTOINCREMENT NOORDER,

    -- grain
    IMDB_ID             VARCHAR NOT NULL,
    ROLE                VARCHAR NOT NULL,
    PERSON_NAME         VARCHAR NOT NULL,
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
