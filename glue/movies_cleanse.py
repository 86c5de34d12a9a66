"""Cleansing of raw OMDb-shaped movie rows into typed columns, and the change hash.

Portable PySpark DataFrame code: it runs unchanged on PySpark 3.5 (AWS Glue 5)
and on sqlframe over DuckDB. It keeps to the verified portable subset: strings
are cast only after an ``rlike`` check, floats become integers through
``floor``, dates are parsed only from strings already normalised to an exact
ISO shape, and numbers are hashed as ``decimal(20,4)`` text.

Column naming: raw input columns are carried as ``raw_<OMDb name>`` (empty
strings already NULL), output columns are upper case, and helper columns start
with ``_`` (``_W_<OUT>`` holds the wide ``decimal(20,4)`` value of a number
before its range is checked). Raw and output names never collide, even under
case-insensitive resolution.
"""

from __future__ import annotations

from movies_engine import api_for

#: Raw contract columns (``moviepipe.contract.RAW_COLUMNS``; a test keeps the two in step).
RAW_COLUMNS: tuple[str, ...] = (
    "imdbID", "Title", "Year", "Rated", "Released", "Runtime", "Genre", "Director", "Writer",
    "Actors", "Plot", "Language", "Country", "Awards", "Poster", "Metascore", "imdbRating",
    "imdbVotes", "Type", "DVD", "BoxOffice", "Production", "Website", "tomatoMeter",
    "tomatoRating", "tomatoReviews", "tomatoFresh", "tomatoRotten", "tomatoUserMeter",
    "tomatoUserRating", "tomatoUserReviews", "tomatoConsensus", "tomatoImage", "lastUpdated",
)
#: Extra source columns (``moviepipe.contract.EXTRA_COLUMNS``).
EXTRA_COLUMNS: tuple[str, ...] = ("sourceId", "Oscars")
#: The raw file header, in file order.
INPUT_COLUMNS: tuple[str, ...] = RAW_COLUMNS + EXTRA_COLUMNS

RAW_PREFIX = "raw_"
ROW_ORDER = "_ROW_ORDER"

#: movies.csv columns, in file order.
OUTPUT_COLUMNS: tuple[str, ...] = (
    "IMDB_ID", "SOURCE_ID", "TITLE", "YEAR", "RATED", "RELEASED", "RELEASED_PRECISION",
    "RUNTIME_MINUTES", "GENRES", "DIRECTOR", "WRITER", "ACTORS", "LANGUAGE", "COUNTRY",
    "AWARDS", "PRODUCTION", "WEBSITE", "OSCARS", "METASCORE", "IMDB_RATING", "IMDB_VOTES",
    "TOMATO_METER", "TOMATO_RATING", "TOMATO_REVIEWS", "TOMATO_USER_METER",
    "TOMATO_USER_RATING", "BOX_OFFICE", "LAST_UPDATED", "CHANGE_HASH", "BATCH_ID", "SOURCE_FILE",
)
HASH_EXCLUDED = frozenset({"LAST_UPDATED", "CHANGE_HASH", "BATCH_ID", "SOURCE_FILE", "SOURCE_ID"})
#: Business columns the change hash covers, in this order.
HASH_COLUMNS: tuple[str, ...] = tuple(c for c in OUTPUT_COLUMNS if c not in HASH_EXCLUDED)
HASH_SEPARATOR = "\u001f"  # unit separator: never in cleansed text
HASH_NULL = "\u001e"  # record separator: the NULL token, distinct from any text

#: Plain text columns: output -> raw.
TEXT_COLUMNS = {
    "IMDB_ID": "imdbID", "SOURCE_ID": "sourceId", "TITLE": "Title",
    "AWARDS": "Awards", "PRODUCTION": "Production", "WEBSITE": "Website",
}
#: Comma-separated list columns: output -> raw.
LIST_COLUMNS = {
    "GENRES": "Genre", "DIRECTOR": "Director", "WRITER": "Writer",
    "ACTORS": "Actors", "LANGUAGE": "Language", "COUNTRY": "Country",
}
#: Numbers: output -> (raw, SQL type, lowest, highest). The bounds are what the
#: RAW.MOVIES column types hold; a value outside is rejected (rule value_range).
NUMBER_COLUMNS = {
    "OSCARS": ("Oscars", "int", "0", "9999"),
    "METASCORE": ("Metascore", "int", "0", "100"),
    "IMDB_RATING": ("imdbRating", "decimal(4,1)", "0", "10"),
    "IMDB_VOTES": ("imdbVotes", "bigint", "0", "999999999999"),
    "TOMATO_METER": ("tomatoMeter", "int", "0", "100"),
    "TOMATO_RATING": ("tomatoRating", "decimal(4,1)", "0", "10"),
    "TOMATO_REVIEWS": ("tomatoReviews", "int", "0", "999999999"),
    "TOMATO_USER_METER": ("tomatoUserMeter", "int", "0", "100"),
    "TOMATO_USER_RATING": ("tomatoUserRating", "decimal(4,1)", "0", "10"),
    "BOX_OFFICE": ("BoxOffice", "decimal(16,2)", "0", "99999999999999.99"),
}
YEAR_RANGE = (1870, 2035)
RUNTIME_RANGE = (1, 1000)
INTEGER_OUTPUTS = frozenset(
    {"YEAR", "RUNTIME_MINUTES"} | {k for k, v in NUMBER_COLUMNS.items() if v[1] in ("int", "bigint")}
)
DECIMAL_OUTPUTS = frozenset(k for k, v in NUMBER_COLUMNS.items() if v[1].startswith("decimal"))
NOT_RATED = ("NOT RATED", "UNRATED", "NR")

