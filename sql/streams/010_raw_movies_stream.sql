-- Append-only stream: each newly loaded raw movie row, handed once to the merge.
CREATE STREAM IF NOT EXISTS RAW.MOVIES_STREAM
    ON TABLE RAW.MOVIES
    APPEND_ONLY = TRUE
