"""The Glue job on real PySpark with ``s3://`` URIs, its S3 calls replayed to moto as the Glue role.

No S3 connector jar can be installed here (no hadoop-aws), so ``s3://`` is served by
``hadoop/RecordingS3FileSystem.java`` (compiled with javac at test time): a local folder per
bucket that logs every FileSystem call the job makes (exists, open, create, rename, delete,
list, mkdirs) with its key. :func:`run_glue_job` runs ``glue/movies_job.py`` exactly as Glue
would (its rendered default arguments plus the runtime's per-run ones) in a fresh PySpark
process on that file system; :func:`s3_calls` turns the log into the S3 API calls an S3
connector makes for each operation (the mapping of Hadoop's S3A connector: a status is a HEAD,
then a LIST of ``key/``; a create is a PUT at close; a rename is a copy and a delete, here a
GET, a PUT and a DELETE so the read of the source is checked too; a directory is a ``key/``
marker object). The tests send those calls to moto as the Glue role.

What this does not prove: the calls of AWS's own connector on Glue (EMRFS writes
``_$folder$`` markers instead of ``key/``, may retry or list differently, uses multipart above
its threshold) — the prefixes and the actions are the same, the exact sequence is not.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
JAVA_SOURCE = Path(__file__).resolve().parent / "hadoop" / "RecordingS3FileSystem.java"
FS_CLASS = "moviepipe.testing.RecordingS3FileSystem"
RUNNER = Path(__file__).resolve().parent / "glue_run.py"


def _pyspark_jars() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent / "jars"


def build_jar(work: Path) -> Path:
    """Compile the recording file system against PySpark's Hadoop client (about 3 s), cached by source hash."""
    if shutil.which("javac") is None:
        raise RuntimeError("javac (JDK 17) is needed to build the recording s3:// file system")
    digest = hashlib.sha256(JAVA_SOURCE.read_bytes()).hexdigest()[:12]
    jar = work / f"recording-s3-{digest}.jar"
    if jar.is_file():
        return jar
    classes = work / f"classes-{digest}"
    classes.mkdir(parents=True, exist_ok=True)
    classpath = os.pathsep.join(str(p) for p in sorted(_pyspark_jars().glob("hadoop-client-api-*.jar")))
    subprocess.run(["javac", "-nowarn", "-d", str(classes), "-cp", classpath, str(JAVA_SOURCE)], check=True,
                   capture_output=True, text=True)
    subprocess.run(["jar", "cf", str(jar), "-C", str(classes), "."], check=True, capture_output=True, text=True)
    return jar


@dataclass
class GlueRun:
    root: Path  # <root>/<bucket>/<key>; ops.log; .blobs/
    ops: list[list[str]]
    stdout: str
    settings: dict  # the Spark settings the job's session ended up with

    def blob(self, name: str) -> bytes:
        return (self.root / ".blobs" / name).read_bytes()


