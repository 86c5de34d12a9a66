-- Snowpipe for the keys the source deleted, under archive/movie_deletes/.
-- Same COPY shape and ON_ERROR policy as 010_raw_movies_pipe.sql (why: see there).
CREATE PIPE IF NOT EXISTS RAW.MOVIE_DELETES_PIPE
    AUTO_INGEST = TRUE
AS
COPY INTO RAW.MOVIE_DELETES (
    IMDB_ID, SOURCE_ID, DELETED_AT, BATCH_ID, SOURCE_FILE,
    STAGED_FILE, STAGED_FILE_ROW_NUMBER
)
FROM (
    SELECT
        $1, $2, $3, $4, $5,
        METADATA$FILENAME, METADATA$FILE_ROW_NUMBER
    FROM @RAW.ARCHIVE_STAGE/movie_deletes/
)
FILE_FORMAT = (FORMAT_NAME = 'RAW.CSV_ARCHIVE')
ON_ERROR = SKIP_FILE
