"""Snowflake: SQL files, the warehouse client, and the local emulation of pipes, streams and tasks."""

#: The pipe that loads valid movie records: its rows are the "loaded" side of a batch's reconciliation.
MOVIES_PIPE = "RAW.MOVIES_PIPE"
#: The pipe that loads the rows the transform rejected: the "rejected" side.
REJECTED_PIPE = "OPS.REJECTED_ROWS_PIPE"
#: The streams the DIM_MOVIE merge consumes (movie records and source deletes).
DIM_MOVIE_STREAMS = ("RAW.MOVIES_STREAM", "RAW.MOVIE_DELETES_STREAM")
#: Columns every pipe's COPY adds to its contract columns, and the metadata each one loads: with
#: BATCH_ID they are the arrival order the merges use (ROW_ID is NOORDER on Snowflake: no order).
LOAD_METADATA_COLUMNS = {"STAGED_FILE": "METADATA$FILENAME", "STAGED_FILE_ROW_NUMBER": "METADATA$FILE_ROW_NUMBER"}
