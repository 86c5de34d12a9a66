"""A pipe's COPY statement and its file format, parsed into what the local emulator implements.

Step 1 of ``copy_emulation``: sqlglot turns the pipe's ``COPY INTO ... FROM (SELECT ... FROM @stage)``
into a :class:`CopyPlan` (target table, columns, one select expression per column, copy options)
and the named file format into a :class:`CsvFormat`. Only what is listed here is understood;
anything else is refused with :class:`CopyEmulationError` when ``sql/`` is applied, so a
statement is never read differently locally than on Snowflake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

FILENAME, FILE_ROW_NUMBER = "METADATA$FILENAME", "METADATA$FILE_ROW_NUMBER"
#: Functions a select expression may apply to ``$n`` (what the pipes use; others are refused).
FUNCTIONS = {exp.ParseJSON: "PARSE_JSON"}
#: ON_ERROR values the emulator implements: Snowpipe's default, the one error notifications need.
ON_ERROR = {"SKIP_FILE"}


class CopyEmulationError(ValueError):
    """A COPY statement or file format uses something the emulator does not implement."""


# --------------------------------------------------------------------------- #
# File format
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class CsvFormat:
    name: str
    skip_header: int = 0
    delimiter: str = ","
    enclosed_by: str | None = None
    null_if: tuple[str, ...] = ("\\N",)
    error_on_column_count_mismatch: bool = True


#: Option -> how to read its value; an option not listed is refused.
_FORMAT_OPTIONS = {"TYPE", "SKIP_HEADER", "FIELD_DELIMITER", "FIELD_OPTIONALLY_ENCLOSED_BY", "NULL_IF",
                   "EMPTY_FIELD_AS_NULL", "ESCAPE_UNENCLOSED_FIELD", "ESCAPE", "ERROR_ON_COLUMN_COUNT_MISMATCH",
                   "ENCODING"}


def parse_file_format(rendered: str) -> CsvFormat:
    """``CREATE FILE FORMAT <name> TYPE = CSV ...`` as a :class:`CsvFormat`, or a refusal."""
    create = sqlglot.parse_one(rendered, read="snowflake")
    if not isinstance(create, exp.Create) or str(create.args.get("kind", "")).upper() != "FILE FORMAT":
        raise CopyEmulationError("not a CREATE FILE FORMAT statement")
    name = create.this.sql("snowflake").upper()
    options: dict[str, exp.Expression] = {}
    for prop in create.args["properties"].expressions:
        key = prop.this.name.upper()
        if key not in _FORMAT_OPTIONS:
            raise CopyEmulationError(f"file format {name}: option {key} is not implemented by the local emulator")
        options[key] = prop.args["value"]
    text = {key: _option_text(value) for key, value in options.items()}
    if text.get("TYPE", "CSV").upper() != "CSV":
        raise CopyEmulationError(f"file format {name}: only TYPE = CSV is emulated")
    # Snowflake's defaults that the emulator does not implement are refused, so a format that relies
    # on one is never read differently here than in Snowflake.
    if text.get("ESCAPE_UNENCLOSED_FIELD", "\\").upper() != "NONE":
        raise CopyEmulationError(f"file format {name}: ESCAPE_UNENCLOSED_FIELD must be NONE (Snowflake's default, "
                                 "a backslash, would unescape backslashes in unquoted fields; not emulated)")
    if text.get("ESCAPE", "NONE").upper() != "NONE":
        raise CopyEmulationError(f"file format {name}: only ESCAPE = NONE is emulated ('\"\"' escapes a quote)")
    if text.get("EMPTY_FIELD_AS_NULL", "TRUE").upper() != "FALSE":
        raise CopyEmulationError(f"file format {name}: EMPTY_FIELD_AS_NULL must be FALSE (the emulator cannot tell "
                                 "an empty field from an empty quoted one)")
    if text.get("ENCODING", "UTF8").upper().replace("-", "") != "UTF8":
        raise CopyEmulationError(f"file format {name}: only ENCODING = UTF8 is emulated")
    enclosed = text.get("FIELD_OPTIONALLY_ENCLOSED_BY", "NONE")
    null_if = options.get("NULL_IF")
    return CsvFormat(
        name=name,
        skip_header=int(text.get("SKIP_HEADER", "0")),
        delimiter=_single_character(name, "FIELD_DELIMITER", text.get("FIELD_DELIMITER", ",")),
        enclosed_by=None if enclosed.upper() == "NONE" else _single_character(name, "FIELD_OPTIONALLY_ENCLOSED_BY",
                                                                              enclosed),
        null_if=_null_if(null_if) if null_if is not None else ("\\N",),
        error_on_column_count_mismatch=text.get("ERROR_ON_COLUMN_COUNT_MISMATCH", "TRUE").upper() == "TRUE",
    )


def _option_text(value: exp.Expression) -> str:
    """An option's value as text (sqlglot has already unescaped string literals: '\\\\N' is backslash, N)."""
    if isinstance(value, exp.Literal):
        return value.this
    if isinstance(value, exp.Boolean):
        return "TRUE" if value.this else "FALSE"
    return value.sql("snowflake")


def _null_if(value: exp.Expression) -> tuple[str, ...]:
    items = value.expressions if isinstance(value, exp.Tuple) else [value.this if isinstance(value, exp.Paren)
                                                                     else value]
    return tuple(item.this for item in items if isinstance(item, exp.Literal) and item.is_string)


