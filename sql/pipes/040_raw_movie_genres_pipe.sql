-- Snowpipe for each movie's genre list under archive/movie_genres/.
-- Same COPY shape and ON_ERROR policy as 010_raw_movies_pipe.sql (why: see there).
CREATE PIPE IF NOT EXISTS RAW.MOVIE_GENRES_PIPE
    AUTO_INGEST = TRUE
AS
COPY INTO RAW.MOVIE_GENRES (
    IMDB_ID, GENRE, ORDINAL, LAST_UPDATED, BATCH_ID, SOURCE_FILE,
    STAGED_FILE, STAGED_FILE_ROW_NUMBER
)
FROM (
    SELECT
        $1, $2, $3, $4, $5, $6,
        METADATA$FILENAME, METADATA$FILE_ROW_NUMBER
    FROM @RAW.ARCHIVE_STAGE/movie_genres/
)
FILE_FORMAT = (FORMAT_NAME = 'RAW.CSV_ARCHIVE')
ON_ERROR = SKIP_FILE
