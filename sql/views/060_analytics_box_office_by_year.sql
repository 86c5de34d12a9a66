-- Box office by release year, over current movies with a known amount (latest
-- snapshot per movie): how many, total, average, median, and the top earner.
CREATE OR REPLACE VIEW ANALYTICS.BOX_OFFICE_BY_YEAR AS
WITH movies AS (
    SELECT * FROM ANALYTICS.MOVIE_CURRENT
    WHERE BOX_OFFICE IS NOT NULL
      AND YEAR IS NOT NULL
),

final AS (
    SELECT
        -- grouping
        YEAR,

        -- measures
        COUNT(*) AS MOVIES,
        SUM(BOX_OFFICE) AS TOTAL_BOX_OFFICE,
        ROUND(AVG(BOX_OFFICE), 2) AS AVERAGE_BOX_OFFICE,
        MEDIAN(BOX_OFFICE) AS MEDIAN_BOX_OFFICE,
        MAX(BOX_OFFICE) AS TOP_BOX_OFFICE,
        MAX_BY(TITLE, BOX_OFFICE) AS TOP_TITLE
    FROM movies
    GROUP BY YEAR
)

SELECT * FROM final
