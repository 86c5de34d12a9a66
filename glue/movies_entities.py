"""The archive entities besides movies: long ratings, genres, people, and the deletes file.

Every function returns a frame with exactly the entity's columns
(``moviepipe.contract.archive.ENTITIES``) with values already formatted as
text the same way on both engines; ``movies_io.write_csv`` writes it.
"""

from __future__ import annotations

from moviepipe.contract.archive import DELETES_COLUMNS, PEOPLE_ROLES, archive_relpath, column_names
from movies_cleanse import LIST_COLUMNS, ROW_ORDER, clean_text, parse_timestamp, raw
from movies_engine import api_for
from movies_enrich import json_object
from movies_rules import IMDB_ID_PATTERN, REASON, RULE

TIMESTAMP_FORMAT = "yyyy-MM-dd HH:mm:ss"
DATE_FORMAT = "yyyy-MM-dd"

#: movie_ratings: source -> (movies score column, factor to 0-100, raw field, votes column).
RATINGS = {
    "IMDB": ("IMDB_RATING", 10, "imdbRating", "IMDB_VOTES"),
    "ROTTEN_TOMATOES": ("TOMATO_METER", 1, "tomatoMeter", "TOMATO_REVIEWS"),
    "ROTTEN_TOMATOES_AUDIENCE": ("TOMATO_USER_METER", 1, "tomatoUserMeter", "TOMATO_USER_REVIEWS"),
    "METACRITIC": ("METASCORE", 1, "Metascore", None),
}
#: A person's role note in OMDb lists ('Jonathan Nolan (screenplay)') is dropped from PERSON_NAME.
_ROLE_NOTE_RE = " *[(][^()]*[)]$"


def lineage(F, entity: str, batch_id: str) -> list:
    return [F.lit(batch_id).alias("BATCH_ID"), F.lit(archive_relpath(entity, batch_id)).alias("SOURCE_FILE")]


def timestamp_text(F, name: str):
    return F.date_format(F.col(name), TIMESTAMP_FORMAT)


def ratings_output(valid, batch_id: str):
    """One row per valid movie x rating source with a score, SCORE on 0-100 for every source."""
    F = api_for(valid).F
    parts = []
    for source, (score, factor, raw_field, votes) in RATINGS.items():
        scaled = (F.col(score) * F.lit(factor)).cast("decimal(5,1)")
        parts.append(valid.filter(F.col(score).isNotNull()).select(
            F.col("IMDB_ID"),
            F.lit(source).alias("RATING_SOURCE"),
            scaled.alias("SCORE"),
            F.col(raw(raw_field)).alias("RAW_VALUE"),
            (F.col(votes) if votes else F.lit(None).cast("bigint")).cast("bigint").alias("VOTES"),
            timestamp_text(F, "LAST_UPDATED").alias("LAST_UPDATED"),
            *lineage(F, "movie_ratings", batch_id),
        ))
    out = parts[0]
    for part in parts[1:]:
        out = out.unionByName(part)
    return out


def _exploded(valid, list_column: str, value_name: str, key_columns: list, clean=None):
    """One row per list item: key columns, the item, ORDINAL from 1 in source order.

    Items equal after cleaning are kept once (at their first position) and the
    ordinals renumbered, so (IMDB_ID[, ROLE], item) is a key of the output.
    """
    api = api_for(valid)
    F, Window = api.F, api.Window
    keys = [k for k, _ in key_columns]
    items = valid.select(
        *[expr.alias(k) for k, expr in key_columns], F.col("LAST_UPDATED"),
        F.posexplode(F.split(F.col(list_column), ", ")).alias("_POS", "_ITEM"),
    )
    value = clean(F, F.col("_ITEM")) if clean else F.col("_ITEM")
    items = items.select(*keys, "LAST_UPDATED", "_POS", value.alias(value_name)).filter(
        F.col(value_name).isNotNull())
    first = items.groupBy(*keys, value_name).agg(F.min("_POS").alias("_POS"),
                                                  F.max("LAST_UPDATED").alias("LAST_UPDATED"))
    ordinal = F.row_number().over(Window.partitionBy(*keys).orderBy(F.col("_POS")))
    return first.select(*keys, value_name, ordinal.alias("ORDINAL"), "LAST_UPDATED")


def genres_output(valid, batch_id: str):
    F = api_for(valid).F
    rows = _exploded(valid, "GENRES", "GENRE", [("IMDB_ID", F.col("IMDB_ID"))])
    return rows.select("IMDB_ID", "GENRE", "ORDINAL", timestamp_text(F, "LAST_UPDATED").alias("LAST_UPDATED"),
                       *lineage(F, "movie_genres", batch_id))


def _person_name(F, item):
    name = F.regexp_replace(item, _ROLE_NOTE_RE, "")
    return F.when(name != "", name)


