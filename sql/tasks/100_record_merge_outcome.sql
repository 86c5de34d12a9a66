-- Finalizer of the merge graph: runs once the graph's other tasks are done, also when
-- one of them failed (a failed task stops its descendants, never the finalizer), and
-- records the outcome of this graph run in OPS.TASK_GRAPH_RUNS from TASK_HISTORY:
-- succeeded or failed, which tasks failed and the first error. A retried graph run
-- (TASK_AUTO_RETRY_ATTEMPTS on the root) keeps its run group id: its row is updated.
CREATE OR REPLACE TASK ANALYTICS.RECORD_MERGE_OUTCOME
    WAREHOUSE = {{ warehouse }}
    FINALIZE = ANALYTICS.MERGE_DIM_MOVIE
AS
MERGE INTO OPS.TASK_GRAPH_RUNS AS target
USING (
    WITH source AS (
        SELECT
            NAME,
            STATE,
            ERROR_MESSAGE,
            ATTEMPT_NUMBER,
            SCHEDULED_TIME,
            COMPLETED_TIME
        FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(
            SCHEDULED_TIME_RANGE_START => DATEADD(DAY, -1, CURRENT_TIMESTAMP()),
            RESULT_LIMIT => 10000
        ))
        WHERE GRAPH_RUN_GROUP_ID = SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_RUN_GROUP_ID')
          AND NAME <> 'RECORD_MERGE_OUTCOME'
    ),

    last_attempts AS (
        -- each task's last attempt in this graph run is its outcome
        SELECT
            source.*,
            STATE IN ('FAILED', 'CANCELLED', 'FAILED_AND_AUTO_SUSPENDED') AS IS_FAILED
        FROM source
        QUALIFY ROW_NUMBER() OVER (PARTITION BY NAME ORDER BY ATTEMPT_NUMBER DESC, SCHEDULED_TIME DESC) = 1
    ),

    final AS (
        SELECT
            -- the graph run
            SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_RUN_GROUP_ID') AS GRAPH_RUN_GROUP_ID,
            SYSTEM$TASK_RUNTIME_INFO('CURRENT_ROOT_TASK_NAME') AS ROOT_TASK,
            IFF(COUNT_IF(IS_FAILED) > 0, 'FAILED', 'SUCCEEDED') AS STATE,
            MAX(ATTEMPT_NUMBER) AS ATTEMPTS,

            -- its tasks
            COUNT_IF(STATE = 'SUCCEEDED') AS TASKS_SUCCEEDED,
            COUNT_IF(IS_FAILED) AS TASKS_FAILED,
            COUNT_IF(STATE = 'SKIPPED') AS TASKS_SKIPPED,
            LISTAGG(IFF(IS_FAILED, NAME, NULL), ', ') AS FAILED_TASKS,
            MIN_BY(NAME || ': ' || ERROR_MESSAGE, IFF(IS_FAILED, COMPLETED_TIME, NULL)) AS FIRST_ERROR,

            -- when (UTC)
            CONVERT_TIMEZONE('UTC', MIN(SCHEDULED_TIME))::TIMESTAMP_NTZ AS GRAPH_SCHEDULED_AT,
            CONVERT_TIMEZONE('UTC', MAX(COMPLETED_TIME))::TIMESTAMP_NTZ AS GRAPH_COMPLETED_AT
        FROM last_attempts
    )

    SELECT * FROM final
) AS outcome
ON target.GRAPH_RUN_GROUP_ID = outcome.GRAPH_RUN_GROUP_ID
WHEN MATCHED THEN UPDATE SET
    STATE = outcome.STATE,
    ATTEMPTS = outcome.ATTEMPTS,
    TASKS_SUCCEEDED = outcome.TASKS_SUCCEEDED,
    TASKS_FAILED = outcome.TASKS_FAILED,
    TASKS_SKIPPED = outcome.TASKS_SKIPPED,
    FAILED_TASKS = outcome.FAILED_TASKS,
    FIRST_ERROR = outcome.FIRST_ERROR,
    GRAPH_COMPLETED_AT = outcome.GRAPH_COMPLETED_AT,
    RECORDED_AT = CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())::TIMESTAMP_NTZ
WHEN NOT MATCHED THEN INSERT (
    GRAPH_RUN_GROUP_ID, ROOT_TASK, STATE, ATTEMPTS,
    TASKS_SUCCEEDED, TASKS_FAILED, TASKS_SKIPPED, FAILED_TASKS, FIRST_ERROR,
    GRAPH_SCHEDULED_AT, GRAPH_COMPLETED_AT
) VALUES (
    outcome.GRAPH_RUN_GROUP_ID, outcome.ROOT_TASK, outcome.STATE, outcome.ATTEMPTS,
    outcome.TASKS_SUCCEEDED, outcome.TASKS_FAILED, outcome.TASKS_SKIPPED, outcome.FAILED_TASKS, outcome.FIRST_ERROR,
    outcome.GRAPH_SCHEDULED_AT, outcome.GRAPH_COMPLETED_AT
)
