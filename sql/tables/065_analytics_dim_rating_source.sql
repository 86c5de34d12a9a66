-- Rating source dimension, seeded once with the names in the contract's
-- RATING_SOURCES (a test keeps the two equal). Every SCORE is on a 0-100 scale.
-- Grain: RATING_SOURCE.
CREATE TABLE IF NOT EXISTS ANALYTICS.DIM_RATING_SOURCE AS
WITH source AS (
    SELECT *
    FROM (
        VALUES
            ('IMDB', 'IMDb', 'Users', 'imdbRating x/10, scaled to 0-100 (votes: imdbVotes)'),
            ('METACRITIC', 'Metacritic', 'Critics', 'Metascore x/100'),
            ('ROTTEN_TOMATOES', 'Rotten Tomatoes', 'Critics', 'Tomatometer % (votes: critic reviews)'),
            ('ROTTEN_TOMATOES_AUDIENCE', 'Rotten Tomatoes Audience', 'Users', 'Audience score % (votes: user ratings)')
    ) AS seed (RATING_SOURCE, DISPLAY_NAME, AUDIENCE, DESCRIPTION)
),

final AS (
    SELECT
        -- keys
        ROW_NUMBER() OVER (ORDER BY RATING_SOURCE) AS RATING_SOURCE_KEY,
        RATING_SOURCE,

        -- attributes
        DISPLAY_NAME,
        AUDIENCE,
        DESCRIPTION
    FROM source
)

SELECT * FROM final
