"""Snowflake access roles: a loader role for the pipeline runtime, a read-only analyst role.

- ``<PREFIX>_LOADER``: what the cloud runtime needs to reconcile loads and keep
  the ledger: read/write the RAW and OPS tables, read ANALYTICS, use the stage
  and file formats, monitor/operate pipes and tasks, read streams.
- ``<PREFIX>_ANALYST``: USAGE on the warehouse and the view schemas, SELECT on
  every view (and on future views there), nothing else: no table, no stage.

Both roles are granted to SYSADMIN, so administrators inherit them; grant a role
to a person or service user with ``GRANT ROLE ... TO USER ...`` (docs/deploy.md).
Objects are enumerated from ``sql/`` (via SnowflakeObjects), so a new table or
view file gets its grants without code changes.
"""

from __future__ import annotations

import pulumi
import pulumi_snowflake as snowflake

from infra.settings import Settings
from infra.snowflake_access import sf_identifier
from infra.snowflake_objects import SnowflakeObjects

#: Schemas whose tables the loader writes (the pipeline's own landing and metadata).
LOADER_WRITE_SCHEMAS = ("RAW", "OPS")
LOADER_TABLE_WRITE = ["SELECT", "INSERT"]
#: Beyond insert: the ledger replaces a stage's row when a batch is retried (moviepipe/ledger.py).
#: tests/runtime/test_cloud_grants.py derives these from the statements a cloud batch sends.
LOADER_TABLE_EXTRA = {"OPS.BATCH_LEDGER": ["DELETE"]}
READ = ["SELECT"]


class SnowflakeRoles(pulumi.ComponentResource):
    """The two account roles and every grant they hold."""

    def __init__(self, name: str, settings: Settings, *, provider: snowflake.Provider, objects: SnowflakeObjects,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("moviepipe:snowflake:SnowflakeRoles", name, None, opts)
        self._provider = provider
        self._objects = objects
        sf_opts = pulumi.ResourceOptions(parent=self, provider=provider)
        self.loader = snowflake.AccountRole(f"{name}-loader", name=sf_identifier(settings, "LOADER"),
                                            comment="moviepipe runtime: load, reconcile, operate", opts=sf_opts)
        self.analyst = snowflake.AccountRole(f"{name}-analyst", name=sf_identifier(settings, "ANALYST"),
                                             comment="moviepipe: read-only on the analytics views", opts=sf_opts)
        self.grants: list[snowflake.GrantPrivilegesToAccountRole] = []
        for role in (self.loader, self.analyst):
            snowflake.GrantAccountRole(f"{role._name}-to-sysadmin", role_name=role.name,
                                       parent_role_name="SYSADMIN", opts=sf_opts)

        db = objects.database
        view_schemas = sorted({v.schema for v in objects.objects["views"]})

        # --- both roles: warehouse and database usage --------------------------------
        for role in (self.loader, self.analyst):
            self._account_object(role, "warehouse", "WAREHOUSE", objects.warehouse.name, ["USAGE"])
            self._account_object(role, "database", "DATABASE", db, ["USAGE"])

        # --- loader ------------------------------------------------------------------
        for schema in objects.schemas:
            self._schema(self.loader, schema, ["USAGE"])
        for table in objects.objects["tables"]:
            privileges = LOADER_TABLE_WRITE if table.schema in LOADER_WRITE_SCHEMAS else READ
            privileges = privileges + LOADER_TABLE_EXTRA.get(table.name, [])
            self._schema_object(self.loader, "TABLE", table.name, privileges)
        for fmt in objects.objects["file_formats"]:
            self._schema_object(self.loader, "FILE FORMAT", fmt.name, ["USAGE"])
        for stage in objects.objects["stages"]:
            self._schema_object(self.loader, "STAGE", stage.name, ["USAGE"])
        for pipe in objects.objects["pipes"]:
            self._schema_object(self.loader, "PIPE", pipe.name, ["MONITOR", "OPERATE"])
        for stream in objects.objects["streams"]:
            self._schema_object(self.loader, "STREAM", stream.name, READ)
        for task in objects.objects["tasks"]:
            self._schema_object(self.loader, "TASK", task.name, ["MONITOR", "OPERATE"])
        for view in objects.objects["views"]:
            self._schema_object(self.loader, "VIEW", view.name, READ)

        # --- analyst: views only ------------------------------------------------------
        for schema in view_schemas:
            self._schema(self.analyst, schema, ["USAGE"])
            self._grant(self.analyst, f"future-views-{schema.lower()}", READ,
                        on_schema_object=snowflake.GrantPrivilegesToAccountRoleOnSchemaObjectArgs(
                            future=snowflake.GrantPrivilegesToAccountRoleOnSchemaObjectFutureArgs(
                                object_type_plural="VIEWS", in_schema=objects.fqn(schema))))
        for view in objects.objects["views"]:
            self._schema_object(self.analyst, "VIEW", view.name, READ)

        self.register_outputs({"loader": self.loader.name, "analyst": self.analyst.name})

    # ------------------------------------------------------------------ helpers
    def _depends(self, name: str | None) -> list[pulumi.Resource]:
        """The resource that creates ``name`` (grants must wait for their object)."""
        objects = self._objects
        for registry in (objects.executes, objects.stages, objects.streams, objects.tasks):
            if name in registry:
                return [registry[name]]
        if name in objects.pipes:
            return [objects.pipes[name][1]]
        return [objects.warehouse]

    def _grant(self, role: snowflake.AccountRole, suffix: str, privileges: list[str], *,
               depends: list[pulumi.Resource] | None = None, **target) -> snowflake.GrantPrivilegesToAccountRole:
        grant = snowflake.GrantPrivilegesToAccountRole(
            f"{role._name}-{suffix}", account_role_name=role.name, privileges=privileges,
            opts=pulumi.ResourceOptions(parent=self, provider=self._provider,
                                        depends_on=depends or [self._objects.warehouse]),
            **target)
        self.grants.append(grant)
        return grant

    def _account_object(self, role, suffix: str, object_type: str, object_name: pulumi.Input[str], privileges):
        depends = self._depends(object_name) if isinstance(object_name, str) else [self._objects.warehouse]
        return self._grant(role, suffix, privileges, depends=depends,
                           on_account_object=snowflake.GrantPrivilegesToAccountRoleOnAccountObjectArgs(
                               object_type=object_type, object_name=object_name))

    def _schema(self, role, schema: str, privileges):
        return self._grant(role, f"schema-{schema.lower()}", privileges, depends=self._depends(schema),
                           on_schema=snowflake.GrantPrivilegesToAccountRoleOnSchemaArgs(
                               schema_name=self._objects.fqn(schema)))

    def _schema_object(self, role, object_type: str, name: str, privileges):
        suffix = f"{object_type.lower().replace(' ', '-')}-{name.lower().replace('.', '-')}"
        return self._grant(role, suffix, privileges, depends=self._depends(name),
                           on_schema_object=snowflake.GrantPrivilegesToAccountRoleOnSchemaObjectArgs(
                               object_type=object_type, object_name=self._objects.fqn(name)))
