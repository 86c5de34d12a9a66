"""AWS Glue 5.0 job entry script for the movies transform (kept thin on purpose).

Job arguments (``--name value``):

    --batch_id       the batch id (see ``moviepipe.contract.make_batch_id``)
    --processed_uri  the raw movies CSV of the batch (file or folder), e.g.
                     s3://<processed-bucket>/batches/<batch_id>/movies/movies.csv
    --archive_uri    root the outputs go under, e.g. s3://<archive-bucket>
                     -> movies/batch_id=<id>/movies.csv, rejected/batch_id=<id>/rejected.csv

Upload this file as the job script and movies_transform.py, movies_cleanse.py,
movies_rules.py, movies_io.py, movies_engine.py as ``--extra-py-files`` (flat).
``awsglue`` is imported inside ``main`` only, so this module imports anywhere.
"""

from __future__ import annotations

import json
import sys

JOB_ARGUMENTS: tuple[str, ...] = ("batch_id", "processed_uri", "archive_uri")


def resolve_arguments(argv: list[str]) -> dict:
    """The job arguments via awsglue's getResolvedOptions (includes JOB_NAME when given)."""
    from awsglue.utils import getResolvedOptions

    names = list(JOB_ARGUMENTS)
    if "--JOB_NAME" in argv:
        names.append("JOB_NAME")
    return getResolvedOptions(argv, names)


def main(argv: list[str] | None = None) -> dict:
    argv = list(sys.argv if argv is None else argv)
    args = resolve_arguments(argv)

    from awsglue.context import GlueContext
    from awsglue.job import Job
    from pyspark.context import SparkContext

    from movies_transform import run_batch

    sc = SparkContext.getOrCreate()
    glue_context = GlueContext(sc)
    spark = glue_context.spark_session
    job = Job(glue_context)
    job.init(args.get("JOB_NAME", "moviepipe-movies-transform"), args)

    result = run_batch(spark, args["processed_uri"], args["archive_uri"], args["batch_id"])
    # one JSON line in the driver log: the orchestrator and CloudWatch read it
    print("MOVIEPIPE_RESULT " + json.dumps({"batch_id": args["batch_id"], **result}, sort_keys=True))
    job.commit()
    return result


if __name__ == "__main__":
    main()
