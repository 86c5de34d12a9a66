"""The cloud runtime: S3, the unzip Lambda, Glue, Snowpipe, Snowflake tasks, SNS.

Same ``Runtime`` protocol as the local one, so the same flows and stage functions
drive it. Where the local runtime *does* each step in-process, this one starts it
or waits for the service that does it:

==========  ===================================================================
land        managed S3 upload (multipart above a threshold, SHA-256 checked per
            part); skipped when the same bytes are already at the key
unzip       the Lambda runs on the S3 event; wait for its ``_SUCCESS`` marker or
            its quarantine reason naming this zip's SHA-256
transform   ``glue.start_job_run`` with the batch's arguments; poll to a terminal
            state; read the job's counts
load        Snowpipe loads the archive CSVs; wait until each pipe's table holds
            the batch's rows (plain SQL by BATCH_ID), reading COPY_HISTORY for the
            batch's files: a refused file is a named error, a file Snowpipe never
            heard of gets one ``ALTER PIPE ... REFRESH`` (``snowpipe.py``)
merge       streams checked for staleness (SHOW STREAMS); ``EXECUTE TASK`` on the
            root task, wait on TASK_HISTORY through the root's automatic retries
            and the finalizer (or run the task bodies directly, ``merge_mode=direct``)
alert       SNS publish (+ optional webhook/SMTP)
==========  ===================================================================

Names come from settings that mirror the Pulumi stack outputs (docs/orchestration.md).
"""

from __future__ import annotations

import time
from functools import cached_property
from pathlib import Path
from typing import Callable

from moviepipe.alerts import FanoutAlerts, SnsAlerts, secondary_targets
from moviepipe.errors import StageError
from moviepipe.ledger import Ledger
from moviepipe.objectstore import S3ObjectStore
from moviepipe.packaging import read_manifest_from_zip
from moviepipe.runtime.cloud import aws
from moviepipe.runtime.cloud.polling import wait_for
from moviepipe.runtime.cloud.snowflake import (TASK_TERMINAL, PipeLoad, SnowflakeControl, TaskOutcome, check_streams,
                                               connect)
from moviepipe.runtime.cloud.snowpipe import BatchFiles, SnowpipeWait
from moviepipe.settings import Settings
from moviepipe.state import SourceSnapshots, WatermarkStore
from moviepipe.warehouse.client import Warehouse

#: The state bucket too: a container's disk does not outlive the run, so without it every run
#: would forget its watermarks and silently re-extract everything.
REQUIRED = ("landing_bucket", "processed_bucket", "archive_bucket", "state_bucket", "glue_job_name",
            "alert_topic_arn")


