-- Snowpipe for cleansed movies: auto-ingests every CSV the Glue job writes under
-- archive/movies/. Locally the emulator runs this same COPY on each new file.
-- The COPY is a transformation, for three reasons:
--   * every row keeps where it came from (METADATA$FILENAME, METADATA$FILE_ROW_NUMBER):
--     with BATCH_ID that is the arrival order the merges break ties with; ROW_ID
--     (AUTOINCREMENT, NOORDER on Snowflake) is unique but is no order;
--   * EXTRA is parsed: a CSV field loaded into a VARIANT is a JSON string otherwise,
--     and EXTRA:Ratings[0]:Value would be NULL;
--   * the columns are mapped by position ($n = the n-th field of the contract's header).
-- ON_ERROR = SKIP_FILE, stated on purpose (it is Snowpipe's default, and the one its
-- error notifications need): the Glue job writes well-formed files and quarantines bad
-- rows itself, so a file Snowflake still refuses is a defect; it loads nothing rather
-- than part of the batch, and is named with Snowflake's first error (COPY_HISTORY, the
-- pipe's error notification, OPS.LOAD_FAILURES, the load stage's error). Snowpipe does
-- not load the same file again: fix the cause, then re-stage it (docs/deploy.md).
CREATE PIPE IF NOT EXISTS RAW.MOVIES_PIPE
    AUTO_INGEST = TRUE
AS
COPY INTO RAW.MOVIES (
    IMDB_ID, SOURCE_ID, TITLE, TYPE, YEAR, YEAR_END, RATED, RELEASED, RELEASED_PRECISION,
    RUNTIME_MINUTES, GENRES, DIRECTOR, WRITER, ACTORS, LANGUAGE, COUNTRY, PRODUCTION, PLOT, POSTER,
    AWARDS, WEBSITE, OSCARS, DVD, DECADE, RUNTIME_BAND, PRIMARY_GENRE, METASCORE, IMDB_RATING,
    IMDB_VOTES, TOMATO_METER, TOMATO_RATING, TOMATO_REVIEWS, TOMATO_FRESH, TOMATO_ROTTEN,
    TOMATO_USER_METER, TOMATO_USER_RATING, TOMATO_USER_REVIEWS, BOX_OFFICE, LAST_UPDATED,
    CHANGE_HASH, TYPE1_HASH, EXTRA, BATCH_ID, SOURCE_FILE,
    STAGED_FILE, STAGED_FILE_ROW_NUMBER
)
FROM (
    SELECT
        $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
        $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38,
        $39, $40, $41, PARSE_JSON($42), $43, $44,
        METADATA$FILENAME, METADATA$FILE_ROW_NUMBER
    FROM @RAW.ARCHIVE_STAGE/movies/
)
FILE_FORMAT = (FORMAT_NAME = 'RAW.CSV_ARCHIVE')
ON_ERROR = SKIP_FILE
