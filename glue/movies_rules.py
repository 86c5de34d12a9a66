"""Named validation rules: every row is either valid or rejected once, never dropped.

A row failing several rules is rejected with the first rule in ``RULES`` order.
``duplicate_imdb_id`` runs last and only among rows that passed every other
rule, so a broken newer copy never pushes out a good older one. The deletes
file has its own rules (``DELETES_RULES``), reported under ENTITY
``movie_deletes``.
"""

from __future__ import annotations

from movies_cleanse import (
    DATE_COLUMNS, NUMBER_COLUMNS, OUTPUT_COLUMNS, ROW_ORDER, RUNTIME_RANGE, TYPES, YEAR_RANGE, cleaned, raw,
    wide,
)
from movies_engine import api_for, plan_break
from movies_enrich import RawLayout, record_json

IMDB_ID_PATTERN = "^tt[0-9]{7,10}$"

#: Rule names in evaluation order (the first failing rule is the one reported).
RULES: tuple[str, ...] = (
    "imdb_id_format",
    "title_required",
    "last_updated_required",
    "value_format",
    "year_range",
    "runtime_range",
    "score_range",
    "value_range",
    "duplicate_imdb_id",
)
#: Rules of the deletes file (rows of ENTITY movie_deletes in rejected.csv).
DELETES_RULES: tuple[str, ...] = (
    "deletes_imdb_id_format",
    "deletes_deleted_at_required",
    "deletes_duplicate_imdb_id",
)

#: Fields whose non-empty raw text must parse: raw name -> (checked column, what it must be).
FORMAT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("Year", wide("YEAR"), "a year or a year range"),
    *[(src, out, "a date") for out, src in DATE_COLUMNS.items()],
    ("Runtime", wide("RUNTIME_MINUTES"), "a number of minutes"),
    ("Type", "TYPE", "one of " + ", ".join(TYPES)),
) + tuple((src, wide(out), "a number") for out, (src, _, _, _, _) in NUMBER_COLUMNS.items())

RULE = "_RULE"
REASON = "_REASON"
#: Output columns a flagged frame carries (lineage columns are added at write time).
FLAGGED_OUTPUTS = tuple(c for c in OUTPUT_COLUMNS if c not in ("BATCH_ID", "SOURCE_FILE"))


def _quoted(F, name: str):
    """"<name> '<raw value>'" for reasons (raw text as received)."""
    return F.concat(F.lit(f"{name} '"), F.col(raw(name)), F.lit("'"))


def _bad_columns(F):
    """Stage 1: one boolean column per checked field (so conditions are not repeated inline)."""
    bad = {}
    for src, checked, _ in FORMAT_FIELDS:
        bad["_BADFMT_" + src] = F.col(cleaned(src)).isNotNull() & F.col(checked).isNull()
    for out in NUMBER_COLUMNS:
        # narrow_number nulled the out-of-range values
        bad["_BADRANGE_" + out] = F.col(wide(out)).isNotNull() & F.col(out).isNull()
    return bad


def _range_rule(F, rule: str, any_of):
    """(rule, failed, reason) over the NUMBER_COLUMNS that ``rule`` guards."""
    guarded = [(out, src, low, high) for out, (src, _, low, high, r) in NUMBER_COLUMNS.items() if r == rule]
    return (rule, *any_of(
        [F.col("_BADRANGE_" + out) for out, _, _, _ in guarded],
        [F.concat(_quoted(F, src), F.lit(f" is outside {low}..{high}")) for _, src, low, high in guarded],
    ))


