-- Movie x genre bridge: each movie's latest genre list (from its newest record).
-- Joins DIM_MOVIE on IMDB_ID (the durable key), so it serves every version.
-- Grain: IMDB_ID x GENRE_KEY.
CREATE TABLE IF NOT EXISTS ANALYTICS.BRIDGE_MOVIE_GENRE (
    -- keys
    IMDB_ID             VARCHAR NOT NULL,
    GENRE_KEY           NUMBER(38, 0) NOT NULL,

    -- attributes
    ORDINAL             NUMBER(4, 0),

    -- lineage: the LAST_UPDATED of the list this row belongs to
    LIST_UPDATED_AT     TIMESTAMP_NTZ NOT NULL,
    BATCH_ID            VARCHAR NOT NULL,
    UPDATED_AT          TIMESTAMP_NTZ DEFAULT SYSDATE()
)
