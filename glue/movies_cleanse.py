"""Cleansing of raw OMDb-shaped movie rows into typed columns.

Portable PySpark DataFrame code: it runs unchanged on PySpark 3.5 (AWS Glue 5)
and on sqlframe over DuckDB. It keeps to the verified portable subset: strings
are cast only after an ``rlike`` check, floats become integers through
``floor``, dates are parsed only from strings already normalised to an exact
ISO shape, and regexp_replace never uses group references.

Column naming: raw input columns are carried as ``raw_<OMDb name>`` (empty
strings already NULL), output columns are upper case, and helper columns start
with ``_`` (``_W_<OUT>`` holds the wide ``decimal(20,4)`` value of a number
before its range is checked). Raw and output names never collide, even under
case-insensitive resolution.
"""

from __future__ import annotations

import re

from moviepipe.contract import EXTRA_COLUMNS, OMDB_EXTRA_TYPES, RAW_COLUMNS
from moviepipe.contract.archive import column_names
from movies_engine import api_for, plan_break

#: The contract's raw columns, in contract order (a raw file may lack some: they are NULL).
INPUT_COLUMNS: tuple[str, ...] = RAW_COLUMNS + EXTRA_COLUMNS

RAW_PREFIX = "raw_"
ROW_ORDER = "_ROW_ORDER"

#: movies.csv columns, in file order (the archive contract).
OUTPUT_COLUMNS: tuple[str, ...] = column_names("movies")

#: Plain text columns: output -> raw.
TEXT_COLUMNS = {
    "IMDB_ID": "imdbID", "SOURCE_ID": "sourceId", "TITLE": "Title", "PLOT": "Plot",
    "POSTER": "Poster", "AWARDS": "Awards", "PRODUCTION": "Production", "WEBSITE": "Website",
}
#: Comma-separated list columns: output -> raw.
LIST_COLUMNS = {
    "GENRES": "Genre", "DIRECTOR": "Director", "WRITER": "Writer",
    "ACTORS": "Actors", "LANGUAGE": "Language", "COUNTRY": "Country",
}
#: Numbers: output -> (raw, SQL type, lowest, highest, rule). The bounds are what
#: the RAW.MOVIES column types (and the scales) hold; a value outside is
#: rejected by ``rule``.
NUMBER_COLUMNS = {
    "OSCARS": ("Oscars", "int", "0", "9999", "value_range"),
    "METASCORE": ("Metascore", "int", "0", "100", "score_range"),
    "IMDB_RATING": ("imdbRating", "decimal(4,1)", "0", "10", "score_range"),
    "IMDB_VOTES": ("imdbVotes", "bigint", "0", "999999999999", "value_range"),
    "TOMATO_METER": ("tomatoMeter", "int", "0", "100", "score_range"),
    "TOMATO_RATING": ("tomatoRating", "decimal(4,1)", "0", "10", "score_range"),
    "TOMATO_REVIEWS": ("tomatoReviews", "int", "0", "999999999", "value_range"),
    "TOMATO_FRESH": ("tomatoFresh", "int", "0", "999999999", "value_range"),
    "TOMATO_ROTTEN": ("tomatoRotten", "int", "0", "999999999", "value_range"),
    "TOMATO_USER_METER": ("tomatoUserMeter", "int", "0", "100", "score_range"),
    "TOMATO_USER_RATING": ("tomatoUserRating", "decimal(4,1)", "0", "10", "score_range"),
    "TOMATO_USER_REVIEWS": ("tomatoUserReviews", "bigint", "0", "999999999999", "value_range"),
    "BOX_OFFICE": ("BoxOffice", "decimal(16,2)", "0", "99999999999999.99", "value_range"),
}
#: Score suffixes accepted per raw field (OMDb writes '8.8/10', '87%', '74/100');
#: a suffix of another scale ('8.8/100' as imdbRating) stays and fails value_format.
SCORE_SUFFIXES = {
    "Metascore": " */ *100$", "imdbRating": " */ *10$", "tomatoRating": " */ *10$",
    "tomatoUserRating": " */ *5$", "tomatoMeter": " *%$", "tomatoUserMeter": " *%$",
}
#: Dates: output -> raw.
DATE_COLUMNS = {"RELEASED": "Released", "DVD": "DVD"}
YEAR_RANGE = (1870, 2035)
RUNTIME_RANGE = (1, 1000)
#: Every value OMDb's "Type" has taken (its search API filters on the same four).
TYPES = ("movie", "series", "episode", "game")
#: RUNTIME_BAND: upper bound in minutes (inclusive) -> band. 40 minutes is the
#: Academy's limit for a short film; 90 and 150 split features into the usual
#: standard / long / epic lengths.
RUNTIME_BANDS: tuple[tuple[int, str], ...] = ((40, "short"), (90, "standard"), (150, "long"))
RUNTIME_BAND_OVER = "epic"
INTEGER_OUTPUTS = frozenset(
    {"YEAR", "YEAR_END", "RUNTIME_MINUTES", "DECADE"}
    | {k for k, v in NUMBER_COLUMNS.items() if v[1] in ("int", "bigint")}
)
DECIMAL_OUTPUTS = frozenset(k for k, v in NUMBER_COLUMNS.items() if v[1].startswith("decimal"))
NOT_RATED = ("NOT RATED", "UNRATED", "NR")
RATED_SPELLINGS = {"PG13": "PG-13", "PG 13": "PG-13", "NC17": "NC-17", "NC 17": "NC-17",
                   "TV MA": "TV-MA", "TVMA": "TV-MA", "TV 14": "TV-14", "TV14": "TV-14",
                   "TV PG": "TV-PG", "TVPG": "TV-PG"}

