"""Snowflake: SQL files, the warehouse client, and the local emulation of pipes, streams and tasks."""

#: The pipe that loads valid movie records: its rows are the "loaded" side of a batch's reconciliation.
MOVIES_PIPE = "RAW.MOVIES_PIPE"
#: The pipe that loads the rows the transform rejected: the "rejected" side.
REJECTED_PIPE = "OPS.REJECTED_ROWS_PIPE"
#: The streams the DIM_MOVIE merge consumes (movie records and source deletes).
DIM_MOVIE_STREAMS = ("RAW.MOVIES_STREAM", "RAW.MOVIE_DELETES_STREAM")
