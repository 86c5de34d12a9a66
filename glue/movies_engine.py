"""Session factory for the movies transform: sqlframe-on-DuckDB (no JVM) or local PySpark.

The transform (``movies_transform``) is plain PySpark DataFrame code that runs
unchanged on either session. On AWS Glue the job script builds the session from
the GlueContext instead and never calls ``make_session``; both apply the same
:func:`spark_settings` (shuffle partitions, UTC, CSV/committer behaviour), so the
transform sees one configuration wherever it runs.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid

ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"
#: Local runs use two cores and small batches; Glue passes its own (``--shuffle_partitions``).
DEFAULT_SHUFFLE_PARTITIONS = 4


def spark_settings(shuffle_partitions: int = DEFAULT_SHUFFLE_PARTITIONS) -> dict[str, str]:
    """The Spark settings the transform relies on, for the local session and the Glue session.

    - shuffle partitions sized to the cores that run the job: Spark's default of 200
      turns a small batch into hundreds of near-empty tasks (measured on Glue: about 3x
      slower on the default batch);
    - UTC session time zone and the CORRECTED parser, so dates and timestamps parse and
      print the same on every machine;
    - no ``_SUCCESS`` file in the staging folders (each output becomes one named file).

    Every key is settable on a running session (``configure_session``), which is how
    the Glue job applies them to the session GlueContext builds.
    """
    if int(shuffle_partitions) < 1:
        raise ValueError(f"shuffle partitions must be at least 1, got {shuffle_partitions}")
    return {
        "spark.sql.shuffle.partitions": str(int(shuffle_partitions)),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.legacy.timeParserPolicy": "CORRECTED",
        "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
    }


#: Only for the local ``local[2]`` session: Glue sizes and runs its own cluster.
LOCAL_SPARK_SETTINGS = {
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
}


def configure_session(session, settings: dict[str, str]) -> None:
    """Apply ``settings`` to a running session: SQL settings on the session, ``spark.hadoop.*``
    on the Hadoop configuration (which file writes read), so they hold even when the session
    existed before (GlueContext, or a test's shared session)."""
    hadoop = session.sparkContext._jsc.hadoopConfiguration()
    for key, value in settings.items():
        if key.startswith("spark.hadoop."):
            hadoop.set(key[len("spark.hadoop."):], value)
        else:
            session.conf.set(key, value)


def make_session(engine: str = DEFAULT_ENGINE, *, shuffle_partitions: int = DEFAULT_SHUFFLE_PARTITIONS,
                 memory_limit: str | None = None):
    """Return a session for ``engine``: ``"duckdb"`` (sqlframe DuckDBSession) or ``"spark"``.

    ``"spark"`` is a local ``local[2]`` PySpark session with quiet logs and
    :func:`spark_settings` (few shuffle partitions: the data is small).
    It needs ``java`` on PATH and raises RuntimeError with a clear message otherwise.
    """
    if engine == "duckdb":
        from sqlframe.duckdb import DuckDBSession

        session = DuckDBSession.builder.getOrCreate()
        if memory_limit:  # DuckDB would take 80% of the machine; beyond the cap it spills to disk
            if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", memory_limit.strip(), re.IGNORECASE):
                raise ValueError(f"memory limit {memory_limit!r} is not a size like 2GB")
            session._conn.execute(f"SET memory_limit = '{memory_limit.strip()}'")
        return session
    if engine == "spark":
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            raise RuntimeError("engine 'spark' needs Java 17: no 'java' on PATH and JAVA_HOME unset")
        from pyspark.sql import SparkSession

        settings = spark_settings(shuffle_partitions)
        builder = SparkSession.builder.master("local[2]").appName("moviepipe-movies-transform")
        for key, value in {**LOCAL_SPARK_SETTINGS, **settings}.items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
        configure_session(session, settings)  # getOrCreate may have returned an existing session
        session.sparkContext.setLogLevel("ERROR")
        return session
    raise ValueError(f"unknown engine {engine!r}: expected one of {ENGINES}")


def stop_session(session) -> None:
    """Stop a session made by ``make_session`` (a no-op when already stopped)."""
    if session is None:
        return
    try:
        session.stop()
    except Exception:  # noqa: BLE001 - stopping twice or a dead JVM must not mask the real error
        pass


def is_spark(session) -> bool:
    """True for a real PySpark session (local or Glue), False for sqlframe."""
    return type(session).__module__.startswith("pyspark")


class Api:
    """The DataFrame API (functions, Window, types) matching one session type."""

    def __init__(self, functions, window, types):
        self.F = functions
        self.Window = window
        self.T = types


def api_for(obj) -> Api:
    """Functions/Window/types for a session or DataFrame of either engine.

    PySpark and sqlframe expose the same API from different modules; both can
    live in one process (the parity tests run them side by side), so every
    transform function picks the module from the object it is given.
    """
    if type(obj).__module__.startswith("pyspark"):
        from pyspark.sql import Window
        from pyspark.sql import functions as F
        from pyspark.sql import types as T
    else:
        from sqlframe.duckdb import Window
        from sqlframe.duckdb import functions as F
        from sqlframe.duckdb import types as T
    return Api(F, Window, T)


def checkpoint(df, name: str, *, local_view: bool = False):
    """Materialise ``df`` so later steps start from a small plan; returns the new frame.

    Spark: ``persist()`` (release with ``release``). sqlframe re-plans the whole
    accumulated expression on every operation (``cache()`` is ignored there),
    so the frame is written to a DuckDB table and read back; with ``local_view``
    (a frame read once, by one consumer) it becomes a ``plan_break`` view instead:
    the same short plan, nothing stored.
    """
    if is_spark(df.sparkSession):
        return df.persist()
    if local_view:
        return plan_break(df)
    df.write.saveAsTable(name, mode="overwrite")
    return df.sparkSession.read.table(name)


def release(df, name: str) -> None:
    """Undo ``checkpoint``: unpersist (Spark) or drop the DuckDB table."""
    if is_spark(df.sparkSession):
        df.unpersist()
        return
    connection = getattr(df.sparkSession, "_conn", None)
    if connection is not None:
        connection.execute(f'DROP TABLE IF EXISTS "{name}"')


def duckdb_sql(df) -> str:
    """The one DuckDB statement sqlframe generates for ``df`` (as its own writers do: not optimised)."""
    statements = df.sql(optimize=False, pretty=False, dialect="duckdb", as_list=True)
    if len(statements) != 1:
        raise RuntimeError(f"expected one SQL statement for the frame, sqlframe generated {len(statements)}")
    return statements[0]


def plan_break(df):
    """A frame with the same rows whose plan starts here: the local engine's fix for long chains.

    sqlframe deep-copies (and hashes, by generating its SQL) the whole accumulated
    expression tree on every DataFrame operation, so a chain of n steps costs about n²
    tree copies: that planning, not DuckDB, was most of a small batch's transform time.
    On sqlframe the frame's SQL becomes a DuckDB view and the frame is read back from
    it: nothing is computed or stored (DuckDB inlines the view when the final query
    runs), so later steps plan on a one-table expression. On Spark (whose plans are
    cheap to extend) it returns ``df`` itself, so the Spark path is unchanged.
    Drop the views with ``drop_plan_breaks(session)`` when the run is over.
    """
    session = df.sparkSession
    if is_spark(session):
        return df
    name = f"movies_view_{uuid.uuid4().hex[:16]}"
    sql = duckdb_sql(df)
    session._conn.execute(f'CREATE VIEW "{name}" AS {sql}')
    views = session.__dict__.setdefault("_moviepipe_views", [])
    views.append(name)
    return session.read.table(name)


def drop_plan_breaks(session) -> None:
    """Drop the views ``plan_break`` made on ``session`` (newest first; a no-op on Spark)."""
    views = getattr(session, "_moviepipe_views", None) or []
    while views:
        session._conn.execute(f'DROP VIEW IF EXISTS "{views.pop()}"')
