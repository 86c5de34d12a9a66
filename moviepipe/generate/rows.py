"""One chunk of synthetic films as two Arrow tables (``omdb`` and ``tomatoes``), fully vectorised.

Each chunk draws from its own random stream, seeded by ``(seed, chunk index)``: a chunk
is reproducible on its own, so memory stays bounded by the chunk size whatever the
number of films, and the same seed and count always give the same rows. Numbers are
drawn with numpy; strings are assembled with Arrow compute kernels (no Python loop
per row), which is what makes a million films a second reachable.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from moviepipe.generate import values as V
from moviepipe.generate.settings import OMDB_COLUMNS, TOMATOES_COLUMNS

_ARROW_TYPES = {"INTEGER": pa.int64(), "REAL": pa.float64(), "TEXT": pa.string()}
OMDB_SCHEMA = pa.schema([(name, _ARROW_TYPES[kind]) for name, kind in OMDB_COLUMNS])
TOMATOES_SCHEMA = pa.schema([(name, _ARROW_TYPES[kind]) for name, kind in TOMATOES_COLUMNS])

_ID_STRIDE = 97  # IDs grow by 1..97 per film, like Wikidata ids spread over a wide range
_IMDB_BLOCK = 10_000_000  # 7-digit imdb numbers
_IMDB_MULTIPLIER = 7_654_321  # coprime with 10**7: i -> i * m mod 10**7 is a permutation


def stream(seed: int, *tags: int) -> np.random.Generator:
    """An independent random stream for ``(seed, *tags)``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *tags])))


def _weights(counts) -> np.ndarray:
    counts = np.asarray(counts, dtype=float)
    return counts / counts.sum()


def from_quantiles(rng, name: str, n: int) -> np.ndarray:
    """Draws following a measured quantile table (piecewise-linear inverse CDF)."""
    return np.interp(rng.random(n) * 100.0, V.PERCENTILES, V.QUANTILES[name])


def _null_where(values, mask: np.ndarray) -> pa.Array:
    return pa.array(values, mask=mask)


#: Sizes of the per-seed pools rows draw from (names, and category combinations like "Drama, Crime").
PERSON_POOL = 20_000
COMBINATION_POOL = 4_096


@dataclass(frozen=True)
class Pools:
    """Strings rows pick from by index: built once per seed, so a chunk only does ``take`` and joins."""

    title_heads: pa.Array
    accented_heads: pa.Array
    title_suffixes: pa.Array
    people: pa.Array
    combinations: dict[str, pa.Array]


@lru_cache(maxsize=4)
def pools(seed: int) -> Pools:
    rng = stream(seed, 0xB001)
    words, accents, patterns = V.TITLE_WORDS, V.ACCENTED_TITLE_WORDS, V.TITLE_PATTERNS
    heads = [patterns[i % len(patterns)].format(a=words[i % len(words)], b=words[(i * 7 + 3) % len(words)],
                                                c=words[(i * 13 + 5) % len(words)])
             for i in range(len(words) * 8)]
    accented = [patterns[i % len(patterns)].format(a=accents[i % len(accents)], b=words[(i * 11 + 1) % len(words)],
                                                   c=accents[(i * 3) % len(accents)])
                for i in range(len(accents) * 4)]
    combinations = {
        "Genre": category_lists(rng, _list_sizes(rng, "Genre", COMBINATION_POOL), V.GENRES),
        "Language": category_lists(rng, _list_sizes(rng, "Language", COMBINATION_POOL), V.LANGUAGES),
        "Country": category_lists(rng, _list_sizes(rng, "Country", COMBINATION_POOL), V.COUNTRIES),
        "Production": category_lists(rng, _list_sizes(rng, "Production", COMBINATION_POOL),
                                     dict.fromkeys(V.PRODUCTION_COMPANIES, 1)),
    }
    return Pools(pa.array(heads), pa.array(accented), pa.array(V.TITLE_SUFFIXES),
                 person_names(rng, PERSON_POOL), combinations)


def _pick(rng, pool: pa.Array, n: int) -> pa.Array:
    return pool.take(pa.array(rng.integers(0, len(pool), n)))


def titles(rng, pool: Pools, n: int) -> pa.Array:
    """``head + suffix``; about 1% of heads use accented words."""
    accented = pa.array(rng.random(n) < V.NON_ASCII_TITLE)
    head = pc.if_else(accented, _pick(rng, pool.accented_heads, n), _pick(rng, pool.title_heads, n))
    return pc.binary_join_element_wise(head, _pick(rng, pool.title_suffixes, n), "")


def person_names(rng, n: int) -> pa.Array:
    """``n`` "First Last" names; about 2.4% with an accented first or last name."""
    accented = rng.random(n) < V.NON_ASCII_PERSON
    accent_first = accented & (rng.random(n) < 0.5)
    first = pc.if_else(pa.array(accent_first), _pick(rng, pa.array(V.ACCENTED_FIRST_NAMES), n),
                       _pick(rng, pa.array(V.FIRST_NAMES), n))
    last = pc.if_else(pa.array(accented & ~accent_first), _pick(rng, pa.array(V.ACCENTED_LAST_NAMES), n),
                      _pick(rng, pa.array(V.LAST_NAMES), n))
    return pc.binary_join_element_wise(first, last, " ")