def run_glue_job(jar: Path, root: Path, argv: list[str], timeout: float = 300) -> GlueRun:
    """Run the entry script in its own PySpark process (its own JVM: the jar must be on its classpath)."""
    env = {**os.environ,
           "PYSPARK_SUBMIT_ARGS": " ".join([
               "--driver-class-path", str(jar), "--jars", str(jar),
               "--conf", f"spark.hadoop.fs.s3.impl={FS_CLASS}",
               "--conf", f"spark.hadoop.moviepipe.recording.root={root}",
               "pyspark-shell"]),
           "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "glue"), str(REPO_ROOT)])}
    done = subprocess.run([sys.executable, str(RUNNER), *argv], env=env, capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"the Glue job failed on the recording file system:\n{done.stdout[-3000:]}\n"
                           f"{done.stderr[-6000:]}")
    lines = (root / "ops.log").read_text(encoding="utf-8").splitlines()
    settings = next(json.loads(line.split(" ", 1)[1]) for line in done.stdout.splitlines()
                    if line.startswith("SPARK_SETTINGS "))
    return GlueRun(root, [line.split("\t") for line in lines], done.stdout, settings)


# ---------------------------------------------------------------------------- S3A mapping
@dataclass
class S3Call:
    operation: str  # HeadObject | GetObject | PutObject | DeleteObject | ListObjectsV2
    bucket: str
    key: str
    body: bytes = b""
    delimiter: bool = False


def s3_calls(run: GlueRun, initial: dict[str, list[str]], skip_prefixes: tuple[str, ...] = ()) -> list[S3Call]:
    """The S3 calls for the recorded operations, in order. ``initial``: bucket -> keys present at the start.

    ``skip_prefixes``: keys whose writes are left out (to play a job that wrote no result file).
    """
    objects: dict[tuple[str, str], bytes] = {(b, k): b"" for b, keys in initial.items() for k in keys}
    calls: list[S3Call] = []

    def under(bucket: str, key: str) -> list[str]:
        prefix = f"{key}/" if key else ""
        return sorted(k for b, k in objects if b == bucket and k.startswith(prefix))

    def status(bucket: str, key: str) -> None:
        if key:
            calls.append(S3Call("HeadObject", bucket, key))
        if (bucket, key) not in objects:
            calls.append(S3Call("ListObjectsV2", bucket, f"{key}/" if key else ""))

    def skipped(key: str) -> bool:
        return any(key.startswith(p) for p in skip_prefixes)

    for op in run.ops:
        kind, bucket, key = op[0], op[1], op[2]
        if kind == "stat":
            status(bucket, key)
        elif kind == "open":
            calls.append(S3Call("GetObject", bucket, key))
        elif kind == "put":
            if skipped(key):
                continue
            body = run.blob(op[3])
            objects[(bucket, key)] = body
            calls.append(S3Call("PutObject", bucket, key, body))
        elif kind == "mkdirs":
            if key and not under(bucket, key) and (bucket, key) not in objects:
                objects[(bucket, f"{key}/")] = b""
                calls.append(S3Call("PutObject", bucket, f"{key}/"))
        elif kind == "list":
            calls.append(S3Call("ListObjectsV2", bucket, f"{key}/" if key else "", delimiter=True))
        elif kind == "delete":
            targets = ([key] if (bucket, key) in objects else []) + under(bucket, key)
            if not targets:
                status(bucket, key)
            for target in targets:
                objects.pop((bucket, target), None)
                calls.append(S3Call("DeleteObject", bucket, target))
        elif kind == "rename":
            destination = op[3]
            sources = [key] if (bucket, key) in objects else under(bucket, key)
            for source in sources:
                if skipped(source) or skipped(destination):
                    continue
                body = objects.pop((bucket, source))
                target = destination + source[len(key):]
                calls.append(S3Call("GetObject", bucket, source))
                calls.append(S3Call("PutObject", bucket, target, body))
                calls.append(S3Call("DeleteObject", bucket, source))
                objects[(bucket, target)] = body
        elif kind == "rename-missing":
            status(bucket, key)
        else:
            raise ValueError(f"unknown recorded operation {op}")
    return calls


def send(s3, calls: list[S3Call]) -> None:
    """Make the calls with ``s3`` (a client of the Glue principal); a 404 is an answer, a 403 raises."""
    from botocore.exceptions import ClientError

    for call in calls:
        try:
            if call.operation == "HeadObject":
                s3.head_object(Bucket=call.bucket, Key=call.key)
            elif call.operation == "GetObject":
                s3.get_object(Bucket=call.bucket, Key=call.key)["Body"].read()
            elif call.operation == "PutObject":
                s3.put_object(Bucket=call.bucket, Key=call.key, Body=call.body)
            elif call.operation == "DeleteObject":
                s3.delete_object(Bucket=call.bucket, Key=call.key)
            else:
                s3.list_objects_v2(Bucket=call.bucket, Prefix=call.key, MaxKeys=1000,
                                   **({"Delimiter": "/"} if call.delimiter else {}))
        except ClientError as error:
            if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 404:
                raise RuntimeError(f"the Glue job's {call.operation} s3://{call.bucket}/{call.key} failed: "
                                   f"{error}") from error
