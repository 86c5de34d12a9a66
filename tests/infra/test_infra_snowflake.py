"""Snowflake: SQL comes from sql/, Snowpipe is wired to the archive bucket, roles are scoped."""

import json

import pytest

from infra import policies, sqltext
from infra.settings import SNOWFLAKE_PREVIEW_FEATURES
from infra.snowpipe_wiring import stage_prefix
from moviepipe.contract import archive as contract
from moviepipe.warehouse import sqlfiles

DB = "MOVIEPIPE"
WAREHOUSE = "MOVIEPIPE_WH"
EXECUTE = "snowflake:index/execute:Execute"
VALUES = {"database": DB, "warehouse": WAREHOUSE, "archive_url": "s3://x/", "stage_options": ""}


def rendered(kind):
    return [f.render(**VALUES) for f in sqlfiles.load(kind)]


def unqualified(text):
    return sqltext.unqualify(text, DB)


@pytest.mark.parametrize("kind", ["databases", "schemas", "file_formats", "tables", "views"])
def test_each_ddl_file_is_executed_verbatim(stack, kind):
    statements = [unqualified(e.inputs["execute"]) for e in stack.of(EXECUTE)]
    files = rendered(kind)
    assert files, f"no sql/{kind} files"
    for text in files:
        assert statements.count(text) == 1, f"sql/{kind}: statement not executed exactly once:\n{text[:200]}"


def test_executes_are_database_qualified_and_revertible(stack):
    for execute in stack.of(EXECUTE):
        kind, name = sqltext.header(execute.inputs["execute"])
        assert name == DB or name.startswith(f"{DB}."), name
        assert execute.inputs["revert"] == f"DROP {kind} IF EXISTS {name}"
    assert len(stack.of(EXECUTE)) == sum(len(sqlfiles.load(k)) for k in
                                         ("databases", "schemas", "file_formats", "tables", "views"))


def test_pipes_carry_the_copy_statement_of_their_file(stack):
    pipes = {f"{p.inputs['schema']}.{p.inputs['name']}": p for p in stack.of(policies.PIPE)}
    for text in rendered("pipes"):
        definition = sqlfiles.parse_pipe(text)
        pipe = pipes.pop(definition.name)
        assert unqualified(pipe.inputs["copyStatement"]) == definition.copy_statement
        assert pipe.inputs["autoIngest"] is definition.auto_ingest is True
        assert pipe.inputs["database"] == DB
        assert pipe.inputs["errorIntegration"] == stack.exports["snowflakeNotificationIntegration"]
    assert not pipes, f"pipes without a file: {list(pipes)}"


def test_each_pipe_channel_is_the_queue_the_archive_bucket_notifies(stack):
    archive = stack.exports["archiveBucket"]
    prefixes = {}
    for text in rendered("pipes"):
        definition = sqlfiles.parse_pipe(text)
        pipe = next(p for p in stack.of(policies.PIPE)
                    if f"{p.inputs['schema']}.{p.inputs['name']}" == definition.name)
        prefixes[pipe.name] = stage_prefix(definition)
    assert sorted(prefixes.values()) == sorted(f"{entity}/" for entity in contract.ENTITIES)
    assert policies.snowpipe_wiring_problems(stack.resources, archive, prefixes) == []
    (note,) = [n for n in stack.of(policies.NOTIFICATION) if n.inputs["bucket"] == archive]
    assert {q["filterSuffix"] for q in note.inputs["queues"]} == {".csv"}


def test_streams_and_tasks_come_from_their_files(stack):
    streams = {f"{s.inputs['schema']}.{s.inputs['name']}": s for s in stack.of("snowflake:index/streamOnTable:StreamOnTable")}
    for text in rendered("streams"):
        stream_def = sqlfiles.parse_stream(text)
        stream = streams.pop(stream_def.name)
        assert stream.inputs["table"] == sqltext.quoted(DB, stream_def.table)
        assert stream.inputs["appendOnly"] == "true"
    assert not streams, f"streams without a file: {list(streams)}"

    tasks = {f"{t.inputs['schema']}.{t.inputs['name']}": t for t in stack.of("snowflake:index/task:Task")}
    for text in rendered("tasks"):
        task_def = sqlfiles.parse_task(text)
        task = tasks.pop(task_def.name)
        assert unqualified(task.inputs["sqlStatement"]) == task_def.body
        assert task.inputs["started"] is True
        assert task.inputs["warehouse"] == WAREHOUSE == stack.exports["snowflakeWarehouse"]
        assert task.inputs["errorIntegration"] == stack.exports["snowflakeNotificationIntegration"]
        if task_def.after or task_def.finalize:  # a child or the finalizer: no schedule or condition of its own
            assert task.inputs.get("afters") == ([sqltext.quoted(DB, a) for a in task_def.after] or None)
            assert "schedule" not in task.inputs and "when" not in task.inputs
        else:
            assert unqualified(task.inputs["when"]) == task_def.when
            assert task.inputs["schedule"] == {"minutes": 5}
    assert not tasks, f"tasks without a file: {list(tasks)}"


