-- The star schema and the views BI tools read.
CREATE SCHEMA IF NOT EXISTS ANALYTICS
