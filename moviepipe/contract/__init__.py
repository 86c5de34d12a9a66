"""The batch contract every stage agrees on: raw columns, manifest, batch ids.

Stdlib + jsonschema only: this package ships inside the unzip Lambda.

The raw contract uses OMDb's own field names (the API the original design
used), so a SQL database and the OMDb API produce the same raw files. Columns a
source has beyond the contract (``EXTRA_COLUMNS``) are carried through.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources

CONTRACT_VERSION = "1.1"

#: Raw movie columns in OMDb field names, in file order.
RAW_COLUMNS: tuple[str, ...] = (
    "imdbID",
    "Title",
    "Year",
    "Rated",
    "Released",
    "Runtime",
    "Genre",
    "Director",
    "Writer",
    "Actors",
    "Plot",
    "Language",
    "Country",
    "Awards",
    "Poster",
    "Metascore",
    "imdbRating",
    "imdbVotes",
    "Type",
    "DVD",
    "BoxOffice",
    "Production",
    "Website",
    "tomatoMeter",
    "tomatoRating",
    "tomatoReviews",
    "tomatoFresh",
    "tomatoRotten",
    "tomatoUserMeter",
    "tomatoUserRating",
    "tomatoUserReviews",
    "tomatoConsensus",
    "tomatoImage",
    "lastUpdated",
)

#: Source-specific columns the default SQL source adds; carried through to the archive.
EXTRA_COLUMNS: tuple[str, ...] = ("sourceId", "Oscars")

#: OMDb fields outside the raw columns that a raw file may carry (the OMDb source does), with the
#: JSON type their value takes as a member of the archive's EXTRA object: ``json`` (a JSON value,
#: kept as JSON: the Ratings list stays a list), ``integer`` (a JSON number) or ``text`` (a JSON
#: string). OMDb's "N/A" is no value: the member is left out. A value that is not of its type
#: (a corrupt list, "12a") is kept as a JSON string, never dropped.
OMDB_EXTRA_TYPES: dict[str, str] = {
    "Ratings": "json", "totalSeasons": "integer", "Season": "integer", "Episode": "integer", "seriesID": "text",
}

#: The watermark column of the raw contract.
WATERMARK_COLUMN = "lastUpdated"

#: Raw entity name: the folder and file stem inside a batch zip.
RAW_ENTITY = "movies"

MANIFEST_NAME = "manifest.json"
SUCCESS_MARKER = "_SUCCESS"


class ContractError(ValueError):
    """A manifest or batch file breaks the contract; the message names the problem."""


@lru_cache(maxsize=1)
def manifest_schema() -> dict:
    text = resources.files(__package__).joinpath("manifest.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def validate_manifest(manifest: dict) -> dict:
    """Validate against ``manifest.schema.json``; raise ContractError naming the first problem."""
    import jsonschema  # imported here so a bare import of the contract stays cheap

    validator = jsonschema.Draft202012Validator(manifest_schema())
    errors = sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "<root>"
        raise ContractError(f"manifest invalid at {where}: {first.message}")
    return manifest


def make_batch_id(source_key: str, low: str | None, high: str | None) -> str:
    """Deterministic batch id from the source and the watermark range.

    A retried extraction of the same range gets the same id, so every later
    stage can recognise it and never make a second copy.
    """
    digest = hashlib.sha256(f"{source_key}\x1f{low or ''}\x1f{high or ''}".encode()).hexdigest()[:12]
    stamp = (high or "empty").replace("-", "").replace(":", "").replace(" ", "T")[:15]
    return f"b{stamp}-{digest}"


def sha256_file(path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()
