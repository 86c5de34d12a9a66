-- External stage over the archive bucket. Locally the URL is a file:// folder;
-- in the cloud it is s3://<archive bucket>/ and {{ stage_options }} names the
-- storage integration.
CREATE OR REPLACE STAGE RAW.ARCHIVE_STAGE
    URL = '{{ archive_url }}'
    {{ stage_options }}
