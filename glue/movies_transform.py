"""The Glue movies transform: raw OMDb-shaped CSV -> cleansed movies.csv + rejected.csv.

Plain DataFrame functions that run unchanged on PySpark 3.5 (AWS Glue 5.0, or
local) and on sqlframe over DuckDB (the local default, no JVM):

    read_raw(session, path) -> raw frame
    cleanse(raw) -> typed frame
    add_change_hash(typed) -> + CHANGE_HASH
    validate(hashed) -> (valid, rejected)
    write_csv(frame, out_root, relpath) -> relpath

``run_batch`` chains them and writes, under ``out_root``:

    movies/batch_id=<id>/movies.csv      (OUTPUT_COLUMNS)
    rejected/batch_id=<id>/rejected.csv  (REJECTED_COLUMNS)
"""

from __future__ import annotations

import re
import uuid

from movies_cleanse import OUTPUT_COLUMNS, add_change_hash, cleanse
from movies_engine import api_for, checkpoint, is_spark, release
from movies_io import read_raw, write_csv
from movies_rules import RULE, RULES, flag_rules, split_flagged, validate

ENTITY = "movies"
REJECTED_COLUMNS: tuple[str, ...] = (
    "BATCH_ID", "ENTITY", "RECORD_KEY", "RULE", "REASON", "RECORD", "SOURCE_FILE",
)
TIMESTAMP_FORMAT = "yyyy-MM-dd HH:mm:ss"
DATE_FORMAT = "yyyy-MM-dd"
_BATCH_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")

__all__ = [
    "run_batch", "read_raw", "cleanse", "add_change_hash", "validate", "write_csv",
    "movies_relpath", "rejected_relpath", "OUTPUT_COLUMNS", "REJECTED_COLUMNS", "RULES",
]


def movies_relpath(batch_id: str) -> str:
    return f"movies/batch_id={batch_id}/movies.csv"


def rejected_relpath(batch_id: str) -> str:
    return f"rejected/batch_id={batch_id}/rejected.csv"


def movies_output(valid, batch_id: str):
    """Valid rows -> the movies.csv columns, dates and timestamps formatted as text."""
    F = api_for(valid).F
    source_file = movies_relpath(batch_id)
    formatted = {
        "RELEASED": F.date_format(F.col("RELEASED"), DATE_FORMAT),
        "LAST_UPDATED": F.date_format(F.col("LAST_UPDATED"), TIMESTAMP_FORMAT),
        "BATCH_ID": F.lit(batch_id),
        "SOURCE_FILE": F.lit(source_file),
    }
    return valid.select(*[formatted.get(c, F.col(c)).alias(c) for c in OUTPUT_COLUMNS])


def rejected_output(rejected, batch_id: str):
    """Rejected rows -> the rejected.csv columns (RECORD_KEY is the raw imdbID)."""
    F = api_for(rejected).F
    return rejected.select(
        F.lit(batch_id).alias("BATCH_ID"),
        F.lit(ENTITY).alias("ENTITY"),
        "RECORD_KEY", "RULE", "REASON", "RECORD",
        F.lit(rejected_relpath(batch_id)).alias("SOURCE_FILE"),
    )


def run_batch(session, raw_csv_path: str, out_root: str, batch_id: str) -> dict:
    """Cleanse, validate and write one batch; return the reconciliation.

    ``{"rows_in", "rows_out", "rows_rejected", "rejected_by_rule": {rule: n},
    "files": {"movies": relpath, "rejected": relpath}}`` with relpaths relative
    to ``out_root``; rows_in == rows_out + rows_rejected always holds (it is
    checked before returning). Re-running a batch replaces the same two files.
    """
    if not _BATCH_ID_RE.match(batch_id or ""):
        raise ValueError(f"batch_id {batch_id!r} must match {_BATCH_ID_RE.pattern}")
    spark = is_spark(session)
    if spark:
        # impossible dates become NULL instead of a SparkUpgradeException
        session.conf.set("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        # ~100 columns of staged string expressions: fused whole-stage code would
        # exceed the JVM 64 KB method limit (Spark then logs the failure and falls back)
        session.conf.set("spark.sql.codegen.wholeStage", "false")

    raw = read_raw(session, raw_csv_path)
    rows_in = raw.count()
    run_id = uuid.uuid4().hex[:12]
    cleansed_table, flagged_table = f"movies_cleansed_{run_id}", f"movies_flagged_{run_id}"
    cleansed = checkpoint(add_change_hash(cleanse(raw)), cleansed_table)
    flagged = checkpoint(flag_rules(cleansed), flagged_table)
    try:
        counts = {row[0]: int(row[1]) for row in flagged.groupBy(RULE).count().collect()}
        valid, rejected = split_flagged(flagged)
        movies_file = write_csv(movies_output(valid, batch_id), out_root, movies_relpath(batch_id),
                                order_by=["IMDB_ID", "SOURCE_ID"])
        rejected_file = write_csv(rejected_output(rejected, batch_id), out_root,
                                  rejected_relpath(batch_id), order_by=["RECORD_KEY", "RULE", "RECORD"])
    finally:
        release(flagged, flagged_table)
        release(cleansed, cleansed_table)
    rows_out = counts.pop(None, 0)
    rejected_by_rule = {rule: counts.get(rule, 0) for rule in RULES}
    unknown = set(counts) - set(RULES)
    if unknown:
        raise RuntimeError(f"rows flagged with unknown rules {sorted(unknown)}")
    rows_rejected = sum(rejected_by_rule.values())
    if rows_in != rows_out + rows_rejected:
        raise RuntimeError(f"reconciliation failed: {rows_in} rows in, {rows_out} out, {rows_rejected} rejected")
    return {
        "rows_in": rows_in,
        "rows_out": rows_out,
        "rows_rejected": rows_rejected,
        "rejected_by_rule": rejected_by_rule,
        "files": {"movies": movies_file, "rejected": rejected_file},
    }