def _single_character(name: str, option: str, value: str) -> str:
    if len(value) != 1:
        raise CopyEmulationError(f"file format {name}: {option} = {value!r} is not one character")
    return value


# --------------------------------------------------------------------------- #
# The COPY statement
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class CopyPlan:
    """What a pipe's COPY says, in the terms the emulator implements."""

    table: str
    columns: tuple[str, ...]
    expressions: tuple[exp.Expression, ...]  # one per column: $n, PARSE_JSON($n) or a METADATA$ column
    stage: str
    stage_path: str
    format_name: str
    on_error: str

    @property
    def field_count(self) -> int:
        """Fields each record must have: the highest ``$n`` the statement reads."""
        return max((int(p.this.this) for e in self.expressions for p in e.find_all(exp.Parameter)), default=0)


def parse_copy(statement: str) -> CopyPlan:
    copy = sqlglot.parse_one(statement, read="snowflake")
    if not isinstance(copy, exp.Copy) or not isinstance(copy.this, exp.Schema):
        raise CopyEmulationError("expected COPY INTO <table> (<columns>) FROM (SELECT ... FROM @<stage>/<path>)")
    table = copy.this.this.sql("snowflake").upper()
    columns = tuple(c.name.upper() for c in copy.this.expressions)
    files = copy.args.get("files") or []
    select = files[0].this if len(files) == 1 and isinstance(files[0], exp.Subquery) else None
    if not isinstance(select, exp.Select):
        raise CopyEmulationError(f"COPY INTO {table}: the emulator runs COPY transformations only "
                                 "(FROM (SELECT $1, ... FROM @stage/path/))")
    unsupported = [key for key, value in select.args.items() if key not in ("expressions", "from_") and value]
    if unsupported:
        raise CopyEmulationError(f"COPY INTO {table}: SELECT clauses {unsupported} are not emulated")
    stage_ref = select.args.get("from_")
    match = re.fullmatch(r"@(?P<stage>[\w.$]+)(?P<path>/\S*)?", stage_ref.this.sql("snowflake")) \
        if stage_ref and isinstance(stage_ref.this, exp.Table) else None
    if not match:
        raise CopyEmulationError(f"COPY INTO {table}: FROM must be a stage reference @<stage>/<path>/ "
                                 "(no alias, no FILE_FORMAT or PATTERN argument)")
    expressions = tuple(select.expressions)
    if len(expressions) != len(columns):
        raise CopyEmulationError(f"COPY INTO {table}: {len(columns)} columns but {len(expressions)} select expressions")
    for column, expression in zip(columns, expressions):
        _check_expression(table, column, expression)
    options = _copy_options(table, copy.args.get("params") or [])
    return CopyPlan(table=table, columns=columns, expressions=expressions, stage=match.group("stage").upper(),
                    stage_path=match.group("path") or "/", format_name=options["FORMAT_NAME"],
                    on_error=options["ON_ERROR"])


def _check_expression(table: str, column: str, expression: exp.Expression) -> None:
    where = f"COPY INTO {table}: column {column}"
    if isinstance(expression, exp.Alias):
        raise CopyEmulationError(f"{where}: aliases are not emulated")
    if type(expression) in FUNCTIONS:
        if not isinstance(expression.this, exp.Parameter) or any(v for k, v in expression.args.items() if k != "this"):
            raise CopyEmulationError(f"{where}: {FUNCTIONS[type(expression)]} takes one $n here")
        return
    if isinstance(expression, exp.Parameter) and expression.this.is_int:
        return
    if isinstance(expression, exp.Column) and not expression.table and expression.name.upper() in (
            FILENAME, FILE_ROW_NUMBER):
        return
    raise CopyEmulationError(f"{where}: {expression.sql('snowflake')} is not emulated (use $n, PARSE_JSON($n), "
                             f"{FILENAME} or {FILE_ROW_NUMBER})")


def _copy_options(table: str, params: list[exp.Expression]) -> dict[str, str]:
    options = {"ON_ERROR": "SKIP_FILE"}  # Snowpipe's default when a pipe's COPY does not say
    for param in params:
        key = param.this.name.upper()
        if key == "FILE_FORMAT":
            names = {p.this.name.upper(): p.args["value"] for p in param.expressions if isinstance(p, exp.Property)}
            if set(names) != {"FORMAT_NAME"}:
                raise CopyEmulationError(f"COPY INTO {table}: FILE_FORMAT must be (FORMAT_NAME = '<name>')")
            options["FORMAT_NAME"] = names["FORMAT_NAME"].name.upper()
        elif key == "ON_ERROR":
            value = param.args["expression"].name.upper()
            if value not in ON_ERROR:
                raise CopyEmulationError(f"COPY INTO {table}: ON_ERROR = {value} is not emulated "
                                         f"(only {', '.join(sorted(ON_ERROR))})")
            options["ON_ERROR"] = value
        else:
            raise CopyEmulationError(f"COPY INTO {table}: copy option {key} is not emulated")
    if "FORMAT_NAME" not in options:
        raise CopyEmulationError(f"COPY INTO {table}: needs FILE_FORMAT = (FORMAT_NAME = '<name>')")
    return options
