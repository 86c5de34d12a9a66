"""The Snowflake side of the pipeline, built kind by kind from ``sql/``.

Every statement comes from a file (via ``infra.sqltext``); this module only
decides which Pulumi resource carries it:

- databases, schemas, file formats, tables, views -> ``snowflake.Execute`` with
  the file's statement (database-qualified) and a ``DROP ... IF EXISTS`` revert;
- stages -> ``StageExternalS3`` on the archive bucket through the storage integration;
- pipes -> ``Pipe`` (auto-ingest; its ``notification_channel`` is the SQS queue the
  archive bucket notifies, see ``snowpipe_wiring.py``);
- streams -> ``StreamOnTable``; tasks -> ``Task`` (started), every option of the file mapped to
  its provider argument (``task_arguments``), session TIMEZONE = UTC. Two stack options change how
  the graph runs without changing its SQL: ``snowflakeTaskCompute: serverless`` drops WAREHOUSE
  and lets Snowflake manage the compute (USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE =
  ``snowflakeWarehouseSize``); ``snowflakeTaskTrigger: stream`` drops the root's SCHEDULE, making
  it a triggered task that runs when its WHEN streams have data.

Kinds are applied in ``sqlfiles.KIND_ORDER``; each resource depends on every
resource of the earlier kinds, so a new file of any kind needs no code change.
Pipes and tasks report errors to the notification integration (-> SNS).

Data safety: databases, schemas and tables are ``protect``-ed unless
``protectData`` is false. Their files use ``IF NOT EXISTS``; changing a table
file is a migration, never a silent drop-and-recreate.
"""

from __future__ import annotations

import re

import pulumi
import pulumi_snowflake as snowflake

from infra import sqltext
from infra.settings import Settings
from moviepipe.warehouse import sqlfiles

EXECUTE_KINDS = ("databases", "schemas", "file_formats", "tables", "views")
PROTECTED_KINDS = ("databases", "schemas", "tables")
ARCHIVE_URL_PLACEHOLDER = "s3://archive-bucket/"
#: Task options in a task file that this module maps to provider arguments (task_arguments).
TASK_OPTIONS = {"WAREHOUSE", "USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE", "SCHEDULE", "TASK_AUTO_RETRY_ATTEMPTS",
                "SUSPEND_TASK_AFTER_NUM_FAILURES", "FINALIZE"}


def render_values(settings: Settings, storage_integration: str, archive_url: str = ARCHIVE_URL_PLACEHOLDER) -> dict:
    return {
        "database": settings.snowflake.database,
        "warehouse": settings.snowflake.warehouse,
        "archive_url": archive_url,
        "stage_options": f"STORAGE_INTEGRATION = {storage_integration}",
    }


def stage_url(rendered_stage: str) -> str:
    match = re.search(r"\bURL\s*=\s*'(?P<url>[^']+)'", rendered_stage, re.IGNORECASE)
    if not match:
        raise sqltext.SqlShapeError("stage file has no URL = '...'")
    return match.group("url")


def pipe_defs(settings: Settings, storage_integration: str) -> list[tuple[sqltext.SqlObject, sqlfiles.PipeDef]]:
    """Every pipe file, parsed: the archive prefixes they load are wired from these."""
    return [(obj, sqlfiles.parse_pipe(obj.rendered))
            for obj in sqltext.load("pipes", **render_values(settings, storage_integration))]


