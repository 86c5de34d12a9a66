"""Reading the raw CSV and writing exactly one CSV file per output, on either engine.

The only engine-specific code of the transform lives here: the two readers and
writers take different option names, and Spark writes a folder of part files
that has to become one named file.
"""

from __future__ import annotations

import os
import uuid

from movies_cleanse import INPUT_COLUMNS, ROW_ORDER, raw
from movies_engine import api_for, is_spark

NULL_MARKER = "\\N"
#: Spark writes into this folder under out_root, then moves the single part file
#: into place; it is outside movies/ and rejected/, which the pipes watch.
STAGING_DIR = "_staging"


def input_schema(T):
    """All-string StructType of the raw header, in file order."""
    return T.StructType([T.StructField(name, T.StringType(), True) for name in INPUT_COLUMNS])


def read_raw(session, path: str):
    """Raw CSV -> frame of ``raw_<name>`` strings ('' read as NULL) plus ``_ROW_ORDER`` (file order).

    The file is UTF-8, comma-separated, '"'-quoted with '""' inside quotes, and
    fields may span lines. Columns are selected by name after the read.
    """
    api = api_for(session)
    F = api.F
    if is_spark(session):
        df = (
            session.read.schema(input_schema(api.T))
            .option("header", True)
            .option("multiLine", True)
            .option("quote", '"')
            .option("escape", '"')
            .option("encoding", "UTF-8")
            .option("mode", "FAILFAST")
            .csv(path)
        )
        # one multi-line CSV file is one partition, so this follows file order
        df = df.withColumn(ROW_ORDER, F.monotonically_increasing_id())
    else:
        df = _read_duckdb(session, path)
    return df.select(
        *[F.when(F.col(name) != "", F.col(name)).alias(raw(name)) for name in INPUT_COLUMNS],
        F.col(ROW_ORDER).cast("bigint").alias(ROW_ORDER),
    )


def _read_duckdb(session, path: str):
    """DuckDB read_csv with a file-order row number (sqlframe has no monotonically_increasing_id).

    ``row_number() OVER ()`` over a bare scan is DuckDB's streaming window, which
    keeps scan (file) order; sqlframe's own CSV load is the same SELECT minus it.
    """
    quoted_path = path.replace("'", "''")
    columns = "{" + ", ".join(f"'{name}': 'VARCHAR'" for name in INPUT_COLUMNS) + "}"
    select = ", ".join(f'CAST(src."{name}" AS VARCHAR) AS "{name}"' for name in INPUT_COLUMNS)
    sql = (
        f'SELECT {select}, CAST(row_number() OVER () AS BIGINT) AS "{ROW_ORDER}" '
        f"FROM read_csv('{quoted_path}', header=true, delim=',', quote='\"', escape='\"', "
        f"columns={columns}, auto_detect=false, strict_mode=true) AS src"
    )
    df = session.sql(sql, dialect="duckdb", qualify=False)
    # sqlframe keys columns case-insensitively; restore the file's spelling (as its CSV loader does)
    df.display_name_mapping.update(zip(df._columns, list(INPUT_COLUMNS) + [ROW_ORDER]))
    return df


def join_uri(root: str, relpath: str) -> str:
    return root.rstrip("/") + "/" + relpath.lstrip("/")


def write_csv(df, out_root: str, relpath: str, order_by=None) -> str:
    """Write ``df`` as the single CSV file ``out_root/relpath``; return ``relpath``.

    Header, UTF-8, '"' quoting with '""' escaping, NULL as \\N; the file is
    replaced on a re-run. Every column is written as text: callers format
    dates and numbers first so both engines write the same characters.
    """
    F = api_for(df).F
    df = df.select(*[F.col(c).cast("string").alias(c) for c in df.columns])
    if order_by:
        df = df.orderBy(*order_by)
    if is_spark(df.sparkSession):
        _write_spark(df, out_root, relpath)
    else:
        _write_duckdb(df, out_root, relpath)
    return relpath


