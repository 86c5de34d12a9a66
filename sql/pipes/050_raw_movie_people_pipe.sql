-- Snowpipe for each movie's directors, writers and cast under archive/movie_people/.
-- Same COPY shape and ON_ERROR policy as 010_raw_movies_pipe.sql (why: see there).
CREATE PIPE IF NOT EXISTS RAW.MOVIE_PEOPLE_PIPE
    AUTO_INGEST = TRUE
AS
COPY INTO RAW.MOVIE_PEOPLE (
    IMDB_ID, ROLE, PERSON_NAME, ORDINAL, LAST_UPDATED, BATCH_ID, SOURCE_FILE,
    STAGED_FILE, STAGED_FILE_ROW_NUMBER
)
FROM (
    SELECT
        $1, $2, $3, $4, $5, $6, $7,
        METADATA$FILENAME, METADATA$FILE_ROW_NUMBER
    FROM @RAW.ARCHIVE_STAGE/movie_people/
)
FILE_FORMAT = (FORMAT_NAME = 'RAW.CSV_ARCHIVE')
ON_ERROR = SKIP_FILE