def _joined(sizes: np.ndarray, items: pa.Array) -> pa.Array:
    """Join consecutive runs of ``items`` (``sizes[i]`` for row i) with ', '."""
    offsets = np.zeros(len(sizes) + 1, dtype=np.int32)
    np.cumsum(sizes, out=offsets[1:])
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), items), ", ")


def _list_sizes(rng, column: str, n: int) -> np.ndarray:
    counts = V.LIST_SIZES[column]
    return rng.choice(np.arange(1, len(counts) + 1), size=n, p=_weights(counts))


def name_lists(rng, pool: Pools, sizes: np.ndarray) -> pa.Array:
    return _joined(sizes, _pick(rng, pool.people, int(sizes.sum())))


def category_lists(rng, sizes: np.ndarray, weights: dict[str, int]) -> pa.Array:
    """Distinct categories per row, drawn by weight (Gumbel top-k)."""
    names = pa.array(list(weights))
    keys = np.log(_weights(list(weights.values()))) + rng.gumbel(size=(len(sizes), len(weights)))
    order = np.argsort(-keys, axis=1)
    sizes = np.minimum(sizes, len(weights))
    picked = order[np.arange(order.shape[1]) < sizes[:, None]]  # row-major: row by row, best first
    return _joined(sizes, names.take(pa.array(picked)))


def imdb_ids(rng, index: np.ndarray) -> pa.Array:
    """``tt`` + 7 digits (a few 8): unique by construction, then pairs of films made to share one.

    ``index % 10**7`` times a multiplier coprime with 10**7 is a permutation of 7-digit
    numbers; a leading digit tells apart the 8-digit ids and each further block of 10**7 films.
    """
    seven = (index % _IMDB_BLOCK) * _IMDB_MULTIPLIER % _IMDB_BLOCK
    block = index // _IMDB_BLOCK
    eight = rng.random(len(index)) < V.EIGHT_DIGIT_IMDB_ID
    lead = np.where(block > 0, block + 1, eight.astype(np.int64))
    numbers = lead * _IMDB_BLOCK + seven
    # A film at an odd index may take the id of the film just before it (same chunk: chunks start even).
    share = (index % 2 == 1) & (rng.random(len(index)) < V.SHARED_IMDB_ID)
    numbers[share] = numbers[np.flatnonzero(share) - 1]
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), 7, "0")
    return pc.binary_join_element_wise("tt", digits, "")


def _dates(days_since_epoch: np.ndarray) -> pa.Array:
    """ISO 'YYYY-MM-DD' strings."""
    return pc.cast(pa.array(days_since_epoch.astype("datetime64[D]")), pa.string())


_MAX_NOMINATIONS = 24


@lru_cache(maxsize=1)
def _award_texts() -> pa.Array:
    """Every award text, indexed by ``wins * (_MAX_NOMINATIONS + 1) + nominations`` (NULL for none)."""
    def oscars(count: int) -> str:
        return f"{count} Oscar" + ("" if count == 1 else "s") + "."

    texts = []
    for wins in range(len(V.OSCAR_COUNTS)):
        for nominations in range(_MAX_NOMINATIONS + 1):
            parts = ([f"Won {oscars(wins)}"] if wins else []) + \
                    ([f"Nominated for {oscars(nominations - wins)}"] if nominations > wins else [])
            texts.append(" ".join(parts) or None)
    return pa.array(texts, pa.string())


def _awards(rng, oscars: np.ndarray) -> pa.Array:
    """OMDb-style award text consistent with the Oscars won; NULL for most films."""
    n = len(oscars)
    winners = 1 - V.OSCAR_COUNTS[0] / sum(V.OSCAR_COUNTS)
    nominated = rng.random(n) < (1 - V.NULL_RATE["omdb.Awards"] - winners) / (1 - winners)
    extra = rng.geometric(0.45, n) - 1
    nominations = np.minimum(np.where(oscars > 0, oscars + extra, np.where(nominated, extra + 1, 0)),
                             _MAX_NOMINATIONS)
    nominations = np.maximum(nominations, oscars)
    return _award_texts().take(pa.array(oscars * (_MAX_NOMINATIONS + 1) + nominations))


