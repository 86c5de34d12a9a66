-- New raw movie records for the FACT_BOX_OFFICE merge: a second stream on RAW.MOVIES,
-- because a stream's offset advances when any DML consumes it.
CREATE STREAM IF NOT EXISTS RAW.MOVIES_BOX_OFFICE_STREAM
    ON TABLE RAW.MOVIES
    APPEND_ONLY = TRUE
