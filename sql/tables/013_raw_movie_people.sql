-- One row per movie x role x person, ORDINAL from 1 within the role (archive entity
-- "movie_people"). All rows of one movie record share its LAST_UPDATED.
CREATE TABLE IF NOT EXISTS RAW.MOVIE_PEOPLE (
    -- arrival order: the local stream emulation keeps its offsets on it
    ROW_ID              NUMBER(38, 0) AUTOINCREMENT,

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
    LOADED_AT           TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP()
)
