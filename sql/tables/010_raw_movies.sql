-- One row per cleansed movie record as archived by the Glue job, append-only.
-- ROW_ID orders arrivals (the local stream emulation keeps its offset on it).
CREATE TABLE IF NOT EXISTS RAW.MOVIES (
    ROW_ID              NUMBER AUTOINCREMENT,

    -- identity
    IMDB_ID             VARCHAR NOT NULL,
    SOURCE_ID           VARCHAR,

    -- descriptive attributes
    TITLE               VARCHAR,
    YEAR                NUMBER(4, 0),
    RATED               VARCHAR,
    RELEASED            DATE,
    RELEASED_PRECISION  VARCHAR,
    RUNTIME_MINUTES     NUMBER(6, 0),
    GENRES              VARCHAR,
    DIRECTOR            VARCHAR,
    WRITER              VARCHAR,
    ACTORS              VARCHAR,
    LANGUAGE            VARCHAR,
    COUNTRY             VARCHAR,
    AWARDS              VARCHAR,
    PRODUCTION          VARCHAR,
    WEBSITE             VARCHAR,
    OSCARS              NUMBER(4, 0),

    -- scores and money
    METASCORE           NUMBER(3, 0),
    IMDB_RATING         NUMBER(4, 1),
    IMDB_VOTES          NUMBER(12, 0),
    TOMATO_METER        NUMBER(3, 0),
    TOMATO_RATING       NUMBER(4, 1),
    TOMATO_REVIEWS      NUMBER(9, 0),
    TOMATO_USER_METER   NUMBER(3, 0),
    TOMATO_USER_RATING  NUMBER(4, 1),
    BOX_OFFICE          NUMBER(16, 2),

    -- change tracking
    LAST_UPDATED        TIMESTAMP_NTZ,
    CHANGE_HASH         VARCHAR(64),

    -- lineage
    BATCH_ID            VARCHAR NOT NULL,
    SOURCE_FILE         VARCHAR,
    LOADED_AT           TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP()
)
