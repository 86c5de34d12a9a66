"""One deployment's worth of AWS in moto, every principal holding exactly its rendered policies.

What runs for real, as which principal (moto, IAM enforced by ``moto_strict``):

- **flow runs** (the ECS task role): the real ``CloudRuntime`` — land, wait for the unzip
  Lambda, start/attach/poll Glue runs, read the job's result (and count its CSVs when there
  is none), alert, watermarks and source snapshots in the state bucket;
- **lambda**: the real ``lambda/unzip_handler.handler`` on the S3 events moto delivers for the
  landing bucket (good zip, bad zip, redeliveries, a zip that does not fit the disk);
- **glue**: the S3 calls of the real Glue job run on PySpark (``hadoop_replay``).

Played by the harness, marked as *modeled* in each principal's call list because they are
what a service does with the role, per its documentation, not what our code does:

- Lambda writes the function's logs, and sends an event that failed to the dead-letter queue;
- Glue reads the job's scripts, writes its logs and publishes job metrics (``--enable-metrics``);
- Snowflake, through the storage integration's role, lists each stage path and reads the
  files, latest and by version (the calls its documentation's policy template grants), and,
  through the notification integration's role, publishes pipe/task errors.
"""

from __future__ import annotations

import json
import os
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import boto3
import hadoop_replay
from principals import ADMIN_POLICY, REGION, Principal, RenderedStack, create_principals

from moviepipe.runtime.cloud.snowflake import SnowflakeControl

SOURCE_KEY = "sqlite:///movies.db"