_WS = "[ \t\r\n]"
_NUMBER_RE = r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$"
_EXPONENT_RE = r"^-?[0-9]{1,15}(\.[0-9]{1,15})?[eE][+-]?[0-9]{1,2}$"
_YEAR_RE = r"^[0-9]{4}(\.0+)?$|^[0-9]{4} *[–-] *([0-9]{4})?$"
_YEAR_END_RE = r"^[0-9]{4} *[–-] *([0-9]{4})$"
_YEAR_ONLY_RE = r"^[0-9]{4}$"
_ISO_DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_ISO_DATE_PREFIX_RE = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[ T][0-9]{2}:[0-9]{2}"
_OMDB_DATE_RE = r"^([0-9]{1,2}) ([A-Za-z]{3}) ([0-9]{4})$"
#: OMDb's older runtimes, lower-cased: '2 h 8 min', '1 h', '1 hr 50 mins' (groups 1: hours, 4: minutes).
_RUNTIME_HOURS_RE = r"^([0-9]{1,2}) *(h|hr|hrs|hour|hours)( *([0-9]{1,3}) *(min|mins|minute|minutes))?$"
_RUNTIME_UNIT_RE = " *(min|mins|minute|minutes)$"
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
    """Upper-case MPAA/TV rating; 'Not Rated' / 'Unrated' / 'NR' -> 'NOT RATED'; 'PG13' -> 'PG-13'."""
    t = F.upper(text)
    out = F.when(t.isin(*NOT_RATED), F.lit("NOT RATED"))
    for spelling, canonical in RATED_SPELLINGS.items():
        out = out.when(t == spelling, F.lit(canonical))
    return out.otherwise(t)


def number_text(F, text, *, money: bool = False, counts: bool = False, suffix: str | None = None):
    """Strip decorations: money '$1,234' -> '1234', counts '2,345,678', a score's scale suffix
    ('8.8/10', '87%', '74/100'; ``suffix`` is its regex). Runtimes: ``parse_runtime``."""
    t = text
    if money:
        t = F.regexp_replace(t, "[$, ]", "")
    elif counts:
        t = F.regexp_replace(t, ",", "")
    if suffix:
        t = F.regexp_replace(t, suffix, "")
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


