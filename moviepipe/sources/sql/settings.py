"""Constants of the SQL source: the default database and its mapping onto the raw contract."""

from __future__ import annotations

#: Package and path of the bundled default source (CC0 Wikidata movies, 17,472 films).
DEFAULT_DB_PACKAGE = "bokeh_sampledata"
DEFAULT_DB_PATH = ("_data", "movies.db")
DEFAULT_SOURCE_NAME = "bokeh-sampledata:movies.db"

#: Rows fetched per round trip and written per chunk.
DEFAULT_CHUNK_ROWS = 50_000

#: How the default schema maps onto the raw contract (OMDb field names).
#: ``base`` is the table the watermark and key live on; ``joins`` are LEFT JOINed
#: on the key; each column is ``contract name -> (table, column)`` or a literal.
DEFAULT_MAPPING: dict = {
    "base": "omdb",
    "key": "ID",
    "watermark": ("omdb", "lastUpdated"),
    "joins": {"tomatoes": "ID"},
    "columns": {
        "imdbID": ("omdb", "imdbID"),
        "Title": ("omdb", "Title"),
        "Year": ("omdb", "Year"),
        "Rated": ("omdb", "Rating"),
        "Released": ("omdb", "Released"),
        "Runtime": ("omdb", "Runtime"),
        "Genre": ("omdb", "Genre"),
        "Director": ("omdb", "Director"),
        "Writer": ("omdb", "Writer"),
        "Actors": ("omdb", "Cast"),
        "Plot": None,
        "Language": ("omdb", "Language"),
        "Country": ("omdb", "Country"),
        "Awards": ("omdb", "Awards"),
        "Poster": None,
        "Metascore": ("omdb", "Metacritic"),
        "imdbRating": ("omdb", "imdbRating"),
        "imdbVotes": ("omdb", "imdbVotes"),
        "Type": "movie",
        "DVD": ("tomatoes", "DVD"),
        "BoxOffice": ("tomatoes", "BoxOffice"),
        "Production": ("tomatoes", "Production"),
        "Website": ("tomatoes", "Website"),
        "tomatoMeter": ("tomatoes", "Meter"),
        "tomatoRating": ("tomatoes", "Rating"),
        "tomatoReviews": ("tomatoes", "Reviews"),
        "tomatoFresh": ("tomatoes", "Fresh"),
        "tomatoRotten": ("tomatoes", "Rotten"),
        "tomatoUserMeter": ("tomatoes", "userMeter"),
        "tomatoUserRating": ("tomatoes", "userRating"),
        "tomatoUserReviews": ("tomatoes", "userReviews"),
        "tomatoConsensus": ("tomatoes", "Consensus"),
        "tomatoImage": ("tomatoes", "Image"),
        "lastUpdated": ("omdb", "lastUpdated"),
        "sourceId": ("omdb", "ID"),
        "Oscars": ("omdb", "Oscars"),
    },
    #: Source columns deliberately left out (anything else unmapped is schema drift).
    "ignore": ["tomatoes.ID", "tomatoes.lastUpdated"],
    "options": {"drift_policy": "evolve", "lookback_days": 0, "detect_deletes": False},
}
