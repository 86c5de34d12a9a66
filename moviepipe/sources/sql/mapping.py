"""Source mappings from a file: how another database's tables and columns map onto the raw contract.

A mapping is configuration, not code: a TOML or JSON file names the base table,
its key and watermark column, the tables LEFT JOINed on the key, and for each
raw-contract column (OMDb field names) the ``table.column`` it comes from or a
literal. It is validated here (pydantic) so a typo fails before anything
connects, with a message naming the field. For a source that needs a real query
(filters, expressions, unions), create a view in the source database and map
the view: views reflect like tables.

Example (TOML)::

    base = "films"
    key = "film_id"
    watermark = "films.updated_at"
    ignore = ["films.internal_note"]

    [joins]
    critics = "film_id"

    [columns]
    imdbID = "films.imdb_code"
    Title = "films.name"
    Type = { literal = "movie" }
    lastUpdated = "films.updated_at"

    [options]
    drift_policy = "fail"     # or "evolve" (default)
    lookback_days = 2         # re-read this far behind the watermark (late updates)
    detect_deletes = true     # key scan: movies gone from the source are closed in the warehouse
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from moviepipe.contract import EXTRA_COLUMNS, RAW_COLUMNS, WATERMARK_COLUMN
from moviepipe.errors import SourceError

_KNOWN = set(RAW_COLUMNS) | set(EXTRA_COLUMNS)


class Literal_(BaseModel):
    model_config = ConfigDict(extra="forbid")
    literal: str


class MappingOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: What a source column change does: carry it through (``evolve``) or stop before landing (``fail``).
    drift_policy: Literal["evolve", "fail"] = "evolve"
    #: Re-read rows this many days behind the stored watermark (late updates).
    lookback_days: float = Field(default=0, ge=0)
    #: Scan the source's keys each run and close movies that disappeared.
    detect_deletes: bool = False


class SourceMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    base: str
    key: str
    watermark: str
    joins: dict[str, str] = {}
    columns: dict[str, str | Literal_ | None]
    ignore: list[str] = []
    options: MappingOptions = MappingOptions()

    @field_validator("watermark")
    @classmethod
    def _qualified(cls, value: str) -> str:
        if value.count(".") != 1:
            raise ValueError("must be 'table.column'")
        return value

    @field_validator("columns")
    @classmethod
    def _contract_names(cls, value: dict) -> dict:
        unknown = sorted(set(value) - _KNOWN)
        if unknown:
            raise ValueError(f"not raw-contract columns: {', '.join(unknown)} (use OMDb field names)")
        if "imdbID" not in value or WATERMARK_COLUMN not in value:
            raise ValueError(f"must map imdbID and {WATERMARK_COLUMN}")
        for name, target in value.items():
            if isinstance(target, str) and target.count(".") != 1:
                raise ValueError(f"{name}: '{target}' must be 'table.column' or {{literal = \"...\"}}")
        return value

    def as_dict(self) -> dict:
        """The internal form ``SqlSource`` takes (the same shape as ``DEFAULT_MAPPING``)."""
        columns = {}
        for name in (*RAW_COLUMNS, *EXTRA_COLUMNS):
            target = self.columns.get(name)
            if isinstance(target, str):
                columns[name] = tuple(target.split("."))
            elif isinstance(target, Literal_):
                columns[name] = target.literal
            else:
                columns[name] = None
        return {
            "base": self.base,
            "key": self.key,
            "watermark": tuple(self.watermark.split(".")),
            "joins": dict(self.joins),
            "columns": columns,
            "ignore": list(self.ignore),
            "options": self.options.model_dump(),
        }


def load_mapping(path: str | Path) -> dict:
    """Read and validate a mapping file (``.toml`` or ``.json``); errors name the file and the field."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise SourceError(f"mapping file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SourceError(f"mapping file {path.name} is not valid {path.suffix.lstrip('.').upper() or 'TOML'}: "
                          f"{error}") from None
    try:
        return SourceMapping.model_validate(data).as_dict()
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "<root>"
        raise SourceError(f"mapping file {path.name}: {where}: {first['msg']}") from None


def mapping_options(mapping: dict) -> MappingOptions:
    return MappingOptions.model_validate(mapping.get("options") or {})
