"""Enrichment of cleansed movies: derived attributes, the two SCD hashes, EXTRA and record JSON.

Portable DataFrame code like ``movies_cleanse``. JSON is assembled with
string functions (not ``to_json``) because the two engines format JSON
differently and the archive must be byte-identical whichever engine wrote it.
"""

from __future__ import annotations

import json

from moviepipe.contract.archive import TYPE1_ATTRIBUTES, TYPE2_ATTRIBUTES
from movies_cleanse import (
    DATE_COLUMNS, DECIMAL_OUTPUTS, INPUT_COLUMNS, INTEGER_OUTPUTS, RUNTIME_BAND_OVER, RUNTIME_BANDS, extra_json_value,
    extra_kind, extra_text, raw,
)
from movies_engine import api_for, plan_break

HASH_SEPARATOR = "\u001f"  # unit separator: never in cleansed text
HASH_NULL = "\u001e"  # record separator: the NULL token, distinct from any text
DATE_OUTPUTS = frozenset(DATE_COLUMNS)


class RawLayout:
    """What the raw file's header holds, and under which frame column each field travels.

    ``header``: the file's column names in file order; ``column_of``: file name ->
    frame column; ``extras``: file names outside the contract (packed into EXTRA).
    Contract names the file lacks are NULL in every row.
    """

    def __init__(self, header: list[str], column_of: dict[str, str], extras: list[str]):
        self.header = header
        self.column_of = column_of
        self.extras = extras

    @property
    def carried(self) -> list[str]:
        """Frame columns of the raw record: every contract field (NULL when missing), then the extras."""
        return [raw(name) for name in INPUT_COLUMNS] + [self.column_of[name] for name in self.extras]


# ---------------------------------------------------------------- JSON text
def json_string(F, col):
    """A JSON string literal for text ``col`` ('null' when NULL).

    Escapes backslash, quote, newline, carriage return and tab; other control
    characters (never seen in the sources) become U+FFFD.
    """
    t = F.regexp_replace(col, r"\\", r"\\\\")
    t = F.regexp_replace(t, '"', r'\\"')
    t = F.regexp_replace(t, "\n", r"\\n")
    t = F.regexp_replace(t, "\r", r"\\r")
    t = F.regexp_replace(t, "\t", r"\\t")
    t = F.regexp_replace(t, "[\u0000-\u0008\u000b\u000c\u000e-\u001f]", "\ufffd")
    return F.when(col.isNull(), F.lit("null")).otherwise(F.concat(F.lit('"'), t, F.lit('"')))


def json_object(F, pairs: list[tuple], *, skip_nulls: bool):
    """``{"name": "text", ...}`` from (key, text column[, JSON value column]) in order; keys escaped here
    in Python. A JSON value column (``movies_cleanse.extra_json_value``) is written as is where not NULL.

    ``skip_nulls``: leave out NULL members (and return NULL when none is left);
    otherwise NULL members are written as ``null``.
    """
    members = []
    for key, col, *typed in pairs:
        value = F.coalesce(typed[0], json_string(F, col)) if typed else json_string(F, col)
        member = F.concat(F.lit(json.dumps(key, ensure_ascii=False) + ":"), value)
        members.append(F.when(col.isNotNull(), member) if skip_nulls else member)
    if not members:
        return F.lit(None).cast("string")
    body = F.concat(F.lit("{"), F.concat_ws(",", *members), F.lit("}"))
    return F.when(body != "{}", body) if skip_nulls else body


def record_json(F, layout: RawLayout):
    """The original raw record as one JSON object: every file column, file order, NULL as null."""
    return json_object(F, [(name, F.col(layout.column_of[name])) for name in layout.header], skip_nulls=False)


#: Raw-contract fields with no archive column of their own: they ride in EXTRA, so nothing is dropped.
UNARCHIVED_RAW_COLUMNS: tuple[str, ...] = ("tomatoConsensus", "tomatoImage")


def extra_json(F, layout: RawLayout, declared_types: dict[str, str] | None = None):
    """EXTRA: the raw fields the archive has no column for (the unarchived contract fields, source
    extras, drifted columns) that hold a value, in that order; NULL if none does. Values keep their
    JSON type (``movies_cleanse.extra_kind``: the manifest's declared types, OMDb's field types)."""
    columns = [(name, F.col(raw(name))) for name in UNARCHIVED_RAW_COLUMNS]
    columns += [(name, F.col(layout.column_of[name])) for name in layout.extras]
    pairs = []
    for name, col in columns:
        kind = extra_kind(name, (declared_types or {}).get(name))
        text = extra_text(F, col, kind)
        pairs.append((name, text, extra_json_value(F, text, kind)))
    return json_object(F, pairs, skip_nulls=True)


# ---------------------------------------------------------------- hashes
def hash_text(F, name: str):
    """The text of output column ``name`` inside a hash (the same characters on both engines).

    Numbers as ``decimal(20,4)`` text ('148.0000'), dates ``yyyy-MM-dd``, text as is.
    """
    col = F.col(name)
    if name in INTEGER_OUTPUTS or name in DECIMAL_OUTPUTS:
        return col.cast("decimal(20,4)").cast("string")
    if name in DATE_OUTPUTS:
        return F.date_format(col, "yyyy-MM-dd")
    return col


def attribute_hash(F, names: tuple[str, ...]):
    """SHA-256 hex of ``names`` joined by U+001F, NULL as U+001E (so NULL differs from any text)."""
    parts = [F.coalesce(hash_text(F, name), F.lit(HASH_NULL)) for name in names]
    return F.sha2(F.concat_ws(HASH_SEPARATOR, *parts), 256)


# ---------------------------------------------------------------- derived
def runtime_band(F, minutes):
    """RUNTIME_BAND from RUNTIME_MINUTES: short <= 40 < standard <= 90 < long <= 150 < epic."""
    band = None
    for upper, name in RUNTIME_BANDS:
        condition = minutes <= F.lit(upper)
        band = F.when(condition, F.lit(name)) if band is None else band.when(condition, F.lit(name))
    return F.when(minutes.isNotNull(), band.otherwise(F.lit(RUNTIME_BAND_OVER)))


def enrich(df, layout: RawLayout, declared_types: dict[str, str] | None = None):
    """Add DECADE, RUNTIME_BAND, PRIMARY_GENRE, CHANGE_HASH, TYPE1_HASH and EXTRA (``declared_types``:
    the manifest's column types, which type EXTRA's members)."""
    F = api_for(df).F
    year = F.col("YEAR")
    first_genre = F.regexp_extract(F.col("GENRES"), "^([^,]+)", 1)
    df = plan_break(df.select(
        "*",
        (year - year % 10).alias("DECADE"),
        runtime_band(F, F.col("RUNTIME_MINUTES")).alias("RUNTIME_BAND"),
        F.when(first_genre != "", first_genre).alias("PRIMARY_GENRE"),
        extra_json(F, layout, declared_types).alias("EXTRA"),
    ))
    return df.select(
        "*",
        attribute_hash(F, TYPE2_ATTRIBUTES).alias("CHANGE_HASH"),
        attribute_hash(F, TYPE1_ATTRIBUTES).alias("TYPE1_HASH"),
    )
