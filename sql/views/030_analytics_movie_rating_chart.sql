-- Rating chart per movie: one row per current movie x rating source (a bar each),
-- with the movie's highest, lowest and average score across its sources alongside
-- (reference lines) and flags for the highest and lowest source.
CREATE OR REPLACE VIEW ANALYTICS.MOVIE_RATING_CHART AS
WITH movies AS (
    SELECT * FROM ANALYTICS.MOVIE_CURRENT
),

latest_ratings AS (
    SELECT * FROM ANALYTICS.MOVIE_RATING_LATEST
    WHERE SCORE IS NOT NULL
),

scored AS (
    SELECT
        latest_ratings.*,
        MAX(SCORE) OVER (PARTITION BY IMDB_ID) AS HIGHEST_SCORE,
        MIN(SCORE) OVER (PARTITION BY IMDB_ID) AS LOWEST_SCORE,
        AVG(SCORE) OVER (PARTITION BY IMDB_ID) AS AVERAGE_SCORE,
        COUNT(*) OVER (PARTITION BY IMDB_ID) AS SOURCES_RATED
    FROM latest_ratings
),

final AS (
    SELECT
        -- keys
        movies.MOVIE_KEY,
        movies.IMDB_ID,
        scored.RATING_SOURCE_KEY,

        -- movie
        movies.TITLE,
        movies.YEAR,
        movies.PRIMARY_GENRE,

        -- this source
        scored.RATING_SOURCE,
        scored.RATING_SOURCE_NAME,
        scored.SCORE,
        scored.VOTES,
        scored.SCORE = scored.HIGHEST_SCORE AS IS_HIGHEST,
        scored.SCORE = scored.LOWEST_SCORE AS IS_LOWEST,

        -- across sources
        scored.HIGHEST_SCORE,
        scored.LOWEST_SCORE,
        ROUND(scored.AVERAGE_SCORE, 1) AS AVERAGE_SCORE,
        scored.HIGHEST_SCORE - scored.LOWEST_SCORE AS SCORE_SPREAD,
        scored.SOURCES_RATED,

        -- snapshot
        scored.SNAPSHOT_DATE
    FROM movies
    INNER JOIN scored
        ON scored.IMDB_ID = movies.IMDB_ID
)

SELECT * FROM final
