-- The CSV dialect the Glue job writes into the archive bucket: header line,
-- double-quote quoting with "" as the escape, \N as the explicit NULL marker, UTF-8.
CREATE OR REPLACE FILE FORMAT RAW.CSV_ARCHIVE
    TYPE = CSV
    SKIP_HEADER = 1
    FIELD_DELIMITER = ','
    FIELD_OPTIONALLY_ENCLOSED_BY = '"'
    NULL_IF = ('\\N')
    EMPTY_FIELD_AS_NULL = FALSE
