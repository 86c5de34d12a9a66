"""The bare-DuckDB floor: the essential work of the pipeline and nothing else.

Initial: read the joined source from SQLite into Arrow (through Python: DuckDB's
sqlite extension cannot be downloaded here), write Parquet, load it into a DuckDB
table, build the SCD2 dimension. Incremental: extract the rows changed since the
watermark the same way, append them, then close and open versions (UPDATE + INSERT).
No validation, no zip, no buckets, no ledger: how fast the same result could be had.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from moviepipe.generate.settings import OMDB_COLUMNS, TOMATOES_COLUMNS

try:
    import adbc_driver_sqlite.dbapi as adbc_sqlite
except ImportError:  # pragma: no cover
    adbc_sqlite = None

TOMATO_COLUMNS = [name for name, _ in TOMATOES_COLUMNS if name not in ("ID", "lastUpdated")]
SELECT = ("SELECT " + ", ".join(f'o."{name}"' for name, _ in OMDB_COLUMNS) + ", "
          + ", ".join(f't."{name}" AS "tomato{name}"' for name in TOMATO_COLUMNS)
          + ' FROM omdb o LEFT JOIN tomatoes t ON t.ID = o.ID')
ATTRIBUTES = [name for name, _ in OMDB_COLUMNS if name not in ("ID", "imdbID", "lastUpdated")] + \
             [f"tomato{name}" for name in TOMATO_COLUMNS]
HASH = "md5(concat_ws('|', " + ", ".join(f'CAST("{c}" AS VARCHAR)' for c in ATTRIBUTES) + "))"
LATEST = 'QUALIFY row_number() OVER (PARTITION BY imdbID ORDER BY lastUpdated DESC, ID DESC) = 1'


def extract_to_parquet(source: Path, target: Path, after: str | None = None) -> int:
    """Stream the joined rows (optionally only lastUpdated > after) into one Parquet file."""
    sql = SELECT + (' WHERE o."lastUpdated" > ?' if after else "")
    params = (after,) if after else ()
    rows = 0
    writer = None
    if adbc_sqlite is not None:
        conn = adbc_sqlite.connect(str(source))
        cursor = conn.cursor()
        cursor.execute(sql, params or None)
        batches = cursor.fetch_record_batch()
    else:
        conn = sqlite3.connect(source)
        cursor = conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        batches = (pa.RecordBatch.from_pylist([dict(zip(names, r)) for r in chunk])
                   for chunk in iter(lambda: cursor.fetchmany(50_000), []))
    try:
        for batch in batches:
            if writer is None:
                writer = pq.ParquetWriter(target, batch.schema)
            writer.write_batch(batch)
            rows += batch.num_rows
    finally:
        if writer is not None:
            writer.close()
        cursor.close()
        conn.close()
    return rows


def _timed(sampler, phase: str, figures: dict, rows: int | None, work) -> object:
    """Run ``work`` as one phase; ``rows=None``: the phase returns its row count."""
    started = time.perf_counter()
    with sampler.phase(f"floor {phase}"):
        result = work()
    figures[phase] = {"seconds": time.perf_counter() - started, "rows": result if rows is None else rows,
                      "peak_rss": sampler.peaks[f"floor {phase}"]}
    return result


def initial(source: Path, folder: Path, sampler) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    figures: dict = {}
    rows = _timed(sampler, "extract", figures, None, lambda: extract_to_parquet(source, folder / "initial.parquet"))
    db = duckdb.connect(str(folder / "floor.duckdb"))
    try:
        _timed(sampler, "load", figures, rows, lambda: db.execute(
            f"CREATE OR REPLACE TABLE raw_movies AS SELECT * FROM read_parquet('{folder / 'initial.parquet'}')"))
        _timed(sampler, "merge", figures, rows, lambda: db.execute(
            f"CREATE OR REPLACE TABLE dim_movie AS SELECT *, {HASH} AS hash, lastUpdated AS valid_from, "
            f"CAST(NULL AS VARCHAR) AS valid_to, TRUE AS is_current FROM raw_movies {LATEST}"))
        watermark = db.execute("SELECT MAX(lastUpdated) FROM raw_movies").fetchone()[0]
    finally:
        db.close()
    return {"stages": figures, "rows": rows, "watermark": watermark}


def incremental(source: Path, folder: Path, watermark: str, sampler) -> dict:
    figures: dict = {}
    target = folder / "incremental.parquet"
    target.unlink(missing_ok=True)
    rows = _timed(sampler, "extract", figures, None, lambda: extract_to_parquet(source, target, after=watermark))
    if rows == 0:  # nothing changed: nothing to load or merge (and no Parquet file was written)
        return {"stages": figures, "rows": 0, "versions": {"closed": 0, "opened": 0}}
    db = duckdb.connect(str(folder / "floor.duckdb"))
    try:
        _timed(sampler, "load", figures, rows, lambda: db.execute(
            f"INSERT INTO raw_movies SELECT * FROM read_parquet('{target}')"))

        def scd2():
            db.execute("BEGIN")
            db.execute(f"CREATE OR REPLACE TEMP TABLE incoming AS SELECT *, {HASH} AS hash "
                       f"FROM read_parquet('{target}') {LATEST}")
            closed = db.execute("UPDATE dim_movie SET valid_to = s.lastUpdated, is_current = FALSE FROM incoming s "
                                "WHERE dim_movie.imdbID = s.imdbID AND dim_movie.is_current "
                                "AND dim_movie.hash <> s.hash").fetchone()[0]
            opened = db.execute("INSERT INTO dim_movie SELECT s.*, s.lastUpdated, NULL, TRUE FROM incoming s "
                                "LEFT JOIN dim_movie d ON d.imdbID = s.imdbID AND d.is_current "
                                "WHERE d.imdbID IS NULL").fetchone()[0]
            db.execute("COMMIT")
            return {"closed": closed, "opened": opened}

        versions = _timed(sampler, "merge", figures, rows, scd2)
    finally:
        db.close()
    return {"stages": figures, "rows": rows, "versions": versions}


def watermark(folder: Path) -> str | None:
    """The newest ``lastUpdated`` the floor has loaded (where its next incremental starts)."""
    db = duckdb.connect(str(folder / "floor.duckdb"), read_only=True)
    try:
        return db.execute("SELECT MAX(lastUpdated) FROM raw_movies").fetchone()[0]
    finally:
        db.close()