def _checks(F):
    """[(rule, failed condition, reason)] for all rules but duplicate_imdb_id (stage 2)."""
    imdb_id = F.col("IMDB_ID")
    checks = [
        ("imdb_id_format",
         imdb_id.isNull() | ~imdb_id.rlike(IMDB_ID_PATTERN),
         F.when(imdb_id.isNull(), F.lit("imdbID is missing")).otherwise(
             F.concat(_quoted(F, "imdbID"), F.lit(f" does not match {IMDB_ID_PATTERN}")))),
        ("title_required", F.col("TITLE").isNull(), F.lit("Title is missing")),
        ("last_updated_required",
         F.col("LAST_UPDATED").isNull(),
         F.when(F.col(cleaned("lastUpdated")).isNull(), F.lit("lastUpdated is missing"))
         .otherwise(F.concat(_quoted(F, "lastUpdated"), F.lit(" is not an ISO date or timestamp")))),
    ]

    def any_of(flags, texts):
        fail = None
        why = None
        for flag, text in zip(flags, texts):
            fail = flag if fail is None else fail | flag
            why = F.when(flag, text) if why is None else why.when(flag, text)
        return fail, why

    checks.append(("value_format", *any_of(
        [F.col("_BADFMT_" + src) for src, _, _ in FORMAT_FIELDS],
        [F.concat(_quoted(F, src), F.lit(f" is not {what}")) for src, _, what in FORMAT_FIELDS],
    )))

    def outside(col, low, high):
        return col.isNotNull() & ((col < F.lit(low)) | (col > F.lit(high)))

    year_lo, year_hi = YEAR_RANGE
    year, year_end = F.col(wide("YEAR")), F.col(wide("YEAR_END"))
    checks.append(("year_range", *any_of(
        [outside(year, year_lo, year_hi), outside(year_end, year_lo, year_hi),
         year_end.isNotNull() & year.isNotNull() & (year_end < year)],
        [F.concat(_quoted(F, "Year"), F.lit(f" is outside {year_lo}..{year_hi}")),
         F.concat(_quoted(F, "Year"), F.lit(f" ends outside {year_lo}..{year_hi}")),
         F.concat(_quoted(F, "Year"), F.lit(" ends before it starts"))],
    )))
    run_lo, run_hi = RUNTIME_RANGE
    whole_minutes = F.floor(F.col(wide("RUNTIME_MINUTES")))
    checks.append(("runtime_range", outside(whole_minutes, run_lo, run_hi),
                   F.concat(_quoted(F, "Runtime"), F.lit(f" is outside {run_lo}..{run_hi} minutes"))))
    checks.append(_range_rule(F, "score_range", any_of))
    checks.append(_range_rule(F, "value_range", any_of))
    return checks


def flag_rules(df, layout: RawLayout):
    """Add ``_RULE`` / ``_REASON`` (NULL for valid rows) to a cleansed frame."""
    api = api_for(df)
    F, Window = api.F, api.Window
    df = plan_break(df.select("*", *[expr.alias(name) for name, expr in _bad_columns(F).items()]))
    checks = _checks(F)
    df = plan_break(df.select("*", *[failed.alias("_FAIL_" + name) for name, failed, _ in checks]))
    rule = None
    reason = None
    for name, _, why in checks:
        failed = F.col("_FAIL_" + name)
        rule = F.when(failed, F.lit(name)) if rule is None else rule.when(failed, F.lit(name))
        reason = F.when(failed, why) if reason is None else reason.when(failed, why)
    df = plan_break(df.select("*", rule.alias(RULE), reason.alias(REASON)))

    # duplicate_imdb_id among the rows that passed every other rule
    df = df.withColumn("_CANDIDATE", F.when(F.col(RULE).isNull(), F.lit(1)).otherwise(F.lit(0)))
    group = ["IMDB_ID", "_CANDIDATE"]
    ranked = Window.partitionBy(*group).orderBy(
        F.col("LAST_UPDATED").desc(), F.col("_SOURCE_NUM").desc_nulls_last(), F.col(ROW_ORDER).desc()
    )
    whole = Window.partitionBy(*group)
    df = plan_break(df.select("*", F.row_number().over(ranked).alias("_DUP_RANK"),
                              F.count(F.lit(1)).over(whole).alias("_DUP_COUNT")))
    df = df.withColumn(
        "_KEPT_SOURCE_ID",
        F.max(F.when(F.col("_DUP_RANK") == 1, F.coalesce(F.col("SOURCE_ID"), F.lit("NULL")))).over(whole),
    )
    duplicate = (F.col("_CANDIDATE") == 1) & (F.col("_DUP_RANK") > 1)
    dup_reason = F.concat(
        _quoted(F, "imdbID"), F.lit(" appears "), F.col("_DUP_COUNT").cast("string"),
        F.lit(" times in the batch; kept sourceId "), F.col("_KEPT_SOURCE_ID"),
        F.lit(" (latest lastUpdated, then highest sourceId, then last row)"),
    )
    keep = [*layout.carried, ROW_ORDER, *FLAGGED_OUTPUTS]
    return df.select(
        *[F.col(c) for c in keep],
        F.when(duplicate, F.lit("duplicate_imdb_id")).otherwise(F.col(RULE)).alias(RULE),
        F.when(duplicate, dup_reason).otherwise(F.col(REASON)).alias(REASON),
    )


def split_flagged(df, layout: RawLayout):
    """Flagged frame -> (valid rows, rejected rows with RECORD_KEY, RULE, REASON, RECORD)."""
    F = api_for(df).F
    valid = df.filter(F.col(RULE).isNull())
    rejected = df.filter(F.col(RULE).isNotNull()).select(
        F.col(raw("imdbID")).alias("RECORD_KEY"),
        F.col(RULE).alias("RULE"),
        F.col(REASON).alias("REASON"),
        record_json(F, layout).alias("RECORD"),
        F.col(ROW_ORDER),
    )
    return valid, rejected

