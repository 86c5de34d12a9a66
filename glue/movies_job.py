"""AWS Glue 5.0 job entry script for the movies transform (kept thin on purpose).

Job arguments (``--name value``):

    --batch_id       the batch id (see ``moviepipe.contract.make_batch_id``)
    --processed_uri  the raw movies CSV of the batch in the processed bucket, e.g.
                     s3://<processed-bucket>/movies/batch_id=<id>/movies.csv
                     (its manifest.json and deletes file are found beside it)
    --archive_uri    root the outputs go under, e.g. s3://<archive-bucket>
                     -> <entity>/batch_id=<id>/<entity>.csv for every archive entity
    --shuffle_partitions  optional; Spark shuffle partitions. infra/glue_job.py passes it as
                     a default argument sized to the job's workers (one per executor core)

The session gets ``movies_engine.spark_settings`` (the same settings the local
session has): on Glue they are applied to the session GlueContext builds.

It also writes ``_results/movies/batch_id=<id>/result.json`` under the archive
root (outside the entity folders the pipes watch; the key the cloud runtime's
``RESULT_KEY`` reads): the dict ``run_batch`` returns plus the batch id, so an
orchestrator reads the counts without parsing logs.

Upload this file as the job script and movies_*.py as ``--extra-py-files``
(flat), plus ``moviepipe/contract`` (a zip holding ``moviepipe/__init__.py`` and
``moviepipe/contract/``) and ``--additional-python-modules jsonschema``.
``awsglue`` is imported inside functions only, so this module imports anywhere.
"""

from __future__ import annotations

import json
import sys

JOB_ARGUMENTS: tuple[str, ...] = ("batch_id", "processed_uri", "archive_uri")
#: Arguments read when given (getResolvedOptions requires every name it is asked for).
OPTIONAL_ARGUMENTS: tuple[str, ...] = ("JOB_NAME", "shuffle_partitions")


def result_relpath(batch_id: str) -> str:
    return f"_results/movies/batch_id={batch_id}/result.json"


def resolve_arguments(argv: list[str]) -> dict:
    """The job arguments via awsglue's getResolvedOptions (plus the optional ones given)."""
    from awsglue.utils import getResolvedOptions

    names = list(JOB_ARGUMENTS) + [name for name in OPTIONAL_ARGUMENTS if f"--{name}" in argv]
    return getResolvedOptions(argv, names)


def shuffle_partitions(args: dict) -> int:
    """``--shuffle_partitions`` (infra sizes it to the workers), else the local default."""
    from movies_engine import DEFAULT_SHUFFLE_PARTITIONS

    value = args.get("shuffle_partitions") or DEFAULT_SHUFFLE_PARTITIONS
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"--shuffle_partitions must be a positive integer, got {value!r}") from None


def _glue_session(args: dict):
    """(spark session, job) on AWS Glue, where the service passes --JOB_NAME."""
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from movies_engine import configure_session, spark_settings
    from pyspark import SparkConf
    from pyspark.context import SparkContext

    settings = spark_settings(shuffle_partitions(args))
    glue_context = GlueContext(SparkContext.getOrCreate(SparkConf().setAll(list(settings.items()))))
    session = glue_context.spark_session
    configure_session(session, settings)  # the context may have existed before the script ran
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    return session, job


def local_session(args: dict):
    """Off Glue (no --JOB_NAME): a local PySpark session with the same settings."""
    from movies_engine import make_session

    return make_session("spark", shuffle_partitions=shuffle_partitions(args))


def main(argv: list[str] | None = None, session=None) -> dict:
    """Run one batch. ``session``: an existing session (tests, local runs); otherwise Glue's
    session when running on Glue (--JOB_NAME given), else a local Spark session."""
    argv = list(sys.argv if argv is None else argv)
    args = resolve_arguments(argv)

    from movies_io import write_text
    from movies_transform import run_batch

    job = None
    if session is None:
        session, job = _glue_session(args) if "JOB_NAME" in args else (local_session(args), None)

    result = run_batch(session, args["processed_uri"], args["archive_uri"], args["batch_id"], require_manifest=True)
    document = {"batch_id": args["batch_id"], **result}
    write_text(session, args["archive_uri"], result_relpath(args["batch_id"]),
               json.dumps(document, indent=2, sort_keys=True) + "\n")
    # one JSON line in the driver log too: CloudWatch shows it
    print("MOVIEPIPE_RESULT " + json.dumps(document, sort_keys=True))
    if job is not None:
        job.commit()
    return result


if __name__ == "__main__":
    main()
