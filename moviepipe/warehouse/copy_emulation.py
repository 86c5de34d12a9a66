"""A pipe's ``COPY INTO ... FROM (SELECT ... FROM @stage)`` run locally the way Snowflake runs it.

fakesnow's COPY has no COPY transformation, no ``METADATA$`` columns and no ``ON_ERROR``, and it
reads CSV in DuckDB's dialect. The pipes need all of these (arrival order from
``METADATA$FILE_ROW_NUMBER``, ``EXTRA`` parsed as JSON, a bad file skipped and named), so the
emulator runs the pipe's own statement itself:

1. the COPY is parsed with sqlglot into a :class:`CopyPlan` (target table, columns, one select
   expression per column, copy options) and the named file format into a :class:`CsvFormat`.
   Only what ``copy_statement`` lists is understood; anything else is refused with
   :class:`CopyEmulationError` when ``sql/`` is applied, never read differently;
2. the file is read into a DuckDB staging table of text fields (every column VARCHAR: the checks
   below, not the reader, decide what converts) plus ``METADATA$FILE_ROW_NUMBER`` (1 = the first
   record after the skipped header) and ``METADATA$FILENAME`` (the file's path under the stage
   URL). DuckDB's CSV reader does it (``read_csv`` in strict mode, explicit columns, no
   sniffing), and its result is only taken when it provably read every record of the file: the
   reader raised nothing and the file's line breaks, less those inside fields, are exactly the
   skipped header plus one per record (a blank line or an unterminated quote, which DuckDB would
   pass over, breaks that count). Otherwise, and for any dialect the fast path does not cover,
   the file is parsed record by record with Python's ``csv`` module, which names the first bad
   record as Snowflake does (its line, the field count, the parse error). Either way the checks
   and the messages are the same; a record's physical line is worked out only when an error
   names it;
3. the records are checked against the target columns as Snowflake's load checks them: field
   count, values that do not convert to the column's type, NULL in a NOT NULL column, text
   longer than ``VARCHAR(n)`` (DuckDB does not enforce lengths), JSON that does not parse. The
   first error, with its line and column, is what ``COPY_HISTORY`` reports as ``FIRST_ERROR_*``;
4. no error: one ``INSERT ... SELECT`` through fakesnow (so ``PARSE_JSON`` and the casts are
   fakesnow's); an error: ``ON_ERROR = SKIP_FILE`` loads nothing of the file and says why.

A bare ``$n`` loaded into a VARIANT column becomes a JSON *string*, as on Snowflake: only
``PARSE_JSON($n)`` makes it an object.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from moviepipe.warehouse.copy_statement import FILENAME, FUNCTIONS, CopyEmulationError, CopyPlan, CsvFormat
from moviepipe.warehouse.load_history import LOAD_FAILED, LOADED, FileLoad

#: Records read into Python before they go to DuckDB (bounded memory for any file size).
CHUNK_ROWS = 50_000
STAGING = "_COPY_STAGING"
RAW_STAGING = "_COPY_STAGING_FIELDS"  # the fast path's table; STAGING is then a view over it
#: Bytes read at a time when counting a file's line breaks.
COUNT_BLOCK = 1 << 24

# --------------------------------------------------------------------------- #
# Loading one file
# --------------------------------------------------------------------------- #

@dataclass
class _Column:
    name: str
    data_type: str  # Snowflake's: NUMBER, TEXT, DATE, TIMESTAMP_NTZ, VARIANT, BOOLEAN, FLOAT
    max_length: int | None
    precision: int | None
    scale: int | None
    nullable: bool


@dataclass
class _Records:
    count: int = 0
    bad: int = 0
    error: tuple[int, str] | None = None  # (line, message) of the first record that cannot be read

    def refuse(self, line: int, message: str) -> None:
        self.bad += 1
        self.error = self.error or (line, message)


def load_file(wh, plan: CopyPlan, fmt: CsvFormat, path: Path, file_name: str,
              record: Callable[[FileLoad], None] = lambda result: None) -> FileLoad:
    """Load one staged file with the plan; nothing of it is written unless every record is good.

    The file is read and checked before a transaction opens (an error inside DuckDB's CSV reader
    aborts the transaction it happens in); the rows and ``record(result)`` (the load history's row,
    for a loaded or a refused file) then commit together, or not at all."""
    duck = wh.connection._duck_conn  # fakesnow's DuckDB connection: the staging table is engine-side
    columns = _target_columns(wh, plan)
    width = plan.field_count
    try:
        result = _check_file(wh, duck, plan, columns, fmt, path, file_name, width)
        with wh.transaction():
            if result.loaded:
                wh.execute(_insert_statement(plan, columns, file_name))
            record(result)
        return result
    finally:
        _drop_staging(duck)


def _check_file(wh, duck, plan: CopyPlan, columns: list[_Column], fmt: CsvFormat, path: Path, file_name: str,
                width: int) -> FileLoad:
    """Stage the file and check every record; LOADED (rows still to insert) or LOAD_FAILED with the first error."""
    count = None if getattr(wh, "_in_transaction", False) else _read_with_duckdb(duck, fmt, path, width)
    if count is None:  # not provably read in full: Python's csv module, which names the bad record
        _drop_staging(duck)
        duck.execute(f"CREATE OR REPLACE TEMP TABLE {STAGING} (ROW_NUMBER BIGINT, LINE BIGINT, "
                     + ", ".join(f"C{n} VARCHAR" for n in range(1, width + 1)) + ")")
        records = _stage_records(duck, fmt, path, width)
        if records.error:
            line, message = records.error
            return FileLoad(file_name, LOAD_FAILED, row_parsed=records.count, error_count=max(records.bad, 1),
                            first_error_message=message, first_error_line_number=line)
        count = records.count
    failure = _first_value_error(duck, plan, columns, fmt, path)
    if failure:
        return FileLoad(file_name, LOAD_FAILED, row_parsed=count, **failure)
    return FileLoad(file_name, LOADED, row_parsed=count, row_count=count)


def _drop_staging(duck) -> None:
    kind = duck.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ? "
                        "AND table_catalog = 'temp'", [STAGING]).fetchone()
    if kind:
        duck.execute(f"DROP {'VIEW' if kind[0] == 'VIEW' else 'TABLE'} {STAGING}")
    duck.execute(f"DROP TABLE IF EXISTS {RAW_STAGING}")


def _read_with_duckdb(duck, fmt: CsvFormat, path: Path, width: int) -> int | None:
    """Stage the file through DuckDB's CSV reader; its record count, or None when that is not
    provably the whole file read as Python's csv module would (the caller then uses that)."""
    import duckdb

    if fmt.enclosed_by is None or not fmt.null_if or not fmt.error_on_column_count_mismatch or width == 0:
        return None  # dialects the fast path does not cover
    columns = "{" + ", ".join(f"'C{n}': 'VARCHAR'" for n in range(1, width + 1)) + "}"
    null_if = "[" + ", ".join(_sql_text(value) for value in fmt.null_if) + "]"
    quote = _sql_text(fmt.enclosed_by)
    try:
        duck.execute(f"CREATE OR REPLACE TEMP TABLE {RAW_STAGING} AS SELECT * FROM read_csv("
                     f"{_sql_text(path.as_posix())}, columns = {columns}, header = false, skip = {fmt.skip_header}, "
                     f"delim = {_sql_text(fmt.delimiter)}, quote = {quote}, escape = {quote}, nullstr = {null_if}, "
                     "allow_quoted_nulls = true, strict_mode = true, null_padding = false, auto_detect = false, "
                     "encoding = 'utf-8')")
    except duckdb.Error:
        return None  # a bad record: the Python reader names it exactly
    fields = [f"C{n}" for n in range(1, width + 1)]
    count, first = duck.execute(f"SELECT COUNT(*), MIN(rowid) FROM {RAW_STAGING}").fetchone()
    breaks, ends_open = _line_breaks(path)
    lines = breaks + (1 if ends_open else 0)
    if lines != fmt.skip_header + int(count):
        # more lines than records: line breaks inside fields, or lines DuckDB passed over
        inside = " + ".join(f"COALESCE(length({c}) - length(replace({c}, chr(10), '')), 0)" for c in fields)
        lines -= int(duck.execute(f"SELECT COALESCE(SUM({inside}), 0) FROM {RAW_STAGING}").fetchone()[0])
    if lines != fmt.skip_header + int(count):
        return None  # a blank line, an unterminated quote or an odd line ending: not what Python would read
    # preserve_insertion_order (DuckDB's default) keeps the file's order in the (contiguous) rowids,
    # which in a transaction's temporary table do not start at 0
    duck.execute(f"CREATE OR REPLACE TEMP VIEW {STAGING} AS SELECT rowid - {int(first or 0) - 1} AS ROW_NUMBER, "
                 f"CAST(NULL AS BIGINT) AS LINE, {', '.join(fields)} FROM {RAW_STAGING}")
    return int(count)