_WS = "[ \t\r\n]"
_NUMBER_RE = r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$"
_EXPONENT_RE = r"^-?[0-9]{1,15}(\.[0-9]{1,15})?[eE][+-]?[0-9]{1,2}$"
_YEAR_RE = r"^[0-9]{4}(\.0+)?$|^[0-9]{4} *[–-] *([0-9]{4})?$"
_ISO_DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_ISO_DATE_PREFIX_RE = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[ T][0-9]{2}:[0-9]{2}"
_OMDB_DATE_RE = r"^([0-9]{1,2}) ([A-Za-z]{3}) ([0-9]{4})$"
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
#: ISO date or timestamp; fractions and a zone suffix are accepted and dropped.
_TIMESTAMP_RE = (
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})([ T]([0-9]{2}):([0-9]{2})(:([0-9]{2}))?([.][0-9]{1,9})?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?$"
)


def raw(name: str) -> str:
    """Column name under which raw field ``name`` is carried."""
    return RAW_PREFIX + name


def wide(out: str) -> str:
    """Helper column with the wide decimal(20,4) value of numeric output ``out``."""
    return "_W_" + out


# ---------------------------------------------------------------- expressions
# Each helper builds one small expression from column expressions. cleanse()
# applies them in stages (one select per stage) so no expression nests another
# many times over: Spark's generated code stays under the JVM's 64 KB method
# limit and sqlglot has small trees to plan for DuckDB.
def trim_ws(F, col):
    """Strip spaces, tabs and newlines at both ends."""
    return F.regexp_replace(col, f"^{_WS}+|{_WS}+$", "")


def null_if_blank(F, col):
    """'' and 'N/A' (any case) -> NULL."""
    return F.when(~F.upper(col).isin("", "N/A"), col)


def clean_text(F, col):
    """Trim; '' and 'N/A' become NULL."""
    return null_if_blank(F, trim_ws(F, col))


def list_collapse(F, text):
    """Step 1 of a comma list: every run of separators/blanks/empty items -> ', '."""
    return F.regexp_replace(text, f"{_WS}*,[ \t\r\n,]*", ", ")


def list_strip(F, collapsed):
    """Step 2 of a comma list: drop a leading or trailing ', '; '' -> NULL."""
    t = F.regexp_replace(collapsed, "^, |, $", "")
    return F.when(t != "", t)


def clean_list(F, text):
    """'Drama ,, Crime ,' -> 'Drama, Crime' (cleaned text in; for ad-hoc use and tests)."""
    return list_strip(F, list_collapse(F, text))


def clean_rated(F, text):
    """Upper-case MPAA rating; 'Not Rated' / 'Unrated' / 'NR' -> 'NOT RATED' (cleaned text in)."""
    t = F.upper(text)
    return F.when(t.isin(*NOT_RATED), F.lit("NOT RATED")).otherwise(t)


def number_text(F, text, *, money: bool = False, counts: bool = False, minutes: bool = False):
    """Strip decorations: money '$1,234' -> '1234', counts '2,345,678', minutes '148 min' -> '148'."""
    t = text
    if money:
        t = F.regexp_replace(t, "[$, ]", "")
    elif counts:
        t = F.regexp_replace(t, ",", "")
    if minutes:
        t = F.regexp_replace(t, " *min$", "")
    return t


def parse_wide_number(F, t):
    """Number text -> decimal(20,4); NULL when it is not a number.

    Plain decimals are cast directly; exponent forms ('2.85e9') go through a
    double, only when small enough for decimal(20,4). Nothing is cast before
    an rlike check (DuckDB raises where Spark returns NULL).
    """
    is_exponent = t.rlike(_EXPONENT_RE)
    as_double = F.when(is_exponent, t).cast("double")
    return F.when(t.rlike(_NUMBER_RE), t.cast("decimal(20,4)")).when(
        is_exponent & (F.abs(as_double) < F.lit(1e15)), as_double.cast("decimal(20,4)")
    )


