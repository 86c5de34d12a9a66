"""A laptop-sized AWS + Snowflake for the cloud runtime: moto for AWS, fakesnow for Snowflake.

What is real here and what the harness plays:

- **Real protocols (moto)**: every S3 call the runtime makes (managed/multipart upload with
  SHA-256 checksums, HEAD, GET, LIST), S3 -> SQS event notifications, the Glue API
  (``start_job_run``/``get_job_run``/``get_job_runs``), SNS ``publish``.
- **Real SQL (fakesnow)**: the ledger, the load wait (rows per BATCH_ID), OPS.LOADED_FILES.
- **Played by the harness** (moto runs no Lambda code and no Glue script; fakesnow has no
  pipes, streams or tasks), each done with the project's own code:
  * the Lambda service: S3 notifications of the landing bucket are read from SQS and the real
    ``lambda/unzip_handler.handler`` is called with them, against moto S3;
  * the Glue service: runs that moto holds in STARTING are picked up, the real ``glue/``
    transform runs on the object from moto, its CSVs (and the result JSON the job should write)
    go to the moto archive bucket, then the run is set to SUCCEEDED, or to a scripted FAILED
    with an ErrorMessage;
  * Snowpipe: archive notifications are read from SQS, the objects copied to a local mirror,
    and ``LocalSnowflake.run_pipe`` runs the pipes' own COPY on them into fakesnow;
  * Snowflake tasks: ``EXECUTE TASK`` / TASK_HISTORY / stream counts are answered by
    ``LocalSnowflake`` (``HarnessSnowflake`` overrides only those methods).

The services work while the runtime "sleeps" between polls (``CloudHarness.sleep``), so
the tests are deterministic and single-threaded.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote_plus

import boto3

from moviepipe.objectstore import LocalObjectStore, S3ObjectStore
from moviepipe.runtime.cloud import CloudRuntime
from moviepipe.runtime.cloud.aws import CLIENT_CONFIG, RESULT_KEY
from moviepipe.runtime.cloud.snowflake import SnowflakeControl
from moviepipe.runtime.local import load_glue_modules, load_unzip_handler, transform_session
from moviepipe.settings import load_settings
from moviepipe.warehouse.client import Warehouse, local_warehouse
from moviepipe.warehouse.emulator import LocalSnowflake

REGION = "us-east-1"
ACCOUNT = "123456789012"
NAMES = {"landing": "mp-test-landing", "processed": "mp-test-processed", "archive": "mp-test-archive",
         "state": "mp-test-artifacts"}
GLUE_JOB = "moviepipe-test-movies"


class SharedWarehouse(Warehouse):
    """The harness's fakesnow connection, lent to a runtime: its close() leaves it open."""

    def close(self) -> None:
        pass


class HarnessSnowflake(SnowflakeControl):
    """Snowflake-only calls answered by the local emulator; the rest is the real class."""

    def __init__(self, harness: "CloudHarness", *args):
        super().__init__(*args)
        self.harness = harness

    def now(self) -> str:
        return datetime.now(timezone.utc).isoformat()

    def stream_rows(self, stream: str) -> int:
        return self.harness.emulator.stream_pending(stream)

    def execute_task(self, task: str) -> None:
        self.harness.task_requests.append(task)

    def task_runs(self, task: str, since: str) -> list[dict]:
        name = task.split(".")[-1].upper()
        return [run for run in reversed(self.harness.task_history)
                if run["NAME"] == name and run["SCHEDULED_TIME"] >= since]

    def run_direct(self, root: str):
        return self.harness.emulator.run_tasks()


