-- Movie dimension, SCD type 2: one version per change of the business columns.
-- VALID_FROM is the source's lastUpdated (event time), so late batches slot in
-- by time instead of overwriting newer history. The current version has
-- VALID_TO = 9999-12-31 and IS_CURRENT = TRUE.
CREATE TABLE IF NOT EXISTS ANALYTICS.DIM_MOVIE (
    MOVIE_KEY           NUMBER AUTOINCREMENT,

    -- natural key
    IMDB_ID             VARCHAR NOT NULL,

    -- type-2 attributes
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
    METASCORE           NUMBER(3, 0),
    IMDB_RATING         NUMBER(4, 1),
    IMDB_VOTES          NUMBER(12, 0),
    TOMATO_METER        NUMBER(3, 0),
    TOMATO_RATING       NUMBER(4, 1),
    TOMATO_REVIEWS      NUMBER(9, 0),
    TOMATO_USER_METER   NUMBER(3, 0),
    TOMATO_USER_RATING  NUMBER(4, 1),
    BOX_OFFICE          NUMBER(16, 2),

    -- versioning
    CHANGE_HASH         VARCHAR(64) NOT NULL,
    VALID_FROM          TIMESTAMP_NTZ NOT NULL,
    VALID_TO            TIMESTAMP_NTZ NOT NULL,
    IS_CURRENT          BOOLEAN NOT NULL,
    IS_DELETED          BOOLEAN NOT NULL,

    -- lineage
    BATCH_ID            VARCHAR NOT NULL,
    UPDATED_AT          TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP()
)