def narrow_number(F, wide_col, sql_type: str, low: str, high: str):
    """Wide decimal -> the output type when within [low, high], else NULL (never an overflow)."""
    lo = F.lit(low).cast("decimal(20,4)")
    hi = F.lit(high).cast("decimal(20,4)")
    if sql_type in ("int", "bigint"):
        whole = F.floor(wide_col)
        return F.when((whole >= lo) & (whole <= hi), whole.cast(sql_type))
    return F.when((wide_col >= lo) & (wide_col <= hi), wide_col.cast(sql_type))


def parse_year(F, text):
    """'1994', '1994.0', '1967–1987', '2010–' -> the (start) year as decimal(20,4); else NULL."""
    return F.when(text.rlike(_YEAR_RE), F.substring(text, 1, 4).cast("decimal(20,4)"))


def iso_date_text(F, text):
    """'2009-01-19', '2009-01-19T00:00:00' or OMDb '16 Jul 2010' -> 'yyyy-MM-dd' text; else NULL."""
    month = F.upper(F.regexp_extract(text, _OMDB_DATE_RE, 2))
    month_number = None
    for number, name in enumerate(_MONTHS, start=1):
        value = F.lit(f"{number:02d}")
        month_number = (F.when(month == name, value) if month_number is None
                        else month_number.when(month == name, value))
    omdb = F.concat(
        F.regexp_extract(text, _OMDB_DATE_RE, 3), F.lit("-"), month_number, F.lit("-"),
        F.lpad(F.regexp_extract(text, _OMDB_DATE_RE, 1), 2, "0"),
    )
    return (
        F.when(text.rlike(_ISO_DATE_RE), text)
        .when(text.rlike(_ISO_DATE_PREFIX_RE), F.regexp_extract(text, _ISO_DATE_PREFIX_RE, 1))
        .when(text.rlike(_OMDB_DATE_RE), omdb)
    )


def date_from_iso(F, iso):
    """'yyyy-MM-dd' text -> date; NULL for impossible dates (2010-02-30)."""
    return F.to_date(F.coalesce(F.when(iso.isNotNull(), F.try_to_timestamp(iso, F.lit("yyyy-MM-dd")))))


def parse_date(F, text):
    """Any accepted date text -> date (single expression; cleanse() stages the two steps)."""
    return date_from_iso(F, iso_date_text(F, text))


def timestamp_text(F, text):
    """ISO date or timestamp ('2026-10-18', '2026-10-18 10:11', '...T10:11:12.5Z') -> 'yyyy-MM-dd HH:mm:ss'.

    Fractional seconds and a zone suffix are dropped (the wall time is kept as is).
    """
    def part(i):
        return F.regexp_extract(text, _TIMESTAMP_RE, i)

    def or_zero(c):
        return F.when(c == "", F.lit("00")).otherwise(c)

    return F.when(
        text.rlike(_TIMESTAMP_RE),
        F.concat(part(1), F.lit(" "), or_zero(part(3)), F.lit(":"), or_zero(part(4)), F.lit(":"),
                 or_zero(part(6))),
    )


def timestamp_from_text(F, norm):
    """'yyyy-MM-dd HH:mm:ss' text -> timestamp; NULL for impossible values."""
    return F.coalesce(F.when(norm.isNotNull(), F.try_to_timestamp(norm, F.lit("yyyy-MM-dd HH:mm:ss"))))


def parse_timestamp(F, text):
    return timestamp_from_text(F, timestamp_text(F, text))


# ---------------------------------------------------------------- frames
def _cleanse_keep() -> tuple[str, ...]:
    outputs = [c for c in OUTPUT_COLUMNS
               if c not in ("RELEASED_PRECISION", "CHANGE_HASH", "BATCH_ID", "SOURCE_FILE")]
    helpers = [wide(c) for c in ("YEAR", "RUNTIME_MINUTES", *NUMBER_COLUMNS)] + ["_SOURCE_NUM"]
    checked_text = [cleaned(n) for n in ("Year", "Released", "Runtime", "lastUpdated")]
    checked_text += [cleaned(src) for src, _, _, _ in NUMBER_COLUMNS.values()]
    return (*[raw(n) for n in INPUT_COLUMNS], ROW_ORDER, *outputs, *helpers, *checked_text)


def cleaned(name: str) -> str:
    """Helper column with the cleaned (trimmed, N/A -> NULL) text of raw field ``name``."""
    return "_C_" + name


