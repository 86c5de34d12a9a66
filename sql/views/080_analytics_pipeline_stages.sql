-- The batch ledger for dashboards: one row per batch x stage with its state, rows
-- and duration, stages numbered in pipeline order (moviepipe.ledger.STAGES), the
-- batch's source on every row (the ledger records it on the first stages), and the
-- error of a failed stage. A view, so the read-only analyst role (views only)
-- can show the pipeline's health without any privilege on the OPS tables.
CREATE OR REPLACE VIEW ANALYTICS.PIPELINE_STAGES AS
WITH source AS (
    SELECT * FROM OPS.BATCH_LEDGER
),

ordered AS (
    SELECT
        source.*,
        CASE STAGE
            WHEN 'extract' THEN 1
            WHEN 'package' THEN 2
            WHEN 'land' THEN 3
            WHEN 'unzip' THEN 4
            WHEN 'transform' THEN 5
            WHEN 'load' THEN 6
            WHEN 'merge' THEN 7
            WHEN 'reconcile' THEN 8
            ELSE 99
        END AS STAGE_ORDER,
        MIN(STARTED_AT) OVER (PARTITION BY BATCH_ID) AS BATCH_STARTED_AT,
        MAX(SOURCE) OVER (PARTITION BY BATCH_ID) AS BATCH_SOURCE
    FROM source
),

final AS (
    SELECT
        -- keys
        BATCH_ID,
        STAGE,
        STAGE_ORDER,

        -- batch
        BATCH_SOURCE AS SOURCE,
        BATCH_STARTED_AT,

        -- outcome
        STATE,
        ROWS_IN,
        ROWS_OUT,
        ROWS_REJECTED,
        IFF(STATE = 'failed', DETAIL, NULL) AS ERROR,

        -- timing
        STARTED_AT,
        ENDED_AT,
        DATEDIFF('millisecond', STARTED_AT, ENDED_AT) / 1000 AS SECONDS
    FROM ordered
)

SELECT * FROM final