def parse_runtime(F, text):
    """Every runtime form OMDb has used -> minutes as decimal(20,4); NULL when it is none of them.

    '148 min', '90 min', '1,020 min' (a long series), '2 h 8 min', '1 h 15 min', '1 h',
    '1 hr 50 mins', and the SQL source's plain numbers ('90', '90.0'). 'N/A' is NULL
    before this (clean_text). Digits are cast only once the pattern matched them.
    """
    t = F.lower(text)
    hours = F.regexp_extract(t, _RUNTIME_HOURS_RE, 1).cast("decimal(20,4)")
    minutes = F.regexp_extract(t, _RUNTIME_HOURS_RE, 4)
    extra = F.when(minutes != "", minutes.cast("decimal(20,4)")).otherwise(F.lit(0).cast("decimal(20,4)"))
    plain = parse_wide_number(F, F.regexp_replace(F.regexp_replace(t, ",", ""), _RUNTIME_UNIT_RE, ""))
    return F.when(t.rlike(_RUNTIME_HOURS_RE), (hours * F.lit(60) + extra).cast("decimal(20,4)")).otherwise(plain)


def parse_year(F, text):
    """'1994', '1994.0', '1967–1987', '2010–' -> the (start) year as decimal(20,4); else NULL."""
    return F.when(text.rlike(_YEAR_RE), F.substring(text, 1, 4).cast("decimal(20,4)"))


def parse_year_end(F, text):
    """'1967–1987' -> 1987 as decimal(20,4); an open range '2010–' or a single year -> NULL."""
    return F.when(text.rlike(_YEAR_END_RE), F.regexp_extract(text, _YEAR_END_RE, 1).cast("decimal(20,4)"))


def iso_date_text(F, text):
    """'2009-01-19', '2009-01-19T00:00:00', OMDb '16 Jul 2010' or a bare year '2010' (-> Jan 1)
    -> 'yyyy-MM-dd' text; else NULL."""
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
        .when(text.rlike(_YEAR_ONLY_RE), F.concat(text, F.lit("-01-01")))
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


# ---------------------------------------------------------------- EXTRA member values
# EXTRA is a JSON object (assembled in movies_enrich with string functions so both engines
# write the same bytes). Each member's value keeps its JSON type: a number stays a number, the
# Ratings list stays a list. A value is written verbatim when it is JSON of its kind, else as a
# JSON string: nothing is dropped, and EXTRA always parses. Whether a text is JSON is decided by
# regexes (portable, deterministic on both engines): strings, then numbers and literals, become
# one-character tokens; innermost arrays and objects are then folded into a value token
# ``JSON_MAX_DEPTH`` times, and what is left must be a single value.
_JSON_STRING = r'"[^"\\\x00-\x1f]*(\\(["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*"'
#: What Snowflake's PARSE_JSON keeps exactly: at most 18 integer digits, 15 decimals, a 2-digit exponent.
_JSON_NUMBER = r"-?(0|[1-9][0-9]{0,17})([.][0-9]{1,15})?([eE][+-]?[0-9]{1,2})?"
_JSON_INTEGER = r"-?(0|[1-9][0-9]{0,17})"
#: Outside its strings, JSON holds only these characters (the letters: of true, false and null).
_JSON_REST_RE = "^[\\[\\]{}:,0-9eE.+\\- \t\r\nafilnrstu]*$"
_JSON_SCALAR_RE = f"{_JSON_NUMBER}|true|false|null"
_JSON_FOLD_RE = r"\[([#@](,[#@])*)?\]|[{](#:[#@](,#:[#@])*)?[}]"
#: Arrays and objects nested deeper than this stay JSON strings (OMDb's Ratings: 2).
JSON_MAX_DEPTH = 3
#: Kind of each EXTRA member -> the pattern its (trimmed) text must match to be written as is.
_JSON_KIND_RE = {"integer": f"^{_JSON_INTEGER}$", "number": f"^{_JSON_NUMBER}$", "boolean": "^(true|false)$"}
#: Arrow type names (the manifest's column types) whose values are JSON numbers or booleans.
_NUMERIC_TYPE_RE = r"^(u?int(8|16|32|64)|halffloat|float|double|decimal(32|64|128|256)?[(].*|integer|number)$"
_BOOLEAN_TYPES = ("bool", "boolean")