def _stage(df, cols: dict):
    return df.select("*", *[expr.alias(name) for name, expr in cols.items()])


CLEANSE_KEEP: tuple[str, ...] = ()  # set below, once cleaned() exists


def cleanse(df):
    """Raw frame (``raw_*`` string columns, ``_ROW_ORDER``) -> typed output columns added.

    Adds every OUTPUT_COLUMNS entry except CHANGE_HASH / BATCH_ID / SOURCE_FILE,
    plus helpers for the rules: ``_C_<raw>`` cleaned text, ``_W_<OUT>`` wide
    numbers and ``_SOURCE_NUM`` (numeric sourceId or NULL). Numbers outside
    their range are NULL here; ``movies_rules`` rejects those rows.
    """
    F = api_for(df).F
    col = F.col
    df = _stage(df, {"_T_" + n: trim_ws(F, col(raw(n))) for n in INPUT_COLUMNS})
    df = _stage(df, {cleaned(n): null_if_blank(F, col("_T_" + n)) for n in INPUT_COLUMNS})

    prepared = {"_L_" + out: list_collapse(F, col(cleaned(src))) for out, src in LIST_COLUMNS.items()}
    for out, (src, _, _, _) in NUMBER_COLUMNS.items():
        money = out == "BOX_OFFICE"
        prepared["_N_" + out] = number_text(F, col(cleaned(src)), money=money, counts=not money)
    prepared["_N_RUNTIME_MINUTES"] = number_text(F, col(cleaned("Runtime")), minutes=True)
    prepared["_ISO_RELEASED"] = iso_date_text(F, col(cleaned("Released")))
    prepared["_TS_LAST_UPDATED"] = timestamp_text(F, col(cleaned("lastUpdated")))
    df = _stage(df, prepared)

    parsed = {out: col(cleaned(src)) for out, src in TEXT_COLUMNS.items()}
    parsed.update({out: list_strip(F, col("_L_" + out)) for out in LIST_COLUMNS})
    parsed["RATED"] = clean_rated(F, col(cleaned("Rated")))
    for out in list(NUMBER_COLUMNS) + ["RUNTIME_MINUTES"]:
        parsed[wide(out)] = parse_wide_number(F, col("_N_" + out))
    parsed[wide("YEAR")] = parse_year(F, col(cleaned("Year")))
    parsed["RELEASED"] = date_from_iso(F, col("_ISO_RELEASED"))
    parsed["LAST_UPDATED"] = timestamp_from_text(F, col("_TS_LAST_UPDATED"))
    source_id = col(cleaned("sourceId"))
    parsed["_SOURCE_NUM"] = F.when(source_id.rlike("^[0-9]{1,18}$"), source_id.cast("bigint"))
    df = _stage(df, parsed)

    year_lo, year_hi = YEAR_RANGE
    run_lo, run_hi = RUNTIME_RANGE
    typed = {
        "YEAR": narrow_number(F, col(wide("YEAR")), "int", str(year_lo), str(year_hi)),
        "RUNTIME_MINUTES": narrow_number(F, col(wide("RUNTIME_MINUTES")), "int", str(run_lo), str(run_hi)),
    }
    for out, (_, sql_type, low, high) in NUMBER_COLUMNS.items():
        typed[out] = narrow_number(F, col(wide(out)), sql_type, low, high)
    df = _stage(df, typed)

    released = col("RELEASED")
    precision = F.when(
        released.isNotNull(),
        F.when((F.month(released) == 1) & (F.dayofmonth(released) == 1)
               & (F.year(released) == col("YEAR")), F.lit("year")).otherwise(F.lit("day")),
    )
    return df.select(*[col(c) for c in CLEANSE_KEEP], precision.alias("RELEASED_PRECISION"))


def hash_text(F, name: str):
    """The text of output column ``name`` inside the change hash (same on both engines)."""
    col = F.col(name)
    if name in INTEGER_OUTPUTS or name in DECIMAL_OUTPUTS:
        return col.cast("decimal(20,4)").cast("string")
    if name == "RELEASED":
        return F.date_format(col, "yyyy-MM-dd")
    return col


def add_change_hash(df):
    """Add CHANGE_HASH: SHA-256 hex of HASH_COLUMNS joined by U+001F, NULL as U+001E."""
    F = api_for(df).F
    parts = [F.coalesce(hash_text(F, name), F.lit(HASH_NULL)) for name in HASH_COLUMNS]
    return df.withColumn("CHANGE_HASH", F.sha2(F.concat_ws(HASH_SEPARATOR, *parts), 256))


CLEANSE_KEEP = _cleanse_keep()