@dataclass
class World:
    rendered: RenderedStack
    glue_run: hadoop_replay.GlueRun
    principals: dict[str, Principal]
    admin: boto3.Session
    work: Path
    events: list[dict] = field(default_factory=list)  # every event the Lambda got
    lambda_failures: list[str] = field(default_factory=list)
    handled_runs: set[str] = field(default_factory=set)
    skip_results: bool = False
    lambda_env: dict[str, str] = field(default_factory=dict)

    # ------------------------------------------------------------------ names
    @property
    def buckets(self) -> dict[str, str]:
        return {role: self.rendered.exports[f"{role}Bucket"] for role in ("landing", "processed", "archive",
                                                                           "artifacts")}

    @property
    def job_name(self) -> str:
        return self.rendered.exports["glueJobName"]

    @property
    def topic_arn(self) -> str:
        return self.rendered.exports["alertTopicArn"]

    def client(self, service: str):
        return self.admin.client(service)

    # ------------------------------------------------------------------ setup
    def build(self) -> None:
        """What `pulumi up` would have created, with the names the rendered policies name."""
        s3 = self.client("s3")
        key_arn = self.rendered.exports["kmsKeyArn"]
        for bucket in self.buckets.values():
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
            s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
                "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                "BucketKeyEnabled": True}]})
        arn = self.client("sns").create_topic(Name=self.topic_arn.rsplit(":", 1)[1])["TopicArn"]
        assert arn == self.topic_arn, "moto's topic must have the ARN the policies name"
        self.dlq_url = self.client("sqs").create_queue(
            QueueName=self.rendered.exports["unzipDeadLetterQueueUrl"].rsplit("/", 1)[1])["QueueUrl"]
        logs = self.client("logs")
        for group in self.rendered.log_groups.values():
            logs.create_log_group(logGroupName=group)
        job = self.rendered.glue_job
        self.client("glue").create_job(Name=self.job_name, Role="arn:aws:iam::123456789012:role/glue-role",
                                       Command={"Name": "glueetl",
                                                "ScriptLocation": job["command"]["scriptLocation"]},
                                       DefaultArguments=job["defaultArguments"])
        for uri in self.script_uris():
            bucket, _, key = uri.removeprefix("s3://").partition("/")
            s3.put_object(Bucket=bucket, Key=key, Body=b"# uploaded by infra/glue_job.py\n")
        # The landing bucket's notification, delivered through a queue the harness drains (moto runs no Lambda).
        sqs = self.client("sqs")
        self.lambda_queue = sqs.create_queue(QueueName="harness-landing-events")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=self.lambda_queue,
                                             AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        s3.put_bucket_notification_configuration(Bucket=self.buckets["landing"], NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {
                "FilterRules": [{"Name": "prefix", "Value": "incoming/"}, {"Name": "suffix", "Value": ".zip"}]}}}]})
        from moto.moto_api import state_manager

        state_manager.set_transition(model_name="glue::job_run", transition={"progression": "manual",
                                                                                 "times": 10**9})

    def script_uris(self) -> list[str]:
        job = self.rendered.glue_job
        return [job["command"]["scriptLocation"], *job["defaultArguments"]["--extra-py-files"].split(",")]

    # ------------------------------------------------------------------ the Lambda service
    def pump(self, seconds: float = 0) -> None:
        """While the runtime waits, the services work (``CloudRuntime(sleep=...)``)."""
        self.run_lambda()
        self.run_glue()

    def run_lambda(self) -> None:
        sqs = self.client("sqs")
        while True:
            messages = sqs.receive_message(QueueUrl=self.lambda_queue, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return
            for message in messages:
                self.invoke_lambda(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.lambda_queue, ReceiptHandle=message["ReceiptHandle"])

    def invoke_lambda(self, event: dict, env: dict[str, str] | None = None) -> None:
        """The function as Lambda runs it: the role's credentials, the rendered environment."""
        from moviepipe.runtime.local import load_unzip_handler

        principal = self.principals["lambda"]
        self.events.append(event)
        saved = {name: os.environ.get(name) for name in (*self.lambda_env, *(env or {}))}
        os.environ.update({**self.lambda_env, **(env or {})})
        boto3.setup_default_session(aws_access_key_id=principal.access_key,
                                    aws_secret_access_key=principal.secret_key, region_name=REGION)
        principal.record(boto3.DEFAULT_SESSION)
        try:
            load_unzip_handler().handler(event, None)
        except Exception as error:  # noqa: BLE001 - what Lambda does with an async event that failed
            self.lambda_failures.append(str(error))
            with principal.as_service("Lambda: a failed asynchronous event goes to the dead-letter queue"):
                principal.client("sqs").send_message(QueueUrl=self.dlq_url, MessageBody=json.dumps(event))
        finally:
            boto3.DEFAULT_SESSION = None
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        with principal.as_service("Lambda: the function's logs go to its log group"):
            self.write_logs(principal, self.rendered.log_groups["unzip-logs"])

    @staticmethod
    def write_logs(principal: Principal, group: str) -> None:
        logs = principal.client("logs")
        stream = f"{datetime.now(timezone.utc):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
            {"timestamp": int(datetime.now(timezone.utc).timestamp() * 1000), "message": "START"}])

    # ------------------------------------------------------------------ the Glue service
    def glue_runs(self):
        from moto.glue.models import glue_backends

        return glue_backends["123456789012"][REGION].jobs[self.job_name].job_runs

    def run_glue(self) -> None:
        for run in self.glue_runs():
            if run.job_run_id in self.handled_runs or run._status != "STARTING":
                continue
            self.handled_runs.add(run.job_run_id)
            self.glue_job_run(run.job_run_id)
            run.status = "SUCCEEDED"

    def glue_job_run(self, run_id: str) -> None:
        principal = self.principals["glue"]
        s3 = principal.client("s3")
        with principal.as_service("Glue: fetches the job script and --extra-py-files with the job's role"):
            for uri in self.script_uris():
                bucket, _, key = uri.removeprefix("s3://").partition("/")
                s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        initial = {bucket: self.keys(bucket) for bucket in (self.buckets["processed"], self.buckets["archive"])}
        calls = hadoop_replay.s3_calls(self.glue_run, initial, ("_results/",) if self.skip_results else ())
        hadoop_replay.send(s3, calls)
        with principal.as_service("Glue: job logs (continuous logging to the job's group, output/error groups)"):
            logs = principal.client("logs")
            try:
                logs.create_log_group(logGroupName="/aws-glue/jobs/output")
            except logs.exceptions.ResourceAlreadyExistsException:
                pass
            self.write_logs(principal, self.rendered.glue_job["defaultArguments"]["--continuous-log-logGroup"])
        with principal.as_service("Glue: job metrics (--enable-metrics) in the Glue namespace"):
            principal.client("cloudwatch").put_metric_data(Namespace="Glue", MetricData=[{
                "MetricName": "glue.driver.aggregate.numCompletedTasks", "Value": 1.0,
                "Dimensions": [{"Name": "JobName", "Value": self.job_name}, {"Name": "JobRunId", "Value": run_id}]}])

    def keys(self, bucket: str) -> list[str]:
        pages = self.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    # ------------------------------------------------------------------ Snowflake (modeled)
    def snowflake_loads(self, prefixes: list[str]) -> int:
        """What the storage integration's role does for the stage and the pipes; returns files read."""
        principal = self.principals["snowflake-storage"]
        archive = self.buckets["archive"]
        files = 0
        with principal.as_service("Snowflake: stage/pipe reads of the archive (documented policy template)"):
            s3 = principal.client("s3")
            s3.get_bucket_location(Bucket=archive)
            for prefix in prefixes:
                listed = s3.list_objects_v2(Bucket=archive, Prefix=prefix).get("Contents", [])
                for item in listed:
                    if not item["Key"].endswith(".csv"):
                        continue
                    version = s3.head_object(Bucket=archive, Key=item["Key"])["VersionId"]
                    s3.get_object(Bucket=archive, Key=item["Key"])["Body"].read()
                    s3.get_object(Bucket=archive, Key=item["Key"], VersionId=version)["Body"].read()
                    files += 1
        return files

    def snowflake_error(self) -> None:
        principal = self.principals["snowflake-errors"]
        with principal.as_service("Snowflake: the notification integration publishes a pipe error"):
            principal.client("sns").publish(TopicArn=self.topic_arn, Subject="Snowpipe error",
                                            Message=json.dumps({"pipeName": "MOVIEPIPE.RAW.MOVIES_PIPE"}))

    # ------------------------------------------------------------------ the runtime
    def runtime(self, home: Path):
        from moviepipe.runtime.cloud import CloudRuntime
        from moviepipe.settings import load_settings

        worker = self.principals["flow-runs"]
        b = self.buckets
        settings = load_settings(runtime="cloud", home=str(home), landing_bucket=b["landing"],
                                 processed_bucket=b["processed"], archive_bucket=b["archive"],
                                 state_bucket=b["artifacts"], glue_job_name=self.job_name,
                                 alert_topic_arn=self.topic_arn, poll_initial=0.01, poll_max=0.02,
                                 unzip_timeout=30, transform_timeout=60)
        return CloudRuntime(settings, clients=worker.client, warehouse=lambda: None,
                            control=lambda _wh: AwsOnlyControl(None, settings.database, settings.warehouse),
                            sleep=self.pump)


