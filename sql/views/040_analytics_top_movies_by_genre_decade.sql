-- Top 10 movies per genre and decade by their average score across sources (ties
-- share a rank; more sources, then more IMDb votes, break them for display order).
-- A movie counts in every genre of its latest genre list.
CREATE OR REPLACE VIEW ANALYTICS.TOP_MOVIES_BY_GENRE_DECADE AS
WITH movies AS (
    SELECT * FROM ANALYTICS.MOVIE_CURRENT
    WHERE DECADE IS NOT NULL
),

movie_genres AS (
    SELECT
        bridge.IMDB_ID,
        genres.GENRE_KEY,
        genres.GENRE
    FROM ANALYTICS.BRIDGE_MOVIE_GENRE AS bridge
    INNER JOIN ANALYTICS.DIM_GENRE AS genres
        ON genres.GENRE_KEY = bridge.GENRE_KEY
),

average_scores AS (
    SELECT
        IMDB_ID,
        AVG(SCORE) AS AVERAGE_SCORE,
        COUNT(SCORE) AS SOURCES_RATED
    FROM ANALYTICS.MOVIE_RATING_LATEST
    WHERE SCORE IS NOT NULL
    GROUP BY IMDB_ID
),

ranked AS (
    SELECT
        movie_genres.GENRE_KEY,
        movie_genres.GENRE,
        movies.DECADE,
        movies.MOVIE_KEY,
        movies.IMDB_ID,
        movies.TITLE,
        movies.YEAR,
        ROUND(average_scores.AVERAGE_SCORE, 1) AS AVERAGE_SCORE,
        average_scores.SOURCES_RATED,
        movies.IMDB_VOTES,
        RANK() OVER (
            PARTITION BY movie_genres.GENRE_KEY, movies.DECADE ORDER BY average_scores.AVERAGE_SCORE DESC
        ) AS GENRE_DECADE_RANK
    FROM movies
    INNER JOIN movie_genres
        ON movie_genres.IMDB_ID = movies.IMDB_ID
    INNER JOIN average_scores
        ON average_scores.IMDB_ID = movies.IMDB_ID
),

final AS (
    SELECT
        -- grouping
        GENRE_KEY,
        GENRE,
        DECADE,

        -- rank
        GENRE_DECADE_RANK,

        -- movie
        MOVIE_KEY,
        IMDB_ID,
        TITLE,
        YEAR,

        -- score
        AVERAGE_SCORE,
        SOURCES_RATED,
        IMDB_VOTES
    FROM ranked
    WHERE GENRE_DECADE_RANK <= 10
)

SELECT * FROM final
