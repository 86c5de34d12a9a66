"""moviepipe on AWS + Snowflake: the whole pipeline from one stack configuration.

Read top to bottom; each line names the module that declares a concern:

    settings.py          stack config (documented in Pulumi.dev.yaml), secrets checked
    storage.py           KMS key; landing, processed, archive, artifacts buckets
    alerting.py          SNS topic + e-mail subscriptions; Glue rule and CloudWatch alarms
    ingest.py            unzip Lambda, its role, layer, DLQ, log group, .zip trigger
    glue_job.py          Glue job, scripts, role, log group; Glue Data Catalog tables
    worker.py            the ECS task role of the Prefect flow runs (the cloud runtime)
    snowflake_access.py  Snowflake provider; storage + notification integrations and their IAM roles
    snowflake_objects.py warehouse and every object under sql/ (stage, pipes, streams, tasks...)
    snowflake_roles.py   loader and analyst roles with their grants
    snowpipe_wiring.py   archive bucket -> each pipe's SQS notification channel
    policies.py          security rules the tests apply to what this program declares
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # Pulumi runs this file as a script

import pulumi  # noqa: E402

from infra import (  # noqa: E402
    alerting,
    glue_job,
    ingest,
    settings as stack_settings,
    snowflake_access,
    snowflake_objects,
    snowflake_roles,
    snowpipe_wiring,
    storage,
    worker,
)
from moviepipe import contract  # noqa: E402

settings = stack_settings.load()

# --- AWS ---------------------------------------------------------------------------
lake = storage.DataLake("data", settings)
alerts = alerting.AlertTopic("alerts", settings)
unzip = ingest.UnzipLambda("unzip", settings, lake, alerts.arn)

integration = snowflake_access.storage_integration_name(settings)
pipe_defs = [pipe for _, pipe in snowflake_objects.pipe_defs(settings, integration)]
archive_prefixes = [snowpipe_wiring.stage_prefix(pipe) for pipe in pipe_defs]

glue = glue_job.GlueJob(
    "glue", settings, lake,
    raw_columns=[*contract.RAW_COLUMNS, *contract.EXTRA_COLUMNS],
    archive_columns={snowpipe_wiring.stage_prefix(p): glue_job.copy_columns(p.copy_statement) for p in pipe_defs},
)
flow_runs = worker.WorkerRole("worker", settings, lake, glue_job_name=glue.name, alert_topic_arn=alerts.arn,
                              archive_prefixes=archive_prefixes)
alarms = alerting.PipelineAlarms("alarms", settings, alerts.arn, glue_job_name=glue.name,
                                 lambda_name=unzip.name, dlq_name=unzip.dlq.name)

# --- Snowflake -----------------------------------------------------------------------
provider = snowflake_access.snowflake_provider(settings)
access = snowflake_access.SnowflakeAccess(
    "snowflake-access", settings, provider=provider, archive=lake.archive, archive_prefixes=archive_prefixes,
    kms_key_arn=lake.key.arn, alert_topic_arn=alerts.arn)
warehouse = snowflake_objects.SnowflakeObjects(
    "snowflake", settings, provider=provider, storage_integration=integration,
    notification_integration=access.notification_integration_name, archive_url=lake.archive.uri(),
    integration_ready=[access.storage_integration, access.notification_integration, *access.ready])
roles = snowflake_roles.SnowflakeRoles("snowflake-roles", settings, provider=provider, objects=warehouse)
wiring = snowpipe_wiring.SnowpipeWiring("snowpipe", archive=lake.archive, pipes=list(warehouse.pipes.values()))

# --- What a cloud runtime needs --------------------------------------------------------
for role, bucket in lake.buckets.items():
    pulumi.export(f"{role}Bucket", bucket.name)
pulumi.export("kmsKeyArn", lake.key.arn)
pulumi.export("unzipLambdaName", unzip.name)
pulumi.export("unzipDeadLetterQueueUrl", unzip.dlq.url)
pulumi.export("glueJobName", glue.name)
pulumi.export("glueCatalogDatabase", glue.database.name)
pulumi.export("workerTaskRoleArn", flow_runs.arn)
pulumi.export("alertTopicArn", alerts.arn)
pulumi.export("snowflakeDatabase", warehouse.database)
pulumi.export("snowflakeWarehouse", warehouse.warehouse.name)
pulumi.export("snowflakeStages", sorted(f"{warehouse.database}.{name}" for name in warehouse.stages))
pulumi.export("snowflakePipes", sorted(f"{warehouse.database}.{name}" for name in warehouse.pipes))
pulumi.export("snowflakeTasks", sorted(f"{warehouse.database}.{name}" for name in warehouse.tasks))
pulumi.export("snowflakeLoaderRole", roles.loader.name)
pulumi.export("snowflakeAnalystRole", roles.analyst.name)
pulumi.export("snowflakeStorageIntegration", access.storage_integration_name)
pulumi.export("snowflakeNotificationIntegration", access.notification_integration_name)
