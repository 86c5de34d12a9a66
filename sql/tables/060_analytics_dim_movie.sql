-- Movie dimension, SCD type 2 on the contract's TYPE2_ATTRIBUTES, type 1 on its
-- TYPE1_ATTRIBUTES. One row per version; VALID_FROM is the source's LAST_UPDATED
-- (event time), so late batches slot into history instead of overwriting it.
-- Versions of a movie are contiguous (VALID_TO = the next VALID_FROM); the current
-- one has VALID_TO = 9999-12-31 and IS_CURRENT. A source delete adds a current
-- tombstone version (IS_DELETED) carrying the attributes of the record before it.
-- Grain: IMDB_ID x VALID_FROM. Keys are documented, not declared (Snowflake does
-- not enforce them; fakesnow would).
CREATE TABLE IF NOT EXISTS ANALYTICS.DIM_MOVIE (
    -- keys
    MOVIE_KEY           NUMBER(38, 0) AUTOINCREMENT,
    IMDB_ID             VARCHAR NOT NULL,
    SOURCE_ID           VARCHAR,

    -- type-2 attributes
    TITLE               VARCHAR,
    TYPE                VARCHAR,
    YEAR                NUMBER(4, 0),
    YEAR_END            NUMBER(4, 0),
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
    PRODUCTION          VARCHAR,

    -- derived from the type-2 attributes (versioned with them)
    DECADE              NUMBER(4, 0),
    RUNTIME_BAND        VARCHAR,
    PRIMARY_GENRE       VARCHAR,

    -- type-1 attributes (the same on every version of a movie)
    PLOT                VARCHAR,
    POSTER              VARCHAR,
    AWARDS              VARCHAR,
    WEBSITE             VARCHAR,
    OSCARS              NUMBER(4, 0),
    DVD                 DATE,

    -- change detection
    CHANGE_HASH         VARCHAR(64),
    TYPE1_HASH          VARCHAR(64),
    TYPE1_UPDATED_AT    TIMESTAMP_NTZ,

    -- versioning
    VALID_FROM          TIMESTAMP_NTZ NOT NULL,
    VALID_TO            TIMESTAMP_NTZ NOT NULL,
    IS_CURRENT          BOOLEAN NOT NULL,
    IS_DELETED          BOOLEAN NOT NULL,

    -- lineage: the batch whose record (or delete) made this version
    BATCH_ID            VARCHAR NOT NULL,
    UPDATED_AT          TIMESTAMP_NTZ DEFAULT SYSDATE()
)