class AwsOnlyControl(SnowflakeControl):
    """The pipes' stage folders without a warehouse: this harness checks AWS calls only.

    The runtime asks Snowflake for its clock before starting Glue (the COPY_HISTORY window);
    with no warehouse here, the machine's UTC clock stands in.
    """

    def now(self) -> str:
        return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " +0000"


def make_world(rendered: RenderedStack, glue_run, work: Path) -> World:
    """Principals first (IAM calls before enforcement starts), then the admin builds the rest."""
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="harness-admin")
    iam.put_user_policy(UserName="harness-admin", PolicyName="admin", PolicyDocument=ADMIN_POLICY)
    key = iam.create_access_key(UserName="harness-admin")["AccessKey"]
    principals = create_principals(iam, rendered.policies)
    admin = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                          region_name=REGION)
    world = World(rendered, glue_run, principals, admin, work, lambda_env=dict(rendered.lambda_environment))
    return world


def extract_batch(zip_path: Path, root: Path, bucket: str) -> str:
    """The zip's files where the Lambda publishes them (``movies/batch_id=<id>/``); returns the id."""
    with zipfile.ZipFile(zip_path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        target = root / bucket / f"{manifest['entity']}/batch_id={manifest['batch_id']}"
        target.mkdir(parents=True, exist_ok=True)
        archive.extractall(target)
    return manifest["batch_id"]
