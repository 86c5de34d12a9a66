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
    and ``LocalSnowflake.run_pipe`` runs the pipes' own COPY on them into fakesnow; each file it
    loads or refuses becomes a COPY_HISTORY row (Snowflake's column names and status texts);
    ``ALTER PIPE ... REFRESH PREFIX`` copies the files under the prefix that the pipe has not
    processed and answers ``File``/``Status`` rows. ``lost_events`` drops chosen S3 events (as
    S3 -> SQS delivery to Snowpipe may); ``refresh_blind`` makes REFRESH queue nothing (a file
    staged more than 7 days ago);
  * Snowflake tasks: ``EXECUTE TASK`` / TASK_HISTORY / stream counts are answered by
    ``LocalSnowflake`` (its graph runs, retries and finalizer as TASK_HISTORY rows), ``SHOW STREAMS``
    by the emulator's streams with ``stale_streams`` marked stale (``HarnessSnowflake`` overrides
    only those methods).

The services work while the runtime "sleeps" between polls (``CloudHarness.sleep``), so
the tests are deterministic and single-threaded.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote_plus

import boto3

from moviepipe.errors import StageError
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

    def copy_history(self, table: str, since: str) -> list[dict]:
        return [row for row in self.harness.copy_history
                if f"{row['TABLE_SCHEMA_NAME']}.{row['TABLE_NAME']}" == table.upper()]

    def refresh_pipe(self, pipe: str, prefix: str) -> list[dict]:
        self.harness.refresh_requests.append((pipe, prefix))
        return self.harness.refresh(pipe, prefix)

    def show_streams(self) -> list[dict]:
        """SHOW STREAMS rows (Snowflake's lower-case output columns) for the emulator's streams."""
        now = datetime.now(timezone.utc)
        return [{"created_on": now, "name": name.split(".")[1], "database_name": self.database,
                 "schema_name": name.split(".")[0], "owner": "MOVIEPIPE_DEV_OWNER", "comment": "",
                 "table_name": f"{self.database}.{stream.table}", "source_type": "Table",
                 "base_tables": f"{self.database}.{stream.table}", "type": "DELTA",
                 "stale": "true" if name in self.harness.stale_streams else "false", "mode": "APPEND_ONLY",
                 "stale_after": now + timedelta(days=-1 if name in self.harness.stale_streams else 14),
                 "invalid_reason": "N/A", "owner_role_type": "ROLE"}
                for name, stream in sorted(self.harness.emulator.streams.items())]


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
        self.copy_history: list[dict] = []  # COPY_HISTORY rows, one per file Snowpipe processed
        self.lost_events: set[str] = set()  # archive keys whose S3 event never reaches Snowpipe
        self.refresh_blind = False  # ALTER PIPE ... REFRESH queues nothing (files older than 7 days)
        self.refresh_stalls = False  # REFRESH queues the files, but Snowpipe does not get to them
        self.bad_value: tuple[str, str, str] | None = None  # (entity, column, value) the Glue job writes wrongly
        self.refresh_requests: list[tuple[str, str]] = []
        self.stale_streams: set[str] = set()
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

    def runtime(self, warehouse: type[SharedWarehouse] = SharedWarehouse, **overrides) -> CloudRuntime:
        """A cloud runtime on the harness's services; ``warehouse`` wraps its Snowflake connection."""
        settings = self.settings(**overrides)
        return CloudRuntime(settings, clients=lambda service: boto3.client(service, region_name=REGION,
                                                                           config=CLIENT_CONFIG),
                            warehouse=lambda: warehouse(self.wh.connection),
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
            if self.bad_value:
                _spoil_first_record(out / result["files"][self.bad_value[0]], *self.bad_value[1:])
            for relpath in result["files"].values():
                archive.upload(out / relpath, relpath)
            if self.write_glue_result:
                archive.put_bytes(RESULT_KEY.format(batch_id=batch_id), json.dumps(result).encode())

    def _run_snowpipe(self) -> None:
        events = self._drain(self.pipe_queue)
        keys = [unquote_plus(record["s3"]["object"]["key"]) for event in events for record in event.get("Records", [])]
        keys = [key for key in keys if key not in self.lost_events]
        for key in keys:
            self._mirror(key)
        if keys:
            for name in sorted(self.emulator.pipes):
                self._pipe(name)

    def _mirror(self, key: str) -> None:
        target = self.mirror.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        S3ObjectStore(NAMES["archive"], self.s3).download(key, target)

    def _pipe(self, name: str):
        """Run a pipe on the mirror; what it loaded or refused becomes COPY_HISTORY rows."""
        run = self.emulator.run_pipe(name, self.mirror)
        pipe = self.emulator.pipes[name]
        schema, table = pipe.target_table.split(".")
        now = datetime.now(timezone.utc)
        for load in run.loads:
            self.copy_history.append({
                "FILE_NAME": load.file_name, "STAGE_LOCATION": f"s3://{NAMES['archive']}/",
                "LAST_LOAD_TIME": now, "ROW_COUNT": load.row_count, "ROW_PARSED": load.row_parsed,
                "FILE_SIZE": self.mirror.path(load.file_name).stat().st_size,
                "FIRST_ERROR_MESSAGE": load.first_error_message,
                "FIRST_ERROR_LINE_NUMBER": load.first_error_line_number,
                "FIRST_ERROR_CHARACTER_POS": None, "FIRST_ERROR_COLUMN_NAME": load.first_error_column_name,
                "ERROR_COUNT": load.error_count, "ERROR_LIMIT": 1,
                "STATUS": "Loaded" if load.loaded else "Load failed",
                "TABLE_CATALOG_NAME": "MOVIEPIPE", "TABLE_SCHEMA_NAME": schema, "TABLE_NAME": table,
                "PIPE_CATALOG_NAME": "MOVIEPIPE", "PIPE_SCHEMA_NAME": name.split(".")[0],
                "PIPE_NAME": name.split(".")[1], "PIPE_RECEIVED_TIME": now, "FIRST_COMMIT_TIME": now})
        return run

    def refresh(self, pipe: str, prefix: str) -> list[dict]:
        """ALTER PIPE ... REFRESH PREFIX: queue the pipe's files under the prefix it has not processed."""
        if self.refresh_blind:
            return []
        folder = self.emulator.pipes[pipe].stage_path.strip("/") + "/" + prefix
        known = {row["FILE_NAME"] for row in self.copy_history}
        queued = [key for key in S3ObjectStore(NAMES["archive"], self.s3).list(folder)
                  if key.lower().endswith(".csv") and key not in known]
        if self.refresh_stalls:
            return [{"File": key, "Status": "SENT"} for key in queued]
        for key in queued:
            self._mirror(key)
        self._pipe(pipe)
        return [{"File": key, "Status": "SENT"} for key in queued]

    def _run_tasks(self) -> None:
        while self.task_requests:
            task = self.task_requests.pop(0)
            scheduled = datetime.now(timezone.utc).isoformat()
            if self.task_failure:  # every attempt the root's TASK_AUTO_RETRY_ATTEMPTS allows fails
                attempts = 1 + self.emulator.tasks[task.upper()].retry_attempts
                self.task_history += [{"NAME": task.split(".")[-1].upper(), "STATE": "FAILED",
                                       "ERROR_MESSAGE": self.task_failure, "SCHEDULED_TIME": scheduled,
                                       "ATTEMPT_NUMBER": n} for n in range(1, attempts + 1)]
                continue
            before = self.emulator.last_graph_run
            try:
                runs = self.emulator.run_tasks()
            except StageError:  # the graph failed: TASK_HISTORY says so, the runtime reads it there
                runs = []
            graph_run = self.emulator.last_graph_run
            if graph_run is before:  # the root was skipped (or suspended): no graph run
                self.task_history += [{"NAME": run.task.split(".")[-1], "STATE": "SKIPPED", "ERROR_MESSAGE": None,
                                       "SCHEDULED_TIME": scheduled, "ATTEMPT_NUMBER": 1} for run in runs[:1]]
                continue
            self.task_history += [{**row, "SCHEDULED_TIME": row["QUERY_START_TIME"].isoformat()}
                                  for row in graph_run.history_rows()]

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


def _spoil_first_record(path: Path, column: str, value: str) -> None:
    """A defect in the Glue job: the first record's ``column`` written as ``value``."""
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    rows[1][rows[0].index(column)] = value
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
