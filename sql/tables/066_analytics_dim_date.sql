-- Date dimension, generated once: every day from 1870-01-01 to 2035-12-31
-- (60,630 days; release dates and snapshot dates fall inside). ROW_NUMBER over
-- GENERATOR is gap-free (SEQ4 alone may skip numbers). Grain: DATE_DAY.
CREATE TABLE IF NOT EXISTS ANALYTICS.DIM_DATE AS
WITH source AS (
    SELECT ROW_NUMBER() OVER (ORDER BY SEQ4()) - 1 AS DAY_NUMBER
    FROM TABLE(GENERATOR(ROWCOUNT => 60630))
),

days AS (
    SELECT DATEADD(DAY, DAY_NUMBER, TO_DATE('1870-01-01')) AS DATE_DAY
    FROM source
),

final AS (
    SELECT
        -- keys
        YEAR(DATE_DAY) * 10000 + MONTH(DATE_DAY) * 100 + DAY(DATE_DAY) AS DATE_KEY,
        DATE_DAY,

        -- calendar
        YEAR(DATE_DAY) AS YEAR,
        FLOOR(YEAR(DATE_DAY) / 10) * 10 AS DECADE,
        QUARTER(DATE_DAY) AS QUARTER,
        MONTH(DATE_DAY) AS MONTH,
        MONTHNAME(DATE_DAY) AS MONTH_NAME,
        DAY(DATE_DAY) AS DAY_OF_MONTH,
        DAYOFWEEKISO(DATE_DAY) AS DAY_OF_WEEK_ISO,
        DAYNAME(DATE_DAY) AS DAY_NAME,
        DAYOFWEEKISO(DATE_DAY) >= 6 AS IS_WEEKEND
    FROM days
    WHERE DATE_DAY <= TO_DATE('2035-12-31')
)

SELECT * FROM final
