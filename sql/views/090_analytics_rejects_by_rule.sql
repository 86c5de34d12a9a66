-- Rows the Glue job refused, counted per batch, entity and rule, with one example
-- reason: the data-quality side of the pipeline's health, readable by the analyst
-- role (the rows themselves, with their original records, stay in OPS.REJECTED_ROWS).
CREATE OR REPLACE VIEW ANALYTICS.REJECTS_BY_RULE AS
WITH source AS (
    SELECT * FROM OPS.REJECTED_ROWS
),

final AS (
    SELECT
        -- grouping
        BATCH_ID,
        ENTITY,
        RULE,

        -- measures
        COUNT(*) AS ROWS_REJECTED,
        MIN(REASON) AS EXAMPLE_REASON,
        MIN(LOADED_AT) AS FIRST_LOADED_AT
    FROM source
    GROUP BY BATCH_ID, ENTITY, RULE
)

SELECT * FROM final