def _write_duckdb(df, out_root: str, relpath: str) -> None:
    if "://" in out_root and not out_root.startswith("file://"):
        raise ValueError(f"the duckdb engine writes local folders only, not {out_root!r}")
    root = out_root[len("file://"):] if out_root.startswith("file://") else out_root
    final = os.path.join(root, relpath)
    staging = os.path.join(root, STAGING_DIR)
    os.makedirs(os.path.dirname(final), exist_ok=True)
    os.makedirs(staging, exist_ok=True)
    tmp = os.path.join(staging, f"{uuid.uuid4().hex}.csv")
    try:
        df.write.save(
            tmp, format="csv", mode="overwrite",
            header=True, delimiter=",", quote='"', escape='"', nullstr=NULL_MARKER,
        )
        if not os.path.exists(tmp):  # nothing written for an empty frame: header only
            with open(tmp, "w", encoding="utf-8", newline="") as handle:
                handle.write(",".join(df.columns) + "\n")
        os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
        _remove_if_empty(staging)


def _remove_if_empty(folder: str) -> None:
    try:
        os.rmdir(folder)
    except OSError:
        pass


def _write_spark(df, out_root: str, relpath: str) -> None:
    """coalesce(1) into a staging folder, then move the one part file to its final name.

    Uses the Hadoop FileSystem API so the same code works on local paths and on
    s3:// (AWS Glue), where a move is a copy and a delete.
    """
    session = df.sparkSession
    jvm = session._jvm
    conf = session._jsc.hadoopConfiguration()
    Path = jvm.org.apache.hadoop.fs.Path
    staging_uri = join_uri(out_root, f"{STAGING_DIR}/{uuid.uuid4().hex}")
    final_path = Path(join_uri(out_root, relpath))
    staging_path = Path(staging_uri)
    fs = final_path.getFileSystem(conf)
    try:
        (
            df.coalesce(1).write.mode("overwrite")
            .option("header", True)
            .option("quote", '"')
            .option("escape", '"')
            .option("nullValue", NULL_MARKER)
            .option("ignoreLeadingWhiteSpace", False)
            .option("ignoreTrailingWhiteSpace", False)
            .option("encoding", "UTF-8")
            .option("lineSep", "\n")
            .csv(staging_uri)
        )
        parts = [s.getPath() for s in fs.listStatus(staging_path) if s.getPath().getName().startswith("part-")]
        if len(parts) > 1:
            raise RuntimeError(f"expected one part file in {staging_uri}, found {len(parts)}")
        fs.mkdirs(final_path.getParent())
        if fs.exists(final_path):
            fs.delete(final_path, False)
        if parts:
            if not fs.rename(parts[0], final_path):
                raise RuntimeError(f"could not move {parts[0]} to {final_path}")
        else:  # Spark wrote no part file for an empty frame: header only
            stream = fs.create(final_path, True)
            stream.write(bytearray((",".join(df.columns) + "\n").encode("utf-8")))
            stream.close()
        # a local rename leaves the part file's .crc behind in the staging folder, not next to the file
        crc = Path(final_path.getParent(), "." + final_path.getName() + ".crc")
        if fs.exists(crc):
            fs.delete(crc, False)
    finally:
        fs.delete(staging_path, True)
        staging_root = Path(join_uri(out_root, STAGING_DIR))
        if fs.exists(staging_root) and len(fs.listStatus(staging_root)) == 0:
            fs.delete(staging_root, False)
    if "://" not in out_root or out_root.startswith("file:"):
        _remove_local_crc(out_root, relpath)


def _remove_local_crc(out_root: str, relpath: str) -> None:
    root = out_root[len("file://"):] if out_root.startswith("file://") else out_root
    folder = os.path.dirname(os.path.join(root, relpath))
    for name in os.listdir(folder):
        if name.endswith(".crc"):
            os.remove(os.path.join(folder, name))

