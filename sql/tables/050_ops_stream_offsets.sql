-- Local emulation of Snowflake streams: the last raw ROW_ID each stream has
-- handed to its consumer. Unused in Snowflake, where streams keep their own offsets.
CREATE TABLE IF NOT EXISTS OPS.STREAM_OFFSETS (
    STREAM_NAME     VARCHAR NOT NULL,
    LAST_ROW_ID     NUMBER(38, 0) NOT NULL,
    UPDATED_AT      TIMESTAMP_NTZ DEFAULT SYSDATE()
)
