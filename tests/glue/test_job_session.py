"""The Glue entry script's Spark settings come from its job arguments, the same ones the local session has.

On Glue the session comes from GlueContext (not buildable here), so ``_glue_session`` applies
``spark_settings`` to it with ``configure_session``: these tests apply them to a session that
already exists with other values, as GlueContext's does, and read the effective values back.
tests/iam runs the whole entry script on PySpark with the rendered default arguments.
"""

from __future__ import annotations

import pytest

import movies_job
from movies_engine import DEFAULT_SHUFFLE_PARTITIONS, configure_session, make_session, spark_settings

pytestmark = pytest.mark.spark


def effective(session) -> dict[str, str]:
    hadoop = session.sparkContext._jsc.hadoopConfiguration()
    return {key: hadoop.get(key[len("spark.hadoop."):]) if key.startswith("spark.hadoop.") else session.conf.get(key)
            for key in spark_settings()}


def test_job_arguments_set_the_shuffle_partitions_of_an_existing_session(spark):
    args = movies_job.resolve_arguments(["movies_job.py", "--batch_id", "b1", "--processed_uri", "s3://p/x.csv",
                                         "--archive_uri", "s3://a", "--shuffle_partitions", "12",
                                         "--JOB_NAME", "moviepipe-dev-movies"])
    spark.conf.set("spark.sql.shuffle.partitions", "200")  # Spark's default, what a Glue session starts with
    spark.conf.set("spark.sql.session.timeZone", "America/Los_Angeles")
    try:
        configure_session(spark, spark_settings(movies_job.shuffle_partitions(args)))
        assert effective(spark) == {**spark_settings(12), "spark.sql.shuffle.partitions": "12"}
        assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    finally:
        configure_session(spark, spark_settings())


def test_local_session_has_the_same_settings_with_the_local_default(spark):
    assert effective(make_session("spark")) == spark_settings(DEFAULT_SHUFFLE_PARTITIONS)
    args = movies_job.resolve_arguments(["movies_job.py", "--batch_id", "b1", "--processed_uri", "p",
                                         "--archive_uri", "a", "--shuffle_partitions", "3"])
    try:
        assert effective(movies_job.local_session(args))["spark.sql.shuffle.partitions"] == "3"
    finally:
        configure_session(spark, spark_settings())


def test_bad_shuffle_partitions_argument_is_named():
    with pytest.raises(ValueError, match="--shuffle_partitions must be a positive integer, got 'many'"):
        movies_job.shuffle_partitions({"shuffle_partitions": "many"})
    with pytest.raises(ValueError, match="at least 1"):
        spark_settings(0)
