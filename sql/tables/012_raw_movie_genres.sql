-- One row per movie x genre, ORDINAL from 1 in source order (archive entity "movie_genres").
-- All rows of one movie record share its LAST_UPDATED: together they are the genre list.
CREATE TABLE IF NOT EXISTS RAW.MOVIE_GENRES (
    -- arrival order: the local stream emulation keeps its offsets on it
    ROW_ID              NUMBER(38, 0) AUTOINCREMENT,

    -- grain
    IMDB_ID             VARCHAR NOT NULL,
    GENRE               VARCHAR NOT NULL,
    LAST_UPDATED        TIMESTAMP_NTZ NOT NULL,

    -- position in the list
    ORDINAL             NUMBER(4,0),

    -- lineage
    BATCH_ID            VARCHAR NOT NULL,
    SOURCE_FILE         VARCHAR,
    LOADED_AT           TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP()
)
