-- Movie x role x person bridge: each movie's latest directors, writers and cast.
-- Joins DIM_MOVIE on IMDB_ID. Grain: IMDB_ID x ROLE x PERSON_KEY.
CREATE TABLE IF NOT EXISTS ANALYTICS.BRIDGE_MOVIE_PERSON (
    -- keys
    IMDB_ID             VARCHAR NOT NULL,
    ROLE                VARCHAR NOT NULL,
    PERSON_KEY          NUMBER(38, 0) NOT NULL,

    -- attributes
    ORDINAL             NUMBER(4, 0),

    -- lineage: the LAST_UPDATED of the list this row belongs to
    LIST_UPDATED_AT     TIMESTAMP_NTZ NOT NULL,
    BATCH_ID            VARCHAR NOT NULL,
    UPDATED_AT          TIMESTAMP_NTZ DEFAULT SYSDATE()
)
