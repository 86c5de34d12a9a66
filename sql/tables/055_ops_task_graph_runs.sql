-- One row per run of the merge task graph, written by its finalizer task
-- (sql/tasks/100_record_merge_outcome.sql), which runs after the graph's other tasks
-- whether they succeeded or not: the ledger of what the graph did, failures included.
-- A retried graph keeps its run group id, so a retry updates its row.
CREATE TABLE IF NOT EXISTS OPS.TASK_GRAPH_RUNS (
    -- the graph run
    GRAPH_RUN_GROUP_ID  VARCHAR NOT NULL,
    ROOT_TASK           VARCHAR NOT NULL,
    STATE               VARCHAR NOT NULL,
    ATTEMPTS            NUMBER(4, 0),

    -- its tasks (each task's last attempt)
    TASKS_SUCCEEDED     NUMBER(4, 0),
    TASKS_FAILED        NUMBER(4, 0),
    TASKS_SKIPPED       NUMBER(4, 0),
    FAILED_TASKS        VARCHAR,
    FIRST_ERROR         VARCHAR,

    -- when (UTC)
    GRAPH_SCHEDULED_AT  TIMESTAMP_NTZ,
    GRAPH_COMPLETED_AT  TIMESTAMP_NTZ,
    RECORDED_AT         TIMESTAMP_NTZ DEFAULT SYSDATE()
)
