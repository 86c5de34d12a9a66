"""The ``sql/`` tree: the single source of Snowflake SQL for every runtime.

Real Snowflake (through the Pulumi program) and the local fakesnow warehouse
read the same files through this module, so a statement is never written twice.
Files hold one statement each and are applied kind by kind, in ``KIND_ORDER``,
and by file name within a kind. Placeholders are ``{{ name }}``; rendering fails
loudly on a missing value so a half-rendered statement never reaches a warehouse.

Pipes, streams and tasks are Snowflake objects fakesnow cannot create; the
parsers below turn their files into plain data (name, options, body) for the
local emulator and for the Pulumi resources that take those pieces separately.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

SQL_ROOT = Path(__file__).resolve().parents[2] / "sql"

#: Kinds in the order a fresh warehouse is built.
KIND_ORDER = (
    "databases",
    "schemas",
    "file_formats",
    "stages",
    "tables",
    "pipes",
    "streams",
    "tasks",
    "views",
)

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


class SqlTemplateError(ValueError):
    """A placeholder in a SQL file has no value."""


@dataclass(frozen=True)
class SqlFile:
    kind: str
    name: str
    path: Path
    text: str

    def render(self, **values: str) -> str:
        return render(self.text, source=self.path.name, **values)


def render(text: str, source: str = "<sql>", **values: str) -> str:
    """Fill ``{{ name }}`` placeholders; a missing value is an error, never blank."""

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise SqlTemplateError(f"{source}: no value for placeholder '{key}'")
        return str(values[key])

    return strip_comments(_PLACEHOLDER.sub(fill, text)).strip()


def strip_comments(text: str) -> str:
    """Drop ``--`` comment lines (whole-line only, so string literals stay intact)."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def load(kind: str, root: Path = SQL_ROOT) -> list[SqlFile]:
    """Every ``.sql`` file of one kind, sorted by file name."""
    if kind not in KIND_ORDER:
        raise ValueError(f"unknown SQL kind '{kind}'; expected one of {', '.join(KIND_ORDER)}")
    folder = root / kind
    return [
        SqlFile(kind=kind, name=path.stem, path=path, text=path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.sql"))
    ]


def load_all(root: Path = SQL_ROOT) -> list[SqlFile]:
    return [sql_file for kind in KIND_ORDER for sql_file in load(kind, root)]


# --------------------------------------------------------------------------- #
# Parsers for objects that carry a body (pipes, tasks) or options (streams).
# --------------------------------------------------------------------------- #

_PIPE = re.compile(
    r"^CREATE\s+(?:OR\s+REPLACE\s+)?PIPE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>[\w.$]+)"
    r"(?P<options>.*?)\bAS\b\s*(?P<body>COPY\s+INTO\s+.*)$",
    re.IGNORECASE | re.DOTALL,
)
_STREAM = re.compile(
    r"^CREATE\s+(?:OR\s+REPLACE\s+)?STREAM\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>[\w.$]+)"
    r"\s+ON\s+TABLE\s+(?P<table>[\w.$]+)(?P<options>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_TASK = re.compile(
    r"^CREATE\s+(?:OR\s+REPLACE\s+)?TASK\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>[\w.$]+)"
    r"(?P<options>.*?)\bAS\b\s*(?P<body>(?:MERGE|INSERT|UPDATE|DELETE|CALL|EXECUTE)\b.*)$",
    re.IGNORECASE | re.DOTALL,
)
_COPY_TARGET = re.compile(r"COPY\s+INTO\s+(?P<table>[\w.$]+)", re.IGNORECASE)
_COPY_FROM = re.compile(r"\bFROM\s+@(?P<stage>[\w.$]+)(?P<path>/[^\s)]*)?", re.IGNORECASE)
_COPY_COLUMNS = re.compile(r"COPY\s+INTO\s+[\w.$]+\s*\((?P<columns>[^)]*)\)", re.IGNORECASE)
_COPY_SELECT = re.compile(r"\bFROM\s*\(\s*SELECT\s+(?P<items>.*?)\s+FROM\s+@", re.IGNORECASE | re.DOTALL)
_COPY_FIELD = re.compile(r"^(?:\w+\(\s*)?\$(?P<n>\d+)(?:\s*\))?$")
_OPTION = re.compile(r"(?P<key>[A-Z_]+)\s*=\s*(?P<value>'[^']*'|[\w.$]+)", re.IGNORECASE)
_WHEN = re.compile(r"\bWHEN\s+(?P<condition>.+?)\s*$", re.IGNORECASE | re.DOTALL)
_STREAM_HAS_DATA = re.compile(r"SYSTEM\$STREAM_HAS_DATA\(\s*'(?P<stream>[\w.$]+)'\s*\)", re.IGNORECASE)
_AFTER = re.compile(r"\bAFTER\s+(?P<tasks>[\w.$]+(?:\s*,\s*[\w.$]+)*)", re.IGNORECASE)


class SqlParseError(ValueError):
    """A pipe, stream or task file does not have the shape this project writes."""


def _options(text: str) -> dict[str, str]:
    return {m.group("key").upper(): m.group("value").strip("'") for m in _OPTION.finditer(text)}


@dataclass(frozen=True)
class PipeDef:
    name: str
    auto_ingest: bool
    copy_statement: str
    target_table: str
    stage: str
    stage_path: str
    file_columns: tuple[str, ...] = ()  # the columns the file's fields load, in field order


@dataclass(frozen=True)
class StreamDef:
    name: str
    table: str
    append_only: bool


@dataclass(frozen=True)
class TaskDef:
    name: str
    warehouse: str | None
    schedule: str | None
    after: tuple[str, ...]
    when: str | None
    streams: tuple[str, ...]
    body: str
    options: dict[str, str] = field(default_factory=dict)
    finalize: str | None = None  # the root task this finalizer task belongs to
    retry_attempts: int = 0  # TASK_AUTO_RETRY_ATTEMPTS (a root's): retries of a failed graph run
    suspend_after_failures: int | None = None  # SUSPEND_TASK_AFTER_NUM_FAILURES (a root's); None: unset

    @property
    def is_root(self) -> bool:
        return not self.after and not self.finalize


#: Task options a file may state: each is understood by the local emulator (or has no local
#: meaning: compute) and mapped by infra/snowflake_objects.py. Anything else is refused.
TASK_OPTIONS = {
    "WAREHOUSE": "compute: the warehouse a task runs on (no local meaning)",
    "USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE": "compute: a serverless task's first size (no local meaning)",
    "SCHEDULE": "when a root runs (locally: once per pipeline run)",
    "TASK_AUTO_RETRY_ATTEMPTS": "a root's retries of a failed graph run, from the failed task",
    "SUSPEND_TASK_AFTER_NUM_FAILURES": "a root's consecutive failed runs before it is suspended",
    "FINALIZE": "makes the task its root's finalizer: it runs after the graph, also when a task failed",
}
_ROOT_ONLY = ("SCHEDULE", "TASK_AUTO_RETRY_ATTEMPTS", "SUSPEND_TASK_AFTER_NUM_FAILURES")


def parse_pipe(rendered: str) -> PipeDef:
    match = _PIPE.match(rendered.strip())
    if not match:
        raise SqlParseError("not a CREATE PIPE ... AS COPY INTO ... statement")
    body = match.group("body").strip()
    target = _COPY_TARGET.search(body)
    source = _COPY_FROM.search(body)
    if not target or not source:
        raise SqlParseError(f"pipe {match.group('name')}: COPY body needs INTO <table> and FROM @<stage>")
    options = _options(match.group("options"))
    return PipeDef(
        name=match.group("name").upper(),
        auto_ingest=options.get("AUTO_INGEST", "FALSE").upper() == "TRUE",
        copy_statement=body,
        target_table=target.group("table").upper(),
        stage=source.group("stage").upper(),
        stage_path=(source.group("path") or "/"),
        file_columns=file_columns(body),
    )


def file_columns(copy_statement: str) -> tuple[str, ...]:
    """The target columns a COPY loads from the file's fields, in field order ($1, $2, ...): the
    columns of the CSV itself. In a COPY transformation the columns fed by ``METADATA$...`` are not
    in the file; without a transformation every listed column is a field."""
    listed = _COPY_COLUMNS.search(copy_statement)
    if not listed:
        raise SqlParseError("COPY statement has no explicit column list")
    columns = [c.strip().upper() for c in listed.group("columns").split(",") if c.strip()]
    select = _COPY_SELECT.search(copy_statement)
    if not select:
        return tuple(columns)
    items = [item.strip() for item in select.group("items").split(",")]
    if len(items) != len(columns):
        raise SqlParseError(f"COPY lists {len(columns)} columns but selects {len(items)} values")
    fields: dict[int, str] = {}
    for column, item in zip(columns, items):
        field_ref = _COPY_FIELD.match(item)
        if field_ref:
            fields[int(field_ref.group("n"))] = column
        elif not item.upper().startswith("METADATA$"):
            raise SqlParseError(f"COPY column {column}: {item!r} is neither $n, FUNCTION($n) nor METADATA$...")
    if sorted(fields) != list(range(1, len(fields) + 1)):
        raise SqlParseError(f"COPY reads fields {sorted(fields)}: expected $1..${len(fields)}, each once")
    return tuple(fields[n] for n in sorted(fields))


def parse_stream(rendered: str) -> StreamDef:
    match = _STREAM.match(rendered.strip())
    if not match:
        raise SqlParseError("not a CREATE STREAM ... ON TABLE ... statement")
    options = _options(match.group("options"))
    return StreamDef(
        name=match.group("name").upper(),
        table=match.group("table").upper(),
        append_only=options.get("APPEND_ONLY", "FALSE").upper() == "TRUE",
    )


def parse_task(rendered: str) -> TaskDef:
    match = _TASK.match(rendered.strip())
    if not match:
        raise SqlParseError("not a CREATE TASK ... AS <statement> statement")
    header = match.group("options")
    when_match = _WHEN.search(header)
    when = when_match.group("condition").strip() if when_match else None
    if when and not re.fullmatch(r"(?:\s|\bOR\b)*", _STREAM_HAS_DATA.sub(" ", when), re.IGNORECASE):
        # The emulator evaluates WHEN as "any of these streams has data"; anything else
        # would be evaluated wrongly, so it is refused here instead.
        raise SqlParseError(f"task {match.group('name')}: WHEN must be SYSTEM$STREAM_HAS_DATA('...') "
                            f"calls joined by OR, got: {when}")
    head_without_when = header[: when_match.start()] if when_match else header
    after_match = _AFTER.search(head_without_when)
    options = _options(head_without_when)
    name = match.group("name").upper()
    unknown = sorted(set(options) - set(TASK_OPTIONS))
    if unknown:
        raise SqlParseError(f"task {name}: options {unknown} are not understood (known: {', '.join(TASK_OPTIONS)})")
    after = tuple(t.strip().upper() for t in after_match.group("tasks").split(",")) if after_match else ()
    finalize = options.get("FINALIZE", "").upper() or None
    misplaced = [key for key in _ROOT_ONLY if key in options] + (["WHEN"] if when and finalize else [])
    if (after or finalize) and misplaced:
        raise SqlParseError(f"task {name}: {', '.join(misplaced)} belong to a root task, not to a "
                            f"{'finalizer' if finalize else 'child'}")
    if after and finalize:
        raise SqlParseError(f"task {name}: a finalizer (FINALIZE) has no AFTER")
    return TaskDef(
        name=name,
        warehouse=options.get("WAREHOUSE"),
        schedule=options.get("SCHEDULE"),
        after=after,
        when=when,
        streams=tuple(s.upper() for s in _STREAM_HAS_DATA.findall(when or "")),
        body=match.group("body").strip(),
        options=options,
        finalize=finalize,
        retry_attempts=_count(name, options, "TASK_AUTO_RETRY_ATTEMPTS", 0),
        suspend_after_failures=_count(name, options, "SUSPEND_TASK_AFTER_NUM_FAILURES", None),
    )


def _count(task: str, options: dict[str, str], key: str, default: int | None) -> int | None:
    if key not in options:
        return default
    if not options[key].isdigit():
        raise SqlParseError(f"task {task}: {key} = {options[key]!r} is not a whole number")
    return int(options[key])


def streams_read_by(body: str, names) -> list[str]:
    """The names (streams) a statement body mentions as whole words, case-insensitively, in
    ``names`` order: the streams a task reads, and so consumes when it commits."""
    return [name for name in names if re.search(rf"\b{re.escape(name)}\b", body, re.IGNORECASE)]