def people_output(valid, batch_id: str):
    """Directors, writers and cast (``PEOPLE_ROLES``), role notes dropped from the names."""
    F = api_for(valid).F
    parts = []
    for role, raw_field in PEOPLE_ROLES.items():
        (list_column,) = [out for out, src in LIST_COLUMNS.items() if src == raw_field]
        parts.append(_exploded(valid, list_column, "PERSON_NAME",
                               [("IMDB_ID", F.col("IMDB_ID")), ("ROLE", F.lit(role))], clean=_person_name))
    rows = parts[0]
    for part in parts[1:]:
        rows = rows.unionByName(part)
    return rows.select("IMDB_ID", "ROLE", "PERSON_NAME", "ORDINAL",
                       timestamp_text(F, "LAST_UPDATED").alias("LAST_UPDATED"),
                       *lineage(F, "movie_people", batch_id))


# ---------------------------------------------------------------- deletes
def flag_deletes(deletes):
    """Raw deletes frame -> cleaned IMDB_ID / SOURCE_ID / DELETED_AT plus ``_RULE`` / ``_REASON``.

    Rules (``movies_rules.DELETES_RULES``): the imdbID format, a parsable
    deletedAt, and one row per imdbID (the latest deletedAt is kept, then the
    last row; the others are rejected naming the kept row).
    """
    api = api_for(deletes)
    F, Window = api.F, api.Window
    df = deletes.select("*", clean_text(F, F.col(raw("imdbID"))).alias("IMDB_ID"),
                        clean_text(F, F.col(raw("sourceId"))).alias("SOURCE_ID"),
                        clean_text(F, F.col(raw("deletedAt"))).alias("_C_DELETED_AT"))
    df = df.select("*", parse_timestamp(F, F.col("_C_DELETED_AT")).alias("DELETED_AT"))
    imdb_id = F.col("IMDB_ID")
    quoted = F.concat(F.lit("imdbID '"), F.col(raw("imdbID")), F.lit("'"))
    bad_id = imdb_id.isNull() | ~imdb_id.rlike(IMDB_ID_PATTERN)
    bad_time = F.col("DELETED_AT").isNull()
    rule = F.when(bad_id, F.lit("deletes_imdb_id_format")).when(bad_time, F.lit("deletes_deleted_at_required"))
    reason = F.when(bad_id, F.when(imdb_id.isNull(), F.lit("imdbID is missing")).otherwise(
        F.concat(quoted, F.lit(f" does not match {IMDB_ID_PATTERN}")))).when(bad_time, F.when(
            F.col("_C_DELETED_AT").isNull(), F.lit("deletedAt is missing")).otherwise(
            F.concat(F.lit("deletedAt '"), F.col(raw("deletedAt")), F.lit("' is not an ISO date or timestamp"))))
    df = df.select("*", rule.alias(RULE), reason.alias(REASON))
    df = df.withColumn("_CANDIDATE", F.when(F.col(RULE).isNull(), F.lit(1)).otherwise(F.lit(0)))
    group = ["IMDB_ID", "_CANDIDATE"]
    ranked = Window.partitionBy(*group).orderBy(F.col("DELETED_AT").desc(), F.col(ROW_ORDER).desc())
    whole = Window.partitionBy(*group)
    df = df.withColumn("_DUP_RANK", F.row_number().over(ranked)).withColumn(
        "_DUP_COUNT", F.count(F.lit(1)).over(whole)).withColumn(
        "_KEPT_AT", F.max(F.when(F.col("_DUP_RANK") == 1, F.date_format(F.col("DELETED_AT"), TIMESTAMP_FORMAT)))
        .over(whole))
    duplicate = (F.col("_CANDIDATE") == 1) & (F.col("_DUP_RANK") > 1)
    dup_reason = F.concat(quoted, F.lit(" appears "), F.col("_DUP_COUNT").cast("string"),
                          F.lit(" times in the deletes file; kept the row deleted at "), F.col("_KEPT_AT"),
                          F.lit(" (latest deletedAt, then last row)"))
    return df.select(
        *[F.col(raw(n)) for n in DELETES_COLUMNS], F.col(ROW_ORDER), "IMDB_ID", "SOURCE_ID", "DELETED_AT",
        F.when(duplicate, F.lit("deletes_duplicate_imdb_id")).otherwise(F.col(RULE)).alias(RULE),
        F.when(duplicate, dup_reason).otherwise(F.col(REASON)).alias(REASON),
    )


def deletes_output(flagged, batch_id: str):
    F = api_for(flagged).F
    return flagged.filter(F.col(RULE).isNull()).select(
        "IMDB_ID", "SOURCE_ID", timestamp_text(F, "DELETED_AT").alias("DELETED_AT"),
        *lineage(F, "movie_deletes", batch_id))


def deletes_rejected(flagged):
    """Rejected deletes rows: RECORD_KEY (raw imdbID), RULE, REASON, RECORD (raw row as JSON)."""
    F = api_for(flagged).F
    record = json_object(F, [(n, F.col(raw(n))) for n in DELETES_COLUMNS], skip_nulls=False)
    return flagged.filter(F.col(RULE).isNotNull()).select(
        F.col(raw("imdbID")).alias("RECORD_KEY"), F.col(RULE).alias("RULE"), F.col(REASON).alias("REASON"),
        record.alias("RECORD"))


def empty_like(session, entity: str):
    """A zero-row frame with the entity's columns (all strings), for a batch without that input."""
    api = api_for(session)
    T = api.T
    schema = T.StructType([T.StructField(c, T.StringType(), True) for c in column_names(entity)])
    return session.createDataFrame([], schema)

