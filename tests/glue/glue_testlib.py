"""Helpers shared by the Glue transform tests (importable: tests/glue is on sys.path under pytest)."""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GLUE_DIR = REPO / "glue"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_CSV = FIXTURES / "omdb_mess.csv"
#: An OMDb-API-shaped batch as the unzip Lambda leaves it: drift, deletes.csv, manifest.json.
API_BATCH_CSV = FIXTURES / "omdb_api_batch" / "movies.csv"
API_BATCH_ID = "b20261020T000000-omdbapi"
NULL = "\\N"

# AWS Glue ships the job's extra Python files flat: import them the same way.
if str(GLUE_DIR) not in sys.path:
    sys.path.insert(0, str(GLUE_DIR))

from movies_transform import run_batch  # noqa: E402

# The extractor's mapping of bokeh-sampledata movies.db into the raw contract.
DEFAULT_SQL = """
SELECT o.imdbID, o.Title, o.Year, o.Rating, o.Released, o.Runtime, o.Genre, o.Director, o.Writer,
       o.Cast, NULL, o.Language, o.Country, o.Awards, NULL, o.Metacritic, o.imdbRating, o.imdbVotes,
       'movie', t.DVD, t.BoxOffice, t.Production, t.Website, t.Meter, t.Rating, t.Reviews, t.Fresh,
       t.Rotten, t.userMeter, t.userRating, t.userReviews, t.Consensus, t.Image, o.lastUpdated,
       o.ID, o.Oscars
FROM omdb o LEFT JOIN tomatoes t ON t.ID = o.ID
ORDER BY o.ID
"""


def read_rows(path) -> list[dict]:
    """Parse one of our output CSVs; the NULL marker becomes None."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return [{k: (None if v == NULL else v) for k, v in row.items()} for row in reader]


def read_header(path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def read_raw_rows(path) -> list[dict]:
    """The raw input CSV as dicts ('' -> None, as the transform reads it)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(handle)]


def default_db_path() -> Path | None:
    try:
        import importlib.resources as resources

        path = Path(str(resources.files("bokeh_sampledata") / "_data" / "movies.db"))
    except ModuleNotFoundError:
        return None
    return path if path.exists() else None


def java_missing_reason() -> str | None:
    if shutil.which("java") is None:
        return "Spark tests need Java 17: 'java' is not on PATH"
    try:
        import pyspark  # noqa: F401
    except ModuleNotFoundError:
        return "Spark tests need pyspark (pip install -e '.[spark]')"
    return None


class BatchRun:
    """One run_batch call and its parsed outputs (every archive entity)."""

    def __init__(self, root: Path, batch_id: str, result: dict):
        self.root = root
        self.batch_id = batch_id
        self.result = result
        self.paths = {entity: root / rel for entity, rel in result["files"].items()}
        self.rows = {entity: read_rows(path) for entity, path in self.paths.items()}
        self.movies_path = self.paths["movies"]
        self.rejected_path = self.paths["rejected"]
        self.movies = self.rows["movies"]
        self.rejected = self.rows["rejected"]

    def file_bytes(self) -> dict[str, bytes]:
        return {entity: path.read_bytes() for entity, path in self.paths.items()}

    def movie(self, source_id: str) -> dict:
        (row,) = [r for r in self.movies if r["SOURCE_ID"] == source_id]
        return row

    def of(self, entity: str, imdb_id: str) -> list[dict]:
        return [r for r in self.rows[entity] if r["IMDB_ID"] == imdb_id]

    def rejected_by_source(self, source_id: str) -> dict:
        (row,) = [r for r in self.rejected if json.loads(r["RECORD"]).get("sourceId") == source_id]
        return row


def run(session, raw_csv: str, root: Path, batch_id: str = "b20261018T000000-fixture") -> BatchRun:
    return BatchRun(root, batch_id, run_batch(session, str(raw_csv), str(root), batch_id))


def all_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