def test_stage_reads_the_archive_bucket_through_the_integration(stack):
    (stage_file,) = sqlfiles.load("stages")
    stage = stack.one("snowflake:index/stageExternalS3:StageExternalS3")
    url = f"s3://{stack.exports['archiveBucket']}/"
    assert stage.inputs["url"] == url
    assert f"URL = '{url}'" in stage_file.render(**{**VALUES, "archive_url": url})
    integration = stack.one("snowflake:index/storageIntegrationAws:StorageIntegrationAws")
    assert stage.inputs["storageIntegration"] == integration.inputs["name"]
    assert integration.inputs["storageAllowedLocations"] == [url]


def test_storage_integration_role_trusts_snowflake_with_external_id(stack):
    integration = stack.one("snowflake:index/storageIntegrationAws:StorageIntegrationAws")
    role = stack.one("aws:iam/role:Role", "s3-role")
    assert integration.inputs["storageAwsRoleArn"] == role.outputs["arn"]
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    described = integration.outputs["describeOutputs"][0]
    assert statement["Principal"] == {"AWS": described["iamUserArn"]}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": described["externalId"]}}


def test_notification_integration_publishes_to_the_alert_topic(stack):
    integration = stack.one("snowflake:index/notificationIntegration:NotificationIntegration")
    assert integration.inputs["awsSnsTopicArn"] == stack.exports["alertTopicArn"]
    assert integration.inputs["direction"] == "OUTBOUND"
    role = stack.one("aws:iam/role:Role", "sns-role")
    assert integration.inputs["awsSnsRoleArn"] == role.outputs["arn"]
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Condition"]["StringEquals"]["sts:ExternalId"] == integration.outputs["awsSnsExternalId"]


def test_warehouse_auto_suspends(stack):
    warehouse = stack.one("snowflake:index/warehouse:Warehouse")
    assert warehouse.inputs["autoSuspend"] == 60 and warehouse.inputs["autoResume"] == "true"


def test_provider_enables_the_preview_resources_and_uses_the_key(stack):
    provider = stack.one("pulumi:providers:snowflake")
    assert set(json.loads(provider.inputs["previewFeaturesEnabled"])) >= set(SNOWFLAKE_PREVIEW_FEATURES)
    assert provider.inputs["authenticator"] == "SNOWFLAKE_JWT"
    assert "password" not in provider.inputs


def grants_of(stack, role_export):
    role = stack.exports[role_export]
    return [g.inputs for g in stack.of("snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole")
            if g.inputs["accountRoleName"] == role]


def test_analyst_is_read_only_on_views(stack):
    grants = grants_of(stack, "snowflakeAnalystRole")
    object_grants = [g for g in grants if "onSchemaObject" in g]
    assert object_grants and all(g["privileges"] == ["SELECT"] for g in object_grants)
    assert all(g["onSchemaObject"].get("objectType", "VIEW") == "VIEW" for g in object_grants)
    views = {sqltext.quoted(DB, sqltext.header(t)[1]) for t in rendered("views")}
    assert {g["onSchemaObject"].get("objectName") for g in object_grants} - {None} == views
    other = [g["privileges"] for g in grants if "onSchemaObject" not in g]
    assert all(p == ["USAGE"] for p in other)


def test_loader_writes_raw_and_ops_but_only_reads_analytics(stack):
    tables = {g["onSchemaObject"]["objectName"]: g["privileges"] for g in grants_of(stack, "snowflakeLoaderRole")
              if g.get("onSchemaObject", {}).get("objectType") == "TABLE"}
    assert tables[sqltext.quoted(DB, "RAW.MOVIES")] == ["SELECT", "INSERT"]
    assert tables[sqltext.quoted(DB, "OPS.BATCH_LEDGER")] == ["SELECT", "INSERT", "DELETE"]
    assert tables[sqltext.quoted(DB, "ANALYTICS.DIM_MOVIE")] == ["SELECT"]
    assert len(tables) == len(sqlfiles.load("tables"))