def is_json(F, text):
    """True when ``text`` is one JSON value nested at most ``JSON_MAX_DEPTH`` deep (see above)."""
    outside_strings = F.regexp_replace(text, _JSON_STRING, "")
    tokens = F.regexp_replace(text, _JSON_STRING, "#")  # '#' is then a string: no other '#' is left
    tokens = F.regexp_replace(F.regexp_replace(tokens, _JSON_SCALAR_RE, "@"), "[ \t\r\n]+", "")
    for _ in range(JSON_MAX_DEPTH):
        tokens = F.regexp_replace(tokens, _JSON_FOLD_RE, "@")
    return outside_strings.rlike(_JSON_REST_RE) & tokens.rlike("^[#@]$")


def extra_kind(name: str, declared_type: str | None = None) -> str:
    """How EXTRA member ``name`` is typed: ``json``, ``integer``, ``number``, ``boolean``, ``omdb_text``
    (a string, OMDb's 'N/A' being no value) or ``text`` (a string, verbatim).

    A non-string type the manifest declares wins (a SQL source's drifted REAL column is a number);
    otherwise OMDb's own fields have the types of ``moviepipe.contract.OMDB_EXTRA_TYPES``.
    """
    declared = (declared_type or "").strip().lower()
    if re.match(_NUMERIC_TYPE_RE, declared):
        return "number"
    if declared in _BOOLEAN_TYPES:
        return "boolean"
    omdb = OMDB_EXTRA_TYPES.get(name)
    if omdb is not None:
        return "omdb_text" if omdb == "text" else omdb
    return "text"


def extra_text(F, col, kind: str):
    """The member's text: OMDb's fields trimmed with '' and 'N/A' as no value (NULL); the others as is."""
    return clean_text(F, col) if kind in ("json", "integer", "omdb_text") else col


def extra_json_value(F, text, kind: str):
    """``text`` as the JSON value of its kind, verbatim (booleans lower-cased); NULL when it is not one
    (the caller then writes it as a JSON string)."""
    trimmed = trim_ws(F, text)
    if kind == "json":
        return F.when(is_json(F, trimmed), trimmed)
    if kind == "boolean":
        lowered = F.lower(trimmed)
        return F.when(lowered.rlike(_JSON_KIND_RE[kind]), lowered)
    if kind in _JSON_KIND_RE:
        return F.when(trimmed.rlike(_JSON_KIND_RE[kind]), trimmed)
    return F.lit(None).cast("string")


# ---------------------------------------------------------------- frames
def cleaned(name: str) -> str:
    """Helper column with the cleaned (trimmed, N/A -> NULL) text of raw field ``name``."""
    return "_C_" + name


def _stage(df, cols: dict):
    """One step of new columns; ``plan_break`` keeps the local engine's plan short between steps."""
    return plan_break(df.select("*", *[expr.alias(name) for name, expr in cols.items()]))


#: Output columns cleanse() adds (the rest come from enrich and the writer).
CLEANSED_OUTPUTS: tuple[str, ...] = tuple(
    c for c in OUTPUT_COLUMNS
    if c not in ("DECADE", "RUNTIME_BAND", "PRIMARY_GENRE", "CHANGE_HASH", "TYPE1_HASH", "EXTRA",
                 "BATCH_ID", "SOURCE_FILE")
)
#: Helper columns the rules read: wide numbers, numeric sourceId, cleaned raw text.
CLEANSE_HELPERS: tuple[str, ...] = (
    *[wide(c) for c in ("YEAR", "YEAR_END", "RUNTIME_MINUTES", *NUMBER_COLUMNS)],
    "_SOURCE_NUM", *[cleaned(n) for n in INPUT_COLUMNS],
)