class SnowflakeObjects(pulumi.ComponentResource):
    """Warehouse plus every object under ``sql/``, in dependency order."""

    def __init__(self, name: str, settings: Settings, *, provider: snowflake.Provider,
                 storage_integration: str, notification_integration: pulumi.Input[str],
                 archive_url: pulumi.Input[str], integration_ready: list[pulumi.Resource],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("moviepipe:snowflake:SnowflakeObjects", name, None, opts)
        sf = settings.snowflake
        self._provider = provider
        self._settings = sf
        self._protect_data = sf.protect_data
        self.database = sf.database
        self.schemas = sqltext.schema_names()
        values = render_values(settings, storage_integration)

        self.warehouse = snowflake.Warehouse(
            f"{name}-warehouse", name=sf.warehouse, warehouse_size=sf.warehouse_size,
            auto_suspend=sf.auto_suspend_seconds, auto_resume="true", initially_suspended=True,
            comment="moviepipe: tasks and the loader role", opts=self._opts())

        self.executes: dict[str, snowflake.Execute] = {}   # object name -> resource
        self.objects: dict[str, list[sqltext.SqlObject]] = {}
        self.stages: dict[str, snowflake.StageExternalS3] = {}
        self.pipes: dict[str, tuple[sqlfiles.PipeDef, snowflake.Pipe]] = {}
        self.streams: dict[str, snowflake.StreamOnTable] = {}
        self.tasks: dict[str, snowflake.Task] = {}
        earlier: list[pulumi.Resource] = [self.warehouse]

        for kind in sqlfiles.KIND_ORDER:
            objects = sqltext.load(kind, **values)
            self.objects[kind] = objects
            created: list[pulumi.Resource] = []
            for obj in objects:
                depends = earlier + (integration_ready if kind in ("stages", "pipes", "tasks") else [])
                created.append(self._declare(kind, obj, depends, storage_integration, notification_integration,
                                             archive_url, values))
            earlier = earlier + created
        self.register_outputs({})

    # ------------------------------------------------------------------ helpers
    def _opts(self, depends_on: list[pulumi.Resource] | None = None, **extra) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._provider, depends_on=depends_on, **extra)

    def _q(self, sql: str) -> str:
        return sqltext.qualify(sql, self.database, self.schemas)

    def _resource_name(self, obj: sqltext.SqlObject) -> str:
        return f"{self._name}-{obj.file.kind}-{obj.name.lower().replace('.', '-')}"

    def _declare(self, kind, obj, depends, storage_integration, notification_integration, archive_url, values):
        db, rname = self.database, self._resource_name(obj)
        if kind in EXECUTE_KINDS:
            resource = snowflake.Execute(
                rname, execute=self._q(obj.rendered), revert=sqltext.drop_statement(obj, db),
                # delete first: a CREATE OR REPLACE followed by the old resource's DROP would drop the new object
                opts=self._opts(depends, delete_before_replace=True,
                                protect=self._is_protected(kind)))
            self.executes[obj.name] = resource
            return resource
        if kind == "stages":
            file = obj.file
            url = pulumi.Output.from_input(archive_url).apply(
                lambda u: stage_url(file.render(**{**values, "archive_url": u})))
            stage = snowflake.StageExternalS3(
                rname, database=db, schema=obj.schema, name=obj.object_name, url=url,
                storage_integration=storage_integration, opts=self._opts(depends))
            self.stages[obj.name] = stage
            return stage
        if kind == "pipes":
            pipe_def = sqlfiles.parse_pipe(obj.rendered)
            pipe = snowflake.Pipe(
                rname, database=db, schema=obj.schema, name=obj.object_name,
                copy_statement=self._q(pipe_def.copy_statement), auto_ingest=pipe_def.auto_ingest,
                error_integration=notification_integration, opts=self._opts(depends))
            self.pipes[obj.name] = (pipe_def, pipe)
            return pipe
        if kind == "streams":
            stream_def = sqlfiles.parse_stream(obj.rendered)
            stream = snowflake.StreamOnTable(
                rname, database=db, schema=obj.schema, name=obj.object_name,
                table=sqltext.quoted(db, stream_def.table),
                append_only="true" if stream_def.append_only else "false", opts=self._opts(depends))
            self.streams[obj.name] = stream
            return stream
        if kind == "tasks":
            task_def = sqlfiles.parse_task(obj.rendered)
            unknown = set(task_def.options) - TASK_OPTIONS
            if unknown:
                raise sqltext.SqlShapeError(f"{obj.file.path.name}: task options {sorted(unknown)} are not mapped "
                                            "to the Task resource; add them in infra/snowflake_objects.py")
            task = snowflake.Task(
                rname, database=db, schema=obj.schema, name=obj.object_name, started=True,
                sql_statement=self._q(task_def.body), error_integration=notification_integration,
                **task_arguments(task_def, self._settings, db, self._q), opts=self._opts(depends))
            self.tasks[obj.name] = task
            return task
        raise sqltext.SqlShapeError(f"no resource mapping for SQL kind {kind!r}")

    def _is_protected(self, kind: str) -> bool:
        return kind in PROTECTED_KINDS and self._protect_data

    def fqn(self, name: str) -> str:
        return sqltext.quoted(self.database, name)


def task_arguments(task_def: sqlfiles.TaskDef, sf, database: str, qualify) -> dict:
    """The Task resource's arguments for a task file, under the stack's compute and trigger options."""
    arguments: dict = {"timezone": "UTC"}  # the SQL writes UTC itself; this keeps the session's clock UTC too
    if sf.task_compute == "serverless":
        arguments["user_task_managed_initial_warehouse_size"] = (
            task_def.options.get("USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE") or sf.warehouse_size)
    else:
        arguments["warehouse"] = task_def.warehouse
        if "USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE" in task_def.options:
            raise sqltext.SqlShapeError(f"task {task_def.name}: USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE needs "
                                        "moviepipe:snowflakeTaskCompute serverless")
    schedule = sqltext.schedule_args(task_def.schedule)
    if schedule and not (sf.task_trigger == "stream" and task_def.when):
        arguments["schedule"] = snowflake.TaskScheduleArgs(**schedule)
    if task_def.is_root and sf.task_trigger == "stream" and not task_def.when:
        raise sqltext.SqlShapeError(f"task {task_def.name}: a triggered root needs WHEN SYSTEM$STREAM_HAS_DATA(...)")
    if task_def.after:
        arguments["afters"] = [sqltext.quoted(database, after) for after in task_def.after]
    if task_def.when:
        arguments["when"] = qualify(task_def.when)
    if task_def.finalize:
        arguments["finalize"] = sqltext.quoted(database, task_def.finalize)
    if "TASK_AUTO_RETRY_ATTEMPTS" in task_def.options:
        arguments["task_auto_retry_attempts"] = task_def.retry_attempts
    if task_def.suspend_after_failures is not None:
        arguments["suspend_task_after_num_failures"] = task_def.suspend_after_failures
    return arguments