def chunk(seed: int, chunk_index: int, start: int, n: int) -> tuple[pa.Table, pa.Table]:
    """Films ``start .. start + n - 1`` of the source for ``seed``, as (omdb, tomatoes)."""
    rng = stream(seed, chunk_index)
    pool = pools(seed)
    index = np.arange(start, start + n, dtype=np.int64)
    film_id = 100 + index * _ID_STRIDE + rng.integers(0, _ID_STRIDE, n)

    year = V.YEAR_FIRST + rng.choice(len(V.YEAR_COUNTS), size=n, p=_weights(V.YEAR_COUNTS))
    jan_first = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    year_only = rng.random(n) < V.YEAR_ONLY_RELEASE
    released = jan_first + np.where(year_only, 0, rng.integers(0, 365, n))

    low, high = (np.datetime64(day).astype(np.int64) for day in V.LAST_UPDATED_RANGE)
    last_updated = _dates(rng.integers(low, high + 1, n))

    def empty_where(column: str, text: pa.Array) -> pa.Array:
        return pc.if_else(pa.array(rng.random(n) < V.EMPTY_RATE[column]), "", text)

    def null_mask(column: str) -> np.ndarray:
        return rng.random(n) < V.NULL_RATE[column]

    ratings = np.array(list(V.MPAA_RATINGS), dtype=object)
    oscars = rng.choice(len(V.OSCAR_COUNTS), size=n, p=_weights(V.OSCAR_COUNTS))
    null_text = pa.nulls(n, pa.string())
    omdb = pa.Table.from_arrays([
        pa.array(film_id),
        imdb_ids(rng, index),
        titles(rng, pool, n),
        pa.array(year),
        _null_where(rng.choice(ratings, size=n, p=_weights(list(V.MPAA_RATINGS.values()))), null_mask("omdb.Rating")),
        _null_where(np.round(from_quantiles(rng, "Runtime", n)), null_mask("omdb.Runtime")),
        empty_where("omdb.Genre", _pick(rng, pool.combinations["Genre"], n)),
        _dates(released),
        empty_where("omdb.Director", name_lists(rng, pool, _list_sizes(rng, "Director", n))),
        pc.if_else(pa.array(null_mask("omdb.Writer")), null_text, name_lists(rng, pool, _list_sizes(rng, "Writer", n))),
        empty_where("omdb.Cast", name_lists(rng, pool, np.round(from_quantiles(rng, "Cast size", n)).astype(np.int64))),
        _null_where(np.round(from_quantiles(rng, "Metacritic", n)).astype(np.int64), null_mask("omdb.Metacritic")),
        pa.nulls(n, pa.float64()),  # imdbRating: NULL throughout the real file
        pa.nulls(n, pa.int64()),  # imdbVotes: NULL throughout the real file
        pc.if_else(pa.array(null_mask("omdb.Language")), null_text,
                   _pick(rng, pool.combinations["Language"], n)),
        pc.if_else(pa.array(null_mask("omdb.Country")), null_text,
                   _pick(rng, pool.combinations["Country"], n)),
        _awards(rng, oscars),
        last_updated,
        pa.array(oscars.astype(np.int64)),
    ], schema=OMDB_SCHEMA)
    return omdb, _tomatoes(rng, pool, film_id, last_updated)


def tomato_ratings(rng, meter: np.ndarray) -> np.ndarray:
    """Critics' average rating, following the meter as in the real file."""
    intercept, slope, noise = V.TOMATO_RATING_FIT
    return np.clip(np.round(intercept + slope * meter + rng.normal(0, noise, len(meter)), 1), 0.9, 10.0)


def box_office(rng, n: int) -> np.ndarray:
    """Dollars from ~7 to ~3e9 (log-scale quantiles); whole dollars above 1,000."""
    dollars = 10.0 ** from_quantiles(rng, "log10 BoxOffice", n)
    return np.where(dollars >= 1000, np.round(dollars), np.round(dollars, 3))


def _tomatoes(rng, pool: Pools, film_id: np.ndarray, last_updated: pa.Array) -> pa.Table:
    n = len(film_id)
    reviews = np.round(from_quantiles(rng, "Reviews", n)).astype(np.int64)
    meter = np.round(from_quantiles(rng, "Meter", n)).astype(np.int64)
    fresh = np.round(meter * reviews / 100.0).astype(np.int64)
    meter_null = rng.random(n) < V.NULL_RATE["tomatoes.Meter"]
    reviews_null = meter_null & (rng.random(n) < V.NULL_RATE["tomatoes.Reviews"] / V.NULL_RATE["tomatoes.Meter"])
    production = _pick(rng, pool.combinations["Production"], n)
    return pa.Table.from_arrays([
        pa.array(film_id),
        pa.nulls(n, pa.string()),  # Image
        _null_where(tomato_ratings(rng, meter), meter_null | (rng.random(n) < V.NULL_RATE["tomatoes.Rating"])),
        _null_where(meter, meter_null),
        _null_where(reviews, reviews_null),
        _null_where(fresh, meter_null),
        _null_where(reviews - fresh, meter_null),
        pa.nulls(n, pa.string()),  # Consensus
        pa.nulls(n, pa.int64()),  # userMeter
        pa.nulls(n, pa.float64()),  # userRating
        pa.nulls(n, pa.int64()),  # userReviews
        pa.nulls(n, pa.string()),  # DVD
        _null_where(box_office(rng, n), rng.random(n) < V.NULL_RATE["tomatoes.BoxOffice"]),
        pc.if_else(pa.array(rng.random(n) < V.NULL_RATE["tomatoes.Production"]), pa.scalar(None, pa.string()),
                   production),
        pa.nulls(n, pa.string()),  # Website
        last_updated,
    ], schema=TOMATOES_SCHEMA)
