"""The Glue movies transform: one raw batch -> the archive entities Snowpipe loads.

Plain DataFrame functions that run unchanged on PySpark 3.5 (AWS Glue 5.0, or
local) and on sqlframe over DuckDB (the local default, no JVM):

    discover(session, raw_csv, batch_id) -> manifest, deletes file   (movies_batch)
    read_raw(session, path) -> raw frame + layout                      (movies_io)
    cleanse(raw) -> typed; enrich(typed, layout) -> + derived, hashes  (movies_cleanse, movies_enrich)
    flag_rules / split_flagged -> valid, rejected                      (movies_rules)
    ratings / genres / people / deletes outputs                        (movies_entities)
    write_csv_counted(frame, out_root, relpath) -> rows written         (movies_io)

``run_batch`` chains them and writes every entity of
``moviepipe.contract.archive.ENTITIES`` at ``archive_relpath(entity, batch_id)``,
each even when empty (header only), replacing the files of an earlier run.
"""

from __future__ import annotations

import os

import re
import uuid

from moviepipe.contract.archive import ENTITIES, archive_relpath, column_names
from movies_batch import check_count, check_header, discover
from movies_cleanse import DATE_COLUMNS, OUTPUT_COLUMNS, cleanse
from movies_engine import api_for, checkpoint, drop_plan_breaks, is_spark, release
from movies_enrich import enrich
from movies_entities import (
    DATE_FORMAT, TIMESTAMP_FORMAT, deletes_output, deletes_rejected, empty_like, flag_deletes, genres_output,
    people_output, ratings_output,
)
from movies_io import read_deletes, read_raw, write_csv_counted
from movies_rules import DELETES_RULES, RULE, RULES, flag_rules, split_flagged

_BATCH_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
#: Row order of each file (with the columns' NULLs first): deterministic bytes on both engines.
ORDER_BY = {
    "movies": ["IMDB_ID"],
    "movie_ratings": ["IMDB_ID", "RATING_SOURCE"],
    "movie_genres": ["IMDB_ID", "ORDINAL"],
    "movie_people": ["IMDB_ID", "ROLE", "ORDINAL"],
    "movie_deletes": ["IMDB_ID"],
    "rejected": ["ENTITY", "RECORD_KEY", "RULE", "RECORD"],
}

__all__ = ["run_batch", "RULES", "DELETES_RULES", "OUTPUT_COLUMNS"]


def movies_output(valid, batch_id: str):
    """Valid rows -> the movies.csv columns, dates and timestamps formatted as text."""
    F = api_for(valid).F
    formatted = {
        **{name: F.date_format(F.col(name), DATE_FORMAT) for name in DATE_COLUMNS},
        "LAST_UPDATED": F.date_format(F.col("LAST_UPDATED"), TIMESTAMP_FORMAT),
        "BATCH_ID": F.lit(batch_id),
        "SOURCE_FILE": F.lit(archive_relpath("movies", batch_id)),
    }
    return valid.select(*[formatted.get(c, F.col(c)).alias(c) for c in OUTPUT_COLUMNS])


def rejected_output(rejected, entity: str, batch_id: str):
    F = api_for(rejected).F
    return rejected.select(
        F.lit(batch_id).alias("BATCH_ID"), F.lit(entity).alias("ENTITY"), "RECORD_KEY", "RULE", "REASON",
        "RECORD", F.lit(archive_relpath("rejected", batch_id)).alias("SOURCE_FILE"),
    )


def _rule_counts(flagged) -> dict:
    return {row[0]: int(row[1]) for row in flagged.groupBy(RULE).count().collect()}


