-- The current version of every movie that still exists at the source, with its
-- latest scores (0-100) and box office: the view most BI questions start from.
CREATE OR REPLACE VIEW ANALYTICS.MOVIE_CURRENT AS
WITH source AS (
    SELECT * FROM ANALYTICS.DIM_MOVIE
    WHERE IS_CURRENT AND NOT IS_DELETED
),

latest_ratings AS (
    SELECT * FROM ANALYTICS.MOVIE_RATING_LATEST
),

scores AS (
    SELECT
        IMDB_ID,
        MAX(IFF(RATING_SOURCE = 'IMDB', SCORE, NULL)) AS IMDB_SCORE,
        MAX(IFF(RATING_SOURCE = 'IMDB', VOTES, NULL)) AS IMDB_VOTES,
        MAX(IFF(RATING_SOURCE = 'ROTTEN_TOMATOES', SCORE, NULL)) AS TOMATO_METER,
        MAX(IFF(RATING_SOURCE = 'ROTTEN_TOMATOES_AUDIENCE', SCORE, NULL)) AS TOMATO_AUDIENCE_SCORE,
        MAX(IFF(RATING_SOURCE = 'METACRITIC', SCORE, NULL)) AS METASCORE
    FROM latest_ratings
    GROUP BY IMDB_ID
),

box_office AS (
    SELECT
        IMDB_ID,
        BOX_OFFICE
    FROM ANALYTICS.FACT_BOX_OFFICE
    QUALIFY ROW_NUMBER() OVER (PARTITION BY IMDB_ID ORDER BY SNAPSHOT_AT DESC) = 1
),

final AS (
    SELECT
        -- keys
        source.MOVIE_KEY,
        source.IMDB_ID,

        -- attributes
        source.TITLE,
        source.TYPE,
        source.YEAR,
        source.DECADE,
        source.RATED,
        source.RELEASED,
        source.RUNTIME_MINUTES,
        source.RUNTIME_BAND,
        source.GENRES,
        source.PRIMARY_GENRE,
        source.DIRECTOR,
        source.COUNTRY,
        source.LANGUAGE,
        source.PRODUCTION,
        source.AWARDS,
        source.OSCARS,

        -- latest scores (0-100) and money
        scores.IMDB_SCORE,
        scores.IMDB_VOTES,
        scores.TOMATO_METER,
        scores.TOMATO_AUDIENCE_SCORE,
        scores.METASCORE,
        box_office.BOX_OFFICE,

        -- lineage
        source.VALID_FROM,
        source.BATCH_ID
    FROM source
    LEFT JOIN scores
        ON scores.IMDB_ID = source.IMDB_ID
    LEFT JOIN box_office
        ON box_office.IMDB_ID = source.IMDB_ID
)

SELECT * FROM final
