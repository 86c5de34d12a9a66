-- Every answer that gave one of a source's ids no record (the OMDb source: "Movie not
-- found!", "Incorrect IMDb ID.", "Error getting data.", bodies that never parsed), once
-- each: SOURCE x IMDB_ID x CHECKED_AT. A miss answered again later gets a row of its own;
-- an id found after a miss gets a row with STATUS 'found'. The current misses are the
-- latest row per SOURCE and IMDB_ID when it is not 'found' (moviepipe status lists them).
-- Written by the run that planned the batch, append-only (the loader's INSERT suffices).
CREATE TABLE IF NOT EXISTS OPS.SOURCE_MISSES (
    -- which id of which source
    SOURCE          VARCHAR NOT NULL,
    IMDB_ID         VARCHAR NOT NULL,

    -- the answer: not_found | unavailable (permanent misses) | failed (asked next run) | found
    STATUS          VARCHAR NOT NULL,
    REASON          VARCHAR,
    CHECKED_AT      TIMESTAMP_NTZ NOT NULL,
    -- when a permanent miss is asked again by itself (NULL: failed ones are asked next run)
    RETRY_AFTER     TIMESTAMP_NTZ,

    -- lineage: the batch of the run that recorded it (NULL when that run made none)
    BATCH_ID        VARCHAR,
    RECORDED_AT     TIMESTAMP_NTZ DEFAULT SYSDATE()
)
