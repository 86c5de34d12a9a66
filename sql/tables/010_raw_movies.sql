-- One row per cleansed movie record as the Glue job archived it (archive entity
-- "movies"), append-only. Columns and types follow moviepipe/contract/archive.py.
CREATE TABLE IF NOT EXISTS RAW.MOVIES (
    -- identity only: unique, not ordered (NOORDER, Snowflake's default since 2024_01);
    -- the local stream emulation keeps its offsets on it (see moviepipe/warehouse/emulator.py)
    ROW_ID              NUMBER(38, 0) AUTOINCREMENT NOORDER,

    -- identity
    IMDB_ID             VARCHAR NOT NULL,
    SOURCE_ID           VARCHAR,

    -- type-2 attributes (a change makes a new DIM_MOVIE version)
    TITLE               VARCHAR,
    TYPE                VARCHAR,
    YEAR                NUMBER(4,0),
    YEAR_END            NUMBER(4,0),
    RATED               VARCHAR,
    RELEASED            DATE,
    RELEASED_PRECISION  VARCHAR,
    RUNTIME_MINUTES     NUMBER(6,0),
    GENRES              VARCHAR,
    DIRECTOR            VARCHAR,
    WRITER              VARCHAR,
    ACTORS              VARCHAR,
    LANGUAGE            VARCHAR,
    COUNTRY             VARCHAR,
    PRODUCTION          VARCHAR,

    -- type-1 attributes (a change overwrites every version)
    PLOT                VARCHAR,
    POSTER              VARCHAR,
    AWARDS              VARCHAR,
    WEBSITE             VARCHAR,
    OSCARS              NUMBER(4,0),
    DVD                 DATE,

    -- derived from type-2 attributes by the transform
    DECADE              NUMBER(4,0),
    RUNTIME_BAND        VARCHAR,
    PRIMARY_GENRE       VARCHAR,

    -- measures (snapshots for the fact tables)
    METASCORE           NUMBER(3,0),
    IMDB_RATING         NUMBER(4,1),
    IMDB_VOTES          NUMBER(12,0),
    TOMATO_METER        NUMBER(3,0),
    TOMATO_RATING       NUMBER(4,1),
    TOMATO_REVIEWS      NUMBER(9,0),
    TOMATO_FRESH        NUMBER(9,0),
    TOMATO_ROTTEN       NUMBER(9,0),
    TOMATO_USER_METER   NUMBER(3,0),
    TOMATO_USER_RATING  NUMBER(4,1),
    TOMATO_USER_REVIEWS NUMBER(12,0),
    BOX_OFFICE          NUMBER(16,2),

    -- change tracking
    LAST_UPDATED        TIMESTAMP_NTZ NOT NULL,
    CHANGE_HASH         VARCHAR(64),
    TYPE1_HASH          VARCHAR(64),

    -- source extras and drifted columns (JSON object)
    EXTRA               VARIANT,

    -- lineage
    BATCH_ID            VARCHAR NOT NULL,
    SOURCE_FILE         VARCHAR,
    LOADED_AT           TIMESTAMP_NTZ DEFAULT SYSDATE(),

    -- load metadata (METADATA$FILENAME, METADATA$FILE_ROW_NUMBER, set by the pipe's COPY):
    -- with BATCH_ID, the arrival order the merges break ties with
    STAGED_FILE             VARCHAR NOT NULL,
    STAGED_FILE_ROW_NUMBER  NUMBER(38, 0) NOT NULL
)
