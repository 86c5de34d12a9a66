"""SQL from ``sql/`` made ready for Snowflake resources; no SQL is written here.

The files name objects ``SCHEMA.OBJECT`` because the local emulator connects
with a current database. Pulumi's Snowflake provider connects without one, and
Snowflake then rejects two-part names ("This session does not have a current
database"). :func:`qualify` therefore prefixes the configured database to every
reference to one of the project's schemas and changes nothing else:
``unqualify(qualify(sql)) == sql`` is what the tests check against the files.

Convention the files follow (and :func:`qualify` relies on): schema names are
upper case; CTE and table aliases are lower case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from moviepipe.warehouse import sqlfiles  # stdlib-only; infra/__init__ makes it importable

_HEADER = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?P<kind>DATABASE|SCHEMA|TABLE|VIEW|FILE\s+FORMAT|STAGE|PIPE|STREAM|TASK)"
    r"\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>[\w.$]+)",
    re.IGNORECASE,
)


class SqlShapeError(ValueError):
    """A file under sql/ does not start with the CREATE header this program expects."""


@dataclass(frozen=True)
class SqlObject:
    """One rendered file: what it creates, and its text as it appears in the file."""

    file: sqlfiles.SqlFile
    kind: str  # DATABASE, SCHEMA, TABLE, VIEW, FILE FORMAT, STAGE, PIPE, STREAM, TASK
    name: str  # as written: RAW.MOVIES (schema objects), RAW (schemas), the database name
    rendered: str

    @property
    def schema(self) -> str:
        return self.name.split(".")[0]

    @property
    def object_name(self) -> str:
        return self.name.split(".")[-1]


def header(rendered: str, source: str = "<sql>") -> tuple[str, str]:
    match = _HEADER.match(rendered)
    if not match:
        raise SqlShapeError(f"{source}: expected CREATE <kind> <name> at the start")
    return re.sub(r"\s+", " ", match.group("kind").upper()), match.group("name").upper()


def load(kind: str, **values: str) -> list[SqlObject]:
    """Every file of one kind, rendered with ``values``."""
    objects = []
    for sql_file in sqlfiles.load(kind):
        rendered = sql_file.render(**values)
        object_kind, name = header(rendered, sql_file.path.name)
        objects.append(SqlObject(sql_file, object_kind, name, rendered))
    return objects


def schema_names() -> list[str]:
    """The project's schemas, read from ``sql/schemas`` (they need no rendering)."""
    return [header(f.render(), f.path.name)[1] for f in sqlfiles.load("schemas")]


def _references(schemas: list[str]) -> re.Pattern[str]:
    names = "|".join(re.escape(s) for s in sorted(schemas, key=len, reverse=True))
    # A schema name followed by '.', not itself preceded by a name part ('.', word, quote).
    return re.compile(rf"(?<![\w.$\"])(?P<schema>{names})\.(?=[A-Za-z_\"])")


def qualify(sql: str, database: str, schemas: list[str]) -> str:
    """``RAW.MOVIES`` -> ``<DB>.RAW.MOVIES`` everywhere; a bare schema header too."""
    qualified = _references(schemas).sub(lambda m: f"{database}.{m.group('schema')}.", sql)
    match = _HEADER.match(qualified)
    if match and match.group("kind").upper() == "SCHEMA" and "." not in match.group("name"):
        start, end = match.span("name")
        qualified = f"{qualified[:start]}{database}.{qualified[start:end]}{qualified[end:]}"
    return qualified


def unqualify(sql: str, database: str) -> str:
    """The inverse of :func:`qualify`, for tests: the text as written in the file."""
    return re.sub(rf"(?<![\w.$\"]){re.escape(database)}\.", "", sql)


def drop_statement(obj: SqlObject, database: str) -> str:
    """What undoes ``obj`` on ``pulumi destroy`` (Execute's ``revert``)."""
    target = obj.name if obj.kind == "DATABASE" else f"{database}.{obj.name}"
    return f"DROP {obj.kind} IF EXISTS {target}"


def quoted(database: str, name: str) -> str:
    """``RAW.MOVIES`` -> ``"DB"."RAW"."MOVIES"``: the provider's fully qualified form."""
    return ".".join(f'"{part}"' for part in [database, *name.split(".")])


def schedule_args(schedule: str | None) -> dict[str, object]:
    """A task's ``SCHEDULE = '5 MINUTE'`` / ``'USING CRON ...'`` as provider arguments."""
    if not schedule:
        return {}
    cron = re.match(r"^\s*USING\s+CRON\s+(?P<expr>.+)$", schedule, re.IGNORECASE)
    if cron:
        return {"using_cron": cron.group("expr").strip()}
    interval = re.match(r"^\s*(?P<n>\d+)\s*(?P<unit>SECOND|MINUTE|HOUR)S?\s*$", schedule, re.IGNORECASE)
    if not interval:
        raise SqlShapeError(f"task schedule {schedule!r} is neither 'N MINUTE' nor 'USING CRON ...'")
    unit = interval.group("unit").lower() + "s"
    return {unit: int(interval.group("n"))}