def _configure(session) -> None:
    if is_spark(session):
        # impossible dates become NULL instead of a SparkUpgradeException
        session.conf.set("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        # ~150 columns of staged string expressions: fused whole-stage code would
        # exceed the JVM 64 KB method limit (Spark then logs the failure and falls back)
        session.conf.set("spark.sql.codegen.wholeStage", "false")


def run_batch(session, raw_csv_path: str, out_root: str, batch_id: str, *, require_manifest: bool = False) -> dict:
    """Cleanse, validate, enrich and write one batch; return the reconciliation.

    ``{"rows_in", "rows_out", "rows_rejected", "rejected_by_rule": {rule: n},
    "files": {entity: relpath}, "entities": {entity: rows}}``. rows_* count
    movies only (rows_in == rows_out + rows_rejected is checked before
    returning); the deletes file is counted in ``entities["movie_deletes"]``
    and its rejects under ``DELETES_RULES``. The manifest beside the raw CSV,
    when there is one, is validated and its row counts are checked;
    ``require_manifest=True`` makes a missing manifest a ``ContractError``.
    """
    if not _BATCH_ID_RE.match(batch_id or ""):
        raise ValueError(f"batch_id {batch_id!r} must match {_BATCH_ID_RE.pattern}")
    _configure(session)
    inputs = discover(session, raw_csv_path, batch_id, require_manifest=require_manifest)

    raw, layout = read_raw(session, raw_csv_path)
    check_header(raw_csv_path, layout.header, inputs)
    run_id = uuid.uuid4().hex[:12]
    tables = {name: f"movies_{name}_{run_id}" for name in ("raw", "cleansed", "flagged", "deletes")}
    raw = checkpoint(raw, tables["raw"])
    frames = {"raw": raw}
    try:
        rows_in = raw.count()
        check_count(raw_csv_path, rows_in, inputs.expected_rows)
        # checkpoints keep each plan small: sqlframe copies the whole expression tree on every step
        # read once (by flag_rules): locally a view, so the ~200 typed columns are not stored twice
        cleansed = frames["cleansed"] = checkpoint(enrich(cleanse(raw), layout, inputs.column_types),
                                                   tables["cleansed"], local_view=True)
        flagged = frames["flagged"] = checkpoint(flag_rules(cleansed, layout), tables["flagged"])
        counts = _rule_counts(flagged)
        valid, rejected = split_flagged(flagged, layout)

        if inputs.deletes_csv:
            deletes_raw = read_deletes(session, inputs.deletes_csv)
            deletes = frames["deletes"] = checkpoint(flag_deletes(deletes_raw), tables["deletes"])
            deletes_in = deletes.count()
            check_count(inputs.deletes_csv, deletes_in, inputs.expected_deletes)
            delete_counts = _rule_counts(deletes)
            deletes_frame = deletes_output(deletes, batch_id)
            rejected_frame = rejected_output(rejected, "movies", batch_id).unionByName(
                rejected_output(deletes_rejected(deletes), "movie_deletes", batch_id))
        else:
            deletes_in, delete_counts = 0, {}
            deletes_frame = empty_like(session, "movie_deletes")
            rejected_frame = rejected_output(rejected, "movies", batch_id)

        outputs = {
            "movies": movies_output(valid, batch_id),
            "movie_ratings": ratings_output(valid, batch_id),
            "movie_genres": genres_output(valid, batch_id),
            "movie_people": people_output(valid, batch_id),
            "movie_deletes": deletes_frame,
            "rejected": rejected_frame,
        }
        files, entities = {}, {}
        for entity, frame in outputs.items():
            if tuple(frame.columns) != column_names(entity):  # a guard against drift from the contract
                raise RuntimeError(f"{entity}: columns {frame.columns} differ from the archive contract")
            files[entity], entities[entity] = write_csv_counted(frame, out_root, archive_relpath(entity, batch_id),
                                                                order_by=ORDER_BY[entity])
            if len(files) == 2 and os.environ.get("MOVIEPIPE_FAULT") == "transform:mid":  # tests: a crash mid-write (moviepipe.faults)
                os.write(2, b"moviepipe fault injected at transform:mid\n"), os._exit(137)
    finally:
        drop_plan_breaks(session)  # views over the checkpoint tables: dropped first
        for name, frame in frames.items():
            release(frame, tables[name])

    return _reconcile(rows_in, deletes_in, counts, delete_counts, files, entities)


def _reconcile(rows_in: int, deletes_in: int, counts: dict, delete_counts: dict, files: dict,
               entities: dict) -> dict:
    rows_out = counts.pop(None, 0)
    deletes_out = delete_counts.pop(None, 0)
    unknown = (set(counts) - set(RULES)) | (set(delete_counts) - set(DELETES_RULES))
    if unknown:
        raise RuntimeError(f"rows flagged with unknown rules {sorted(unknown)}")
    rejected_by_rule = {rule: counts.get(rule, 0) for rule in RULES}
    rejected_by_rule.update({rule: delete_counts.get(rule, 0) for rule in DELETES_RULES})
    rows_rejected = sum(counts.values())
    deletes_rejected_n = sum(delete_counts.values())
    problems = []
    if rows_in != rows_out + rows_rejected:
        problems.append(f"{rows_in} movie rows in, {rows_out} out, {rows_rejected} rejected")
    if deletes_in != deletes_out + deletes_rejected_n:
        problems.append(f"{deletes_in} deletes in, {deletes_out} out, {deletes_rejected_n} rejected")
    if entities["movies"] != rows_out or entities["movie_deletes"] != deletes_out \
            or entities["rejected"] != rows_rejected + deletes_rejected_n:
        problems.append(f"written rows {entities} disagree with the rule counts")
    if problems:
        raise RuntimeError("reconciliation failed: " + "; ".join(problems))
    assert set(files) == set(ENTITIES)
    return {
        "rows_in": rows_in,
        "rows_out": rows_out,
        "rows_rejected": rows_rejected,
        "rejected_by_rule": rejected_by_rule,
        "files": files,
        "entities": entities,
    }
