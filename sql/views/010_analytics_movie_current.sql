-- The current version of every movie that still exists at the source: the
-- view most BI questions start from.
CREATE OR REPLACE VIEW ANALYTICS.MOVIE_CURRENT AS
WITH source AS (
    SELECT * FROM ANALYTICS.DIM_MOVIE
),

final AS (
    SELECT
        -- keys
        MOVIE_KEY,
        IMDB_ID,

        -- attributes
        TITLE,
        YEAR,
        RATED,
        RELEASED,
        RUNTIME_MINUTES,
        GENRES,
        DIRECTOR,
        COUNTRY,
        LANGUAGE,

        -- scores
        METASCORE,
        IMDB_RATING,
        TOMATO_METER,
        TOMATO_USER_METER,
        BOX_OFFICE,

        -- lineage
        VALID_FROM,
        BATCH_ID
    FROM source
    WHERE IS_CURRENT AND NOT IS_DELETED
)

SELECT * FROM final
