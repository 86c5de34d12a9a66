"""Run glue/movies_job.py as Glue would, in this process (started by hadoop_replay.run_glue_job).

argv: the job arguments (rendered default arguments, then the runtime's per-run arguments).
PYSPARK_SUBMIT_ARGS, set by the caller, puts the recording ``s3://`` file system on the JVM's
classpath. Prints the Spark settings the job's own session ended up with, for the tests.
"""

import json
import sys

import movies_job
from movies_engine import spark_settings


def main() -> None:
    movies_job.main(["movies_job.py", *sys.argv[1:]])  # builds its own session (off Glue: no --JOB_NAME)
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    hadoop = session.sparkContext._jsc.hadoopConfiguration()
    effective = {key: (hadoop.get(key[len("spark.hadoop."):]) if key.startswith("spark.hadoop.")
                       else session.conf.get(key)) for key in spark_settings()}
    print("SPARK_SETTINGS " + json.dumps(effective, sort_keys=True))
    session.stop()


if __name__ == "__main__":
    main()