class CloudHarness:
    def __init__(self, root: Path, engine: str = "duckdb"):
        self.root = root
        self.engine = engine
        self.s3 = boto3.client("s3", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.glue = boto3.client("glue", region_name=REGION)
        self.sns = boto3.client("sns", region_name=REGION)
        for bucket in NAMES.values():
            self.s3.create_bucket(Bucket=bucket)
        self.topic_arn = self.sns.create_topic(Name="mp-test-alerts")["TopicArn"]
        self.lambda_queue = self._notify(NAMES["landing"], "landing-events", [("incoming/", ".zip")])
        # One notification per pipe folder, as infra/snowpipe_wiring.py declares them.
        folders = [pipe.stage_path.strip("/") + "/" for pipe in SnowflakeControl(None, "MOVIEPIPE", "WH").pipes]
        self.pipe_queue = self._notify(NAMES["archive"], "archive-events", [(f, ".csv") for f in folders])
        self.glue.create_job(Name=GLUE_JOB, Role="arn:aws:iam::123456789012:role/glue",
                             Command={"Name": "glueetl", "ScriptLocation": "s3://mp-test-artifacts/movies_job.py"},
                             ExecutionProperty={"MaxConcurrentRuns": 1},
                             DefaultArguments={"--processed_uri": f"s3://{NAMES['processed']}/",
                                               "--archive_uri": f"s3://{NAMES['archive']}/"})
        from moto.moto_api import state_manager

        # Runs stay STARTING until the harness has done the job's work and sets the outcome.
        state_manager.set_transition(model_name="glue::job_run", transition={"progression": "manual",
                                                                                 "times": 10**9})
        self.mirror = LocalObjectStore(root / "snowpipe-mirror", "archive-mirror")
        self.wh = local_warehouse(root / "warehouse", "MOVIEPIPE")
        self.emulator = LocalSnowflake(self.wh, {"database": "MOVIEPIPE", "warehouse": "MOVIEPIPE_WH",
                                                 "archive_url": self.mirror.uri(), "stage_options": ""})
        self.emulator.apply_sql_tree()  # what `pulumi up` does in Snowflake
        self.task_requests: list[str] = []
        self.task_history: list[dict] = []
        self.glue_failures: dict[str, str] = {}  # batch id -> ErrorMessage to fail its run with
        self.task_failure: str | None = None
        self.write_glue_result = True
        self.lambda_enabled = True
        self.handled_runs: set[str] = set()
        self.pumps = 0

    def _notify(self, bucket: str, name: str, filters: list[tuple[str, str]]) -> str:
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {
                "FilterRules": [{"Name": "prefix", "Value": prefix}, {"Name": "suffix", "Value": suffix}]}}}
                for prefix, suffix in filters]})
        self._drain(url)  # moto sends an s3:TestEvent first
        return url

    # ------------------------------------------------------------------ runtime
    def settings(self, **overrides):
        values = dict(runtime="cloud", home=str(self.root / "home"), landing_bucket=NAMES["landing"],
                      processed_bucket=NAMES["processed"], archive_bucket=NAMES["archive"],
                      state_bucket=NAMES["state"], glue_job_name=GLUE_JOB, alert_topic_arn=self.topic_arn,
                      poll_initial=0.01, poll_max=0.05, unzip_timeout=20, transform_timeout=120,
                      load_timeout=20, merge_timeout=20)
        values.update(overrides)
        return load_settings(**values)

    def runtime(self, **overrides) -> CloudRuntime:
        settings = self.settings(**overrides)
        return CloudRuntime(settings, clients=lambda service: boto3.client(service, region_name=REGION,
                                                                           config=CLIENT_CONFIG),
                            warehouse=lambda: SharedWarehouse(self.wh.connection),
                            control=lambda wh: HarnessSnowflake(self, wh, settings.database, settings.warehouse),
                            sleep=self.sleep)

    def sleep(self, seconds: float) -> None:
        """While the runtime waits, the simulated services do their work."""
        self.pump()
        time.sleep(min(seconds, 0.02))

    # ------------------------------------------------------------------ services
    def pump(self) -> None:
        self.pumps += 1
        if self.lambda_enabled:
            self._run_lambda()
        self._run_glue()
        self._run_snowpipe()
        self._run_tasks()

    def _drain(self, url: str) -> list[dict]:
        events = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return events
            for message in messages:
                body = json.loads(message["Body"])
                if body.get("Event") != "s3:TestEvent":
                    events.append(body)
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def _run_lambda(self) -> None:
        handler = load_unzip_handler()
        for event in self._drain(self.lambda_queue):
            os.environ["PROCESSED_BUCKET"] = NAMES["processed"]  # the Lambda's configuration
            handler.handler(event, None)

    def _glue_runs(self):
        from moto.glue.models import glue_backends

        return glue_backends[ACCOUNT][REGION].jobs[GLUE_JOB].job_runs

    def _run_glue(self) -> None:
        for run in self._glue_runs():
            if run.job_run_id in self.handled_runs or run._status != "STARTING":
                continue
            self.handled_runs.add(run.job_run_id)
            batch_id = run.arguments["--batch_id"]
            if batch_id in self.glue_failures:
                message = self.glue_failures[batch_id]
                original = run.as_dict
                run.as_dict = lambda original=original, message=message: {**original(), "ErrorMessage": message}
                run.status = "FAILED"
                continue
            self._transform(run.arguments)
            run.status = "SUCCEEDED"

    def _transform(self, arguments: dict) -> None:
        processed_uri, archive_uri, batch_id = (arguments["--processed_uri"], arguments["--archive_uri"],
                                                arguments["--batch_id"])
        bucket, _, key = processed_uri.removeprefix("s3://").partition("/")
        archive = S3ObjectStore(archive_uri.removeprefix("s3://").strip("/"), self.s3)
        with tempfile.TemporaryDirectory(prefix="glue-") as tmp:
            local_csv = Path(tmp) / "raw.csv"
            self.s3.download_file(bucket, key, str(local_csv))
            out = Path(tmp) / "out"
            _, transform = load_glue_modules()
            result = transform.run_batch(transform_session(self.engine), str(local_csv), str(out), batch_id)
            for relpath in result["files"].values():
                archive.upload(out / relpath, relpath)
            if self.write_glue_result:
                archive.put_bytes(RESULT_KEY.format(batch_id=batch_id), json.dumps(result).encode())

    def _run_snowpipe(self) -> None:
        archive = S3ObjectStore(NAMES["archive"], self.s3)
        events = self._drain(self.pipe_queue)
        for event in events:
            for record in event.get("Records", []):
                key = unquote_plus(record["s3"]["object"]["key"])
                target = self.mirror.path(key)
                target.parent.mkdir(parents=True, exist_ok=True)
                archive.download(key, target)
        if events:
            for name in sorted(self.emulator.pipes):
                self.emulator.run_pipe(name, self.mirror)

    def _run_tasks(self) -> None:
        while self.task_requests:
            task = self.task_requests.pop(0)
            scheduled = datetime.now(timezone.utc).isoformat()
            if self.task_failure:
                self.task_history.append({"NAME": task.split(".")[-1].upper(), "STATE": "FAILED",
                                          "ERROR_MESSAGE": self.task_failure, "SCHEDULED_TIME": scheduled})
                continue
            for run in self.emulator.run_tasks():
                self.task_history.append({"NAME": run.task.split(".")[-1].upper(),
                                          "STATE": "SUCCEEDED" if run.ran else "SKIPPED",
                                          "ERROR_MESSAGE": None, "SCHEDULED_TIME": scheduled})

    # ------------------------------------------------------------------ inspection
    def sent_alerts(self) -> list[dict]:
        from moto.sns.models import sns_backends

        return [{"subject": subject, "message": json.loads(message)}
                for _id, message, subject, _attrs, _group in
                sns_backends[ACCOUNT][REGION].topics[self.topic_arn].sent_notifications]

    def close(self) -> None:
        os.environ.pop("PROCESSED_BUCKET", None)
        self.wh.close()
        shutil.rmtree(self.mirror.root, ignore_errors=True)