def _line_breaks(path: Path) -> tuple[int, bool]:
    """(newline bytes in the file, whether its last line has no newline)."""
    breaks, last = 0, b"\n"
    with open(path, "rb") as handle:
        while block := handle.read(COUNT_BLOCK):
            breaks += block.count(b"\n")
            last = block[-1:]
    return breaks, last != b"\n"


def _dialect(fmt: CsvFormat) -> dict:
    """The file format as Python ``csv`` reader options (the reference reading of a file)."""
    return {"delimiter": fmt.delimiter, "quotechar": fmt.enclosed_by or '"', "doublequote": True, "escapechar": None,
            "quoting": csv.QUOTE_MINIMAL if fmt.enclosed_by else csv.QUOTE_NONE, "strict": True,
            "skipinitialspace": False}


def _line_of(fmt: CsvFormat, path: Path, row_number: int) -> int:
    """The physical line record ``row_number`` starts on (counted the way ``_stage_records`` does)."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle, **_dialect(fmt))
        line = 1
        for _ in range(fmt.skip_header):
            if next(reader, None) is None:
                break
            line = reader.line_num + 1
        for number, _fields in enumerate(reader, 1):
            if number == row_number:
                return line
            line = reader.line_num + 1
    return line


def _target_columns(wh, plan: CopyPlan) -> list[_Column]:
    schema, table = plan.table.split(".")
    rows = {r["COLUMN_NAME"].upper(): r for r in wh.query(
        "SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, IS_NULLABLE "
        "FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s", (schema, table))}
    missing = [c for c in plan.columns if c not in rows]
    if missing:
        raise CopyEmulationError(f"COPY INTO {plan.table}: the table has no column {', '.join(missing)}")
    return [_Column(name, rows[name]["DATA_TYPE"].upper(), rows[name]["CHARACTER_MAXIMUM_LENGTH"],
                    rows[name]["NUMERIC_PRECISION"], rows[name]["NUMERIC_SCALE"], rows[name]["IS_NULLABLE"] == "YES")
            for name in plan.columns]


def _stage_records(duck, fmt: CsvFormat, path: Path, width: int) -> _Records:
    """Parse the file into the staging table; stop at the first record that cannot be read."""
    import pyarrow as pa

    records = _Records()
    chunk: list[list[str | None]] = [[] for _ in range(width + 2)]

    def flush() -> None:
        if chunk[0]:
            names = ["ROW_NUMBER", "LINE", *(f"C{n}" for n in range(1, width + 1))]
            duck.register("_copy_chunk", pa.table(dict(zip(names, chunk))))
            duck.execute(f"INSERT INTO {STAGING} SELECT * FROM _copy_chunk")
            duck.unregister("_copy_chunk")
            for values in chunk:
                values.clear()

    with open(path, newline="", encoding="utf-8", errors="strict") as handle:
        reader = csv.reader(handle, **_dialect(fmt))
        line = 1  # the physical line the next record starts on
        try:
            for _ in range(fmt.skip_header):
                if next(reader, None) is None:
                    break
                line = reader.line_num + 1
            for fields in reader:
                records.count += 1
                if len(fields) != width:
                    if fmt.error_on_column_count_mismatch:
                        records.refuse(line, f"Number of columns in file ({len(fields)}) does not match that of "
                                             f"the corresponding table ({width}), use file format option "
                                             "error_on_column_count_mismatch=false to ignore this error")
                        line = reader.line_num + 1
                        continue
                    fields = (fields + [None] * width)[:width]
                chunk[0].append(records.count)
                chunk[1].append(line)
                for n, value in enumerate(fields):
                    chunk[n + 2].append(None if value is None or value in fmt.null_if else value)
                line = reader.line_num + 1
                if len(chunk[0]) >= CHUNK_ROWS:
                    flush()
        except csv.Error as error:
            records.refuse(reader.line_num, f"CSV parse error: {error}")
        except UnicodeDecodeError as error:
            records.refuse(line, f"Invalid UTF8 detected in string: {error.reason} "
                                 f"(byte 0x{error.object[error.start]:02x})")
    flush()
    return records


def _first_value_error(duck, plan: CopyPlan, columns: list[_Column], fmt: CsvFormat, path: Path) -> dict | None:
    """The first (row, column) Snowflake would refuse, as FIRST_ERROR_* fields; None when all convert."""
    checks = []
    for position, (column, expression) in enumerate(zip(columns, plan.expressions), 1):
        if not isinstance(expression, (exp.Parameter, *FUNCTIONS)):
            continue  # METADATA$ values are never NULL and always fit
        field_ref = f"C{int(next(expression.find_all(exp.Parameter)).this.this)}"
        bad, message = _value_check(column, field_ref, isinstance(expression, exp.ParseJSON))
        label = f'"{plan.table.split(".")[-1]}"["{column.name}":{position}]'
        checks.append(f"SELECT ROW_NUMBER, LINE, {position} AS POSITION, {_sql_text(label)} AS COLUMN_LABEL, "
                      f"{message} AS MESSAGE FROM {STAGING} WHERE {bad}")
    if not checks:
        return None
    union = " UNION ALL ".join(checks)
    rows = duck.execute(f"SELECT LINE, COLUMN_LABEL, MESSAGE, ROW_NUMBER FROM ({union}) "
                        "ORDER BY ROW_NUMBER, POSITION LIMIT 1").fetchall()
    if not rows:  # the common case costs one pass; the count of bad records only when there are some
        return None
    line, label, message, row_number = rows[0]
    count = duck.execute(f"SELECT COUNT(DISTINCT ROW_NUMBER) FROM ({union})").fetchone()[0]
    if line is None:  # staged by DuckDB's reader, which keeps no line numbers: count them for this record
        line = _line_of(fmt, path, int(row_number))
    return {"error_count": int(count), "first_error_message": message, "first_error_line_number": int(line),
            "first_error_column_name": label}


def _value_check(column: _Column, ref: str, parse_json: bool) -> tuple[str, str]:
    """(SQL condition that a field is refused, SQL expression of Snowflake's message) for one column."""
    if parse_json and column.data_type not in ("VARIANT", "OBJECT", "ARRAY"):
        raise CopyEmulationError(f"PARSE_JSON loads a VARIANT column, not {column.name} ({column.data_type})")
    quoted = f"'''' || {ref} || ''''"  # the value in single quotes, as Snowflake quotes it
    checks: list[tuple[str, str]] = []  # (condition, message), the first that holds names the error

    def convert(condition: str, message: str) -> None:
        checks.append((f"{ref} IS NOT NULL AND {condition}", message))

    if not column.nullable:
        checks.append((f"{ref} IS NULL", "'NULL result in a non-nullable column'"))
    if parse_json:
        convert(f"NOT json_valid({ref})", f"'Error parsing JSON: ' || {ref}")
    elif column.data_type == "NUMBER":
        convert(f"TRY_CAST({ref} AS DOUBLE) IS NULL", f"'Numeric value ' || {quoted} || ' is not recognized'")
        convert(f"TRY_CAST({ref} AS DECIMAL({column.precision or 38}, {column.scale or 0})) IS NULL",
                f"'Numeric value ' || {quoted} || ' is out of range'")
    elif column.data_type in ("FLOAT", "DOUBLE", "REAL"):
        convert(f"TRY_CAST({ref} AS DOUBLE) IS NULL", f"'Numeric value ' || {quoted} || ' is not recognized'")
    elif column.data_type == "DATE":
        convert(f"TRY_CAST({ref} AS DATE) IS NULL", f"'Date ' || {quoted} || ' is not recognized'")
    elif column.data_type == "TIMESTAMP_NTZ":
        convert(f"TRY_CAST({ref} AS TIMESTAMP) IS NULL", f"'Timestamp ' || {quoted} || ' is not recognized'")
    elif column.data_type == "BOOLEAN":
        convert(f"TRY_CAST({ref} AS BOOLEAN) IS NULL", f"'Boolean value ' || {quoted} || ' is not recognized'")
    elif column.data_type == "TEXT":
        if column.max_length:
            convert(f"LENGTH({ref}) > {int(column.max_length)}",
                    f"'User character length limit ({int(column.max_length)}) exceeded by string ' || {quoted}")
    elif column.data_type not in ("VARIANT", "OBJECT", "ARRAY"):
        raise CopyEmulationError(f"column {column.name}: loading type {column.data_type} is not emulated")
    if not checks:
        return "FALSE", "NULL"
    bad = " OR ".join(f"({condition})" for condition, _ in checks)
    message = "CASE " + " ".join(f"WHEN {condition} THEN {text}" for condition, text in checks) + " END"
    return bad, message


def _insert_statement(plan: CopyPlan, columns: list[_Column], file_name: str) -> str:
    """The COPY's select list over the staging table, as Snowflake SQL for fakesnow."""
    values = []
    for column, expression in zip(columns, plan.expressions):
        if isinstance(expression, exp.Column) and expression.name.upper() == FILENAME:
            values.append(exp.Literal.string(file_name))
            continue
        if isinstance(expression, exp.Column):  # METADATA$FILE_ROW_NUMBER
            values.append(exp.column("ROW_NUMBER"))
            continue
        rewritten = expression.copy().transform(
            lambda node: exp.column(f"C{int(node.this.this)}") if isinstance(node, exp.Parameter) else node)
        if isinstance(expression, exp.Parameter) and column.data_type in ("VARIANT", "OBJECT", "ARRAY"):
            rewritten = exp.func("TO_VARIANT", rewritten)  # a CSV field is a string, not JSON
        values.append(rewritten)
    select = exp.select(*values).from_(STAGING).order_by("ROW_NUMBER")
    return f"INSERT INTO {plan.table} ({', '.join(plan.columns)}) {select.sql('snowflake')}"


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
