-- New raw movie records for the DIM_MOVIE merge (its only consumer).
CREATE STREAM IF NOT EXISTS RAW.MOVIES_STREAM
    ON TABLE RAW.MOVIES
    APPEND_ONLY = TRUE
