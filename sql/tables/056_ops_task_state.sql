-- Local emulation of Snowflake's task state: consecutive failed runs of a task graph's
-- root and whether SUSPEND_TASK_AFTER_NUM_FAILURES suspended it. Unused in Snowflake,
-- which keeps this itself (SHOW TASKS state, TASK_HISTORY FAILED_AND_AUTO_SUSPENDED).
CREATE TABLE IF NOT EXISTS OPS.TASK_STATE (
    TASK_NAME               VARCHAR NOT NULL,
    STATE                   VARCHAR NOT NULL,
    CONSECUTIVE_FAILURES    NUMBER(4, 0) NOT NULL,
    UPDATED_AT              TIMESTAMP_NTZ DEFAULT SYSDATE()
)