def cleanse(df):
    """Raw frame (``raw_*`` string columns, ``_ROW_ORDER``) -> typed output columns added.

    Adds CLEANSED_OUTPUTS plus CLEANSE_HELPERS for the rules. Numbers outside
    their range are NULL here and unknown TYPE values too; ``movies_rules``
    rejects those rows from the helpers, so nothing is lost silently.
    """
    F = api_for(df).F
    col = F.col
    carried = [c for c in df.columns]
    df = _stage(df, {"_T_" + n: trim_ws(F, col(raw(n))) for n in INPUT_COLUMNS})
    df = _stage(df, {cleaned(n): null_if_blank(F, col("_T_" + n)) for n in INPUT_COLUMNS})

    prepared = {"_L_" + out: list_collapse(F, col(cleaned(src))) for out, src in LIST_COLUMNS.items()}
    for out, (src, _, _, _, _) in NUMBER_COLUMNS.items():
        money = out == "BOX_OFFICE"
        prepared["_N_" + out] = number_text(F, col(cleaned(src)), money=money, counts=not money,
                                            suffix=SCORE_SUFFIXES.get(src))
    for out, src in DATE_COLUMNS.items():
        prepared["_ISO_" + out] = iso_date_text(F, col(cleaned(src)))
    prepared["_TS_LAST_UPDATED"] = timestamp_text(F, col(cleaned("lastUpdated")))
    df = _stage(df, prepared)

    parsed = {out: col(cleaned(src)) for out, src in TEXT_COLUMNS.items()}
    parsed.update({out: list_strip(F, col("_L_" + out)) for out in LIST_COLUMNS})
    parsed["RATED"] = clean_rated(F, col(cleaned("Rated")))
    kind = F.lower(col(cleaned("Type")))
    parsed["TYPE"] = F.when(kind.isin(*TYPES), kind)
    for out in NUMBER_COLUMNS:
        parsed[wide(out)] = parse_wide_number(F, col("_N_" + out))
    parsed[wide("RUNTIME_MINUTES")] = parse_runtime(F, col(cleaned("Runtime")))
    parsed[wide("YEAR")] = parse_year(F, col(cleaned("Year")))
    parsed[wide("YEAR_END")] = parse_year_end(F, col(cleaned("Year")))
    for out in DATE_COLUMNS:
        parsed[out] = date_from_iso(F, col("_ISO_" + out))
    parsed["_RELEASED_YEAR_ONLY"] = col(cleaned("Released")).rlike(_YEAR_ONLY_RE)
    parsed["LAST_UPDATED"] = timestamp_from_text(F, col("_TS_LAST_UPDATED"))
    source_id = col(cleaned("sourceId"))
    parsed["_SOURCE_NUM"] = F.when(source_id.rlike("^[0-9]{1,18}$"), source_id.cast("bigint"))
    df = _stage(df, parsed)

    year_lo, year_hi = YEAR_RANGE
    run_lo, run_hi = RUNTIME_RANGE
    typed = {
        "YEAR": narrow_number(F, col(wide("YEAR")), "int", str(year_lo), str(year_hi)),
        "YEAR_END": narrow_number(F, col(wide("YEAR_END")), "int", str(year_lo), str(year_hi)),
        "RUNTIME_MINUTES": narrow_number(F, col(wide("RUNTIME_MINUTES")), "int", str(run_lo), str(run_hi)),
    }
    for out, (_, sql_type, low, high, _) in NUMBER_COLUMNS.items():
        typed[out] = narrow_number(F, col(wide(out)), sql_type, low, high)
    df = _stage(df, typed)

    released = col("RELEASED")
    padded = (F.month(released) == 1) & (F.dayofmonth(released) == 1) & (F.year(released) == col("YEAR"))
    precision = F.when(
        released.isNotNull(),
        F.when(col("_RELEASED_YEAR_ONLY") | padded, F.lit("year")).otherwise(F.lit("day")),
    )
    keep = [c for c in CLEANSED_OUTPUTS if c != "RELEASED_PRECISION"]
    return df.select(*[col(c) for c in carried], *[col(c) for c in keep], precision.alias("RELEASED_PRECISION"),
                     *[col(c) for c in CLEANSE_HELPERS])