class CloudRuntime:
    name = "cloud"

    def __init__(self, settings: Settings, *, clients: aws.ClientFactory | None = None,
                 warehouse: Callable[[], Warehouse] | None = None,
                 control: Callable[[Warehouse], SnowflakeControl] | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        missing = [f"MOVIEPIPE_{name.upper()}" for name in REQUIRED if not getattr(settings, name)]
        if missing:
            raise StageError("runtime", f"MOVIEPIPE_RUNTIME=cloud needs {', '.join(missing)} "
                                        "(the Pulumi stack outputs; see docs/orchestration.md)")
        self.settings = settings
        self._client = clients or aws.client_factory(settings.aws_credentials_block)
        self._connect = warehouse or (lambda: connect(settings))
        self._control = control or (lambda wh: SnowflakeControl(wh, settings.database, settings.warehouse))
        self.sleep = sleep
        self.s3 = self._client("s3")
        self.landing = S3ObjectStore(settings.landing_bucket, self.s3)
        self.processed = S3ObjectStore(settings.processed_bucket, self.s3)
        self.archive = S3ObjectStore(settings.archive_bucket, self.s3)
        self.work_dir = settings.home_dir / "work"
        # Watermarks, key scans and column baselines live in the state bucket.
        state = S3ObjectStore(settings.state_bucket, self.s3)
        self.watermarks = WatermarkStore(state)
        self.snapshots = SourceSnapshots(state)
        self.alerts = FanoutAlerts(SnsAlerts(settings.alert_topic_arn, self._client("sns")),
                                   secondary_targets(settings))
        self._landed: dict[str, aws.LandedZip] = {}
        self._transformed: dict[str, dict] = {}
        self._load_since: dict[str, str] = {}  # batch id -> when its transform started (COPY_HISTORY's START_TIME)

    # ---------------------------------------------------------------- Snowflake
    @cached_property
    def warehouse(self) -> Warehouse:
        return self._connect()

    @cached_property
    def snowflake(self) -> SnowflakeControl:
        return self._control(self.warehouse)

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(self.warehouse)

    def _wait(self, check, stage: str, what: str, timeout: float):
        return wait_for(check, stage=stage, what=what, timeout=timeout, initial=self.settings.poll_initial,
                        maximum=self.settings.poll_max, sleep=self.sleep)

    # ---------------------------------------------------------------- stages
    def land(self, zip_path: Path, key: str) -> None:
        try:
            manifest = read_manifest_from_zip(Path(zip_path))
        except Exception:  # unreadable: still landed, so the Lambda quarantines it with its reason
            manifest = {}
        uploaded = aws.upload_once(self.s3, Path(zip_path), self.landing.bucket, key,
                                   self.settings.multipart_threshold_mb * 1024 * 1024)
        self._landed[key] = aws.LandedZip(key=key, sha256=aws.sha256_of(Path(zip_path))[0], uploaded=uploaded,
                                          batch_id=manifest.get("batch_id"), entity=manifest.get("entity"),
                                          rows=manifest.get("row_count"))

    def unzip(self, key: str) -> aws.UnzipOutcome:
        landed = self._landed.get(key)
        if landed is None:
            raise StageError("unzip", f"{key} was not landed by this run; land it first")
        return self._wait(lambda: aws.unzip_outcome(self.landing, self.processed, landed), "unzip",
                          f"the unzip Lambda to process {self.landing.uri(key)} (no _SUCCESS marker and no "
                          "quarantine reason yet; check the Lambda's log group and dead-letter queue)",
                          self.settings.unzip_timeout)

    def transform(self, batch_id: str, raw_key: str) -> dict:
        glue = self._client("glue")
        job = self.settings.glue_job_name
        arguments = aws.glue_arguments(batch_id, self.processed.uri(raw_key), self.archive.uri().rstrip("/"))
        self._load_since.setdefault(batch_id, self.snowflake.now())  # Snowpipe may load while the job still runs
        run_id = aws.start_or_attach(glue, job, arguments)
        self._wait(lambda: aws.glue_run_state(glue, job, run_id), "transform",
                   f"Glue job {job} run {run_id}", self.settings.transform_timeout)
        folders = [pipe.stage_path.strip("/") for pipe in self.snowflake.pipes]
        outputs = {folder: f"{folder}/batch_id={batch_id}/{folder}.csv" for folder in folders}
        result = {**aws.read_glue_result(self.archive, batch_id, outputs), "glue_run_id": run_id}
        self._transformed[batch_id] = result
        return result

    def load(self) -> list[PipeLoad]:
        """Wait until Snowpipe has loaded every batch this runtime transformed."""
        if not self._transformed:
            raise StageError("load", "no transformed batch to wait for in this run")
        loads: dict[str, PipeLoad] = {}
        for batch_id, result in self._transformed.items():
            for pipe, rows in self._wait_loaded(batch_id, result).items():
                load = loads.setdefault(pipe, PipeLoad(pipe=pipe))
                load.rows_loaded += rows
                files = self._batch_files(pipe, batch_id)
                load.files_loaded += list(files)
                self.snowflake.record_loaded_files(pipe, {name: rows if len(files) == 1 else None for name in files},
                                                   batch_id)
        self._transformed.clear()
        return list(loads.values())

    def _wait_loaded(self, batch_id: str, result: dict) -> dict[str, int]:
        expected = self._expected_rows(result)
        shares = [BatchFiles(pipe=pipe.name, table=pipe.target_table, prefix=f"batch_id={batch_id}/",
                             files=self._batch_files(pipe.name, batch_id))
                  for pipe in self.snowflake.pipes if pipe.name in expected]
        since = self._load_since.get(batch_id) or self.snowflake.now()
        waiting = SnowpipeWait(self.snowflake, self._wait, self.settings.load_refresh_after, self.settings.load_timeout)
        return waiting.wait(batch_id, expected, shares, since)

    def _expected_rows(self, result: dict) -> dict[str, int]:
        """Rows each pipe must load for a batch: the transform's count for the pipe's archive folder."""
        entities = result.get("entities") or {"movies": result["rows_out"], "rejected": result["rows_rejected"]}
        expected, unknown = {}, []
        for pipe in self.snowflake.pipes:
            folder = pipe.stage_path.strip("/")
            if folder in entities:
                expected[pipe.name] = int(entities[folder])
            else:
                unknown.append(f"{pipe.name} ({folder}/)")
        if unknown:
            raise StageError("load", f"the transform reported no row count for {', '.join(unknown)}; "
                                     "its result must list every archive entity under 'entities'")
        return expected

    def _batch_files(self, pipe: str, batch_id: str) -> list[str]:
        definition = next(p for p in self.snowflake.pipes if p.name == pipe)
        prefix = f"{definition.stage_path.strip('/')}/batch_id={batch_id}/"
        return [key for key in self.archive.list(prefix) if key.lower().endswith(".csv")]

    def merge(self) -> list[TaskOutcome]:
        root = self.settings.merge_root_task
        check_streams(self.snowflake, self.snowflake.graph_streams(root))
        if self.settings.merge_mode == "direct":
            return self.snowflake.run_direct(root)
        graph = self.snowflake.task_graph(root)
        pending = {stream: self.snowflake.stream_rows(stream) for stream in graph[0].streams}
        since = self.snowflake.now()
        self.snowflake.execute_task(root)
        outcomes = [self._wait_task(graph[0], since, pending, graph[0].retry_attempts)]
        for task in graph[1:]:
            outcomes.append(self._wait_task(task, since, {}, graph[0].retry_attempts) if outcomes[0].ran
                            else TaskOutcome(task.name, False, reason="no parent ran"))
        finalizer = self.snowflake.finalizer(root)
        if finalizer and outcomes[0].ran:  # it records the graph run in OPS.TASK_GRAPH_RUNS
            outcomes.append(self._wait_task(finalizer, since, {}, 0))
        return outcomes

    def _wait_task(self, task, since: str, consumed: dict[str, int], retries: int) -> TaskOutcome:
        """The task's last run since ``since``; a FAILED run the root's TASK_AUTO_RETRY_ATTEMPTS will retry is
        not the last (the retry starts from the failed task and keeps the graph run group)."""
        def check():
            runs = self.snowflake.task_runs(task.name, since)
            if not runs or runs[0]["STATE"] not in TASK_TERMINAL:
                return None
            if runs[0]["STATE"] == "FAILED" and int(runs[0].get("ATTEMPT_NUMBER") or 1) <= retries:
                return None
            return runs[0]

        run = self._wait(check, "merge", f"task {task.name} to finish (TASK_HISTORY)", self.settings.merge_timeout)
        if run["STATE"] == "SUCCEEDED":
            return TaskOutcome(task.name, True, consumed=consumed)
        if run["STATE"] == "SKIPPED":
            return TaskOutcome(task.name, False, reason="skipped (stream has no data)")
        attempts = f" (attempt {run['ATTEMPT_NUMBER']})" if int(run.get("ATTEMPT_NUMBER") or 1) > 1 else ""
        message = run.get("ERROR_MESSAGE") or "no message"
        raise StageError("merge", f"task {task.name} {run['STATE']}{attempts}: {message}")

    def alert(self, subject: str, detail: dict) -> None:
        self.alerts.send(subject, detail)

    def close(self) -> None:
        if "warehouse" in self.__dict__:
            self.warehouse.close()
            for name in ("warehouse", "snowflake", "ledger"):
                self.__dict__.pop(name, None)
