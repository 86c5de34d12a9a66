-- The CSV dialect the Glue job writes into the archive bucket: header line, fields
-- enclosed in double quotes when needed with "" for a quote inside them, \N as the
-- explicit NULL marker, UTF-8. Every option the load depends on is stated, not left
-- to a default:
--   ESCAPE_UNENCLOSED_FIELD = NONE: Snowflake's default (a backslash) would turn the
--     backslash in an unquoted title such as AC\DC into an escape; the writer never
--     escapes with a backslash, so a backslash is always just a character;
--   ESCAPE = NONE: inside quotes the only escape is the doubled quote;
--   ERROR_ON_COLUMN_COUNT_MISMATCH = TRUE: a record with a field too many or too few
--     is an error (its file is skipped and named, see the pipes), never a shifted row.
CREATE OR REPLACE FILE FORMAT RAW.CSV_ARCHIVE
    TYPE = CSV
    SKIP_HEADER = 1
    FIELD_DELIMITER = ','
    FIELD_OPTIONALLY_ENCLOSED_BY = '"'
    ESCAPE_UNENCLOSED_FIELD = NONE
    ESCAPE = NONE
    NULL_IF = ('\\N')
    EMPTY_FIELD_AS_NULL = FALSE
    ERROR_ON_COLUMN_COUNT_MISMATCH = TRUE
