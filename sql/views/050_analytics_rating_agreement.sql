-- Agreement between IMDb (users), Rotten Tomatoes (critics' Tomatometer) and
-- Metacritic (critics) per current movie rated by at least two of them: each score
-- (0-100), the pairwise gaps, the spread, and a band (AGREE: spread <= 10,
-- MIXED: <= 25, DISAGREE: more).
CREATE OR REPLACE VIEW ANALYTICS.RATING_AGREEMENT AS
WITH movies AS (
    SELECT * FROM ANALYTICS.MOVIE_CURRENT
),

scored AS (
    SELECT
        movies.*,
        IFF(IMDB_SCORE IS NULL, 0, 1) + IFF(TOMATO_METER IS NULL, 0, 1)
            + IFF(METASCORE IS NULL, 0, 1) AS SOURCES_RATED,
        GREATEST(
            COALESCE(IMDB_SCORE, TOMATO_METER, METASCORE),
            COALESCE(TOMATO_METER, METASCORE, IMDB_SCORE),
            COALESCE(METASCORE, IMDB_SCORE, TOMATO_METER)
        ) - LEAST(
            COALESCE(IMDB_SCORE, TOMATO_METER, METASCORE),
            COALESCE(TOMATO_METER, METASCORE, IMDB_SCORE),
            COALESCE(METASCORE, IMDB_SCORE, TOMATO_METER)
        ) AS SCORE_SPREAD
    FROM movies
),

final AS (
    SELECT
        -- keys
        MOVIE_KEY,
        IMDB_ID,

        -- movie
        TITLE,
        YEAR,
        PRIMARY_GENRE,

        -- scores (0-100)
        IMDB_SCORE,
        TOMATO_METER,
        METASCORE,
        SOURCES_RATED,

        -- agreement
        IMDB_SCORE - TOMATO_METER AS IMDB_MINUS_TOMATOES,
        IMDB_SCORE - METASCORE AS IMDB_MINUS_METACRITIC,
        TOMATO_METER - METASCORE AS TOMATOES_MINUS_METACRITIC,
        SCORE_SPREAD,
        CASE
            WHEN SCORE_SPREAD <= 10 THEN 'AGREE'
            WHEN SCORE_SPREAD <= 25 THEN 'MIXED'
            ELSE 'DISAGREE'
        END AS AGREEMENT
    FROM scored
    WHERE SOURCES_RATED >= 2
)

SELECT * FROM final
