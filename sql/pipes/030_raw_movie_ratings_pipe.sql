-- Snowpipe for the long-format ratings (one row per movie x source) under archive/movie_ratings/.
-- Same COPY shape and ON_ERROR policy as 010_raw_movies_pipe.sql (why: see there).
CREATE PIPE IF NOT EXISTS RAW.MOVIE_RATINGS_PIPE
    AUTO_INGEST = TRUE
AS
COPY INTO RAW.MOVIE_RATINGS (
    IMDB_ID, RATING_SOURCE, SCORE, RAW_VALUE, VOTES, LAST_UPDATED, BATCH_ID, SOURCE_FILE,
    STAGED_FILE, STAGED_FILE_ROW_NUMBER
)
FROM (
    SELECT
        $1, $2, $3, $4, $5, $6, $7, $8,
        METADATA$FILENAME, METADATA$FILE_ROW_NUMBER
    FROM @RAW.ARCHIVE_STAGE/movie_ratings/
)
FILE_FORMAT = (FORMAT_NAME = 'RAW.CSV_ARCHIVE')
ON_ERROR = SKIP_FILE
