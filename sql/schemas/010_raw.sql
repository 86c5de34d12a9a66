-- Landing zone for Snowpipe: rows exactly as the Glue job archived them.
CREATE SCHEMA IF NOT EXISTS RAW
