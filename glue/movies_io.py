"""Reading raw files and writing exactly one CSV file per output, on either engine.

The only engine-specific code of the transform lives here: the two readers and
writers take different option names, Spark writes a folder of part files that
has to become one named file, and small files (the manifest, a header, the
result JSON) are read and written through Python locally or Hadoop's
FileSystem on Spark (so s3:// works on AWS Glue).
"""

from __future__ import annotations

import csv
import io
import os
import uuid

from moviepipe.contract.archive import DELETES_COLUMNS
from movies_cleanse import INPUT_COLUMNS, ROW_ORDER, raw
from movies_engine import api_for, duckdb_sql, is_spark
from movies_enrich import RawLayout

NULL_MARKER = "\\N"
#: Spark writes into this folder under out_root, then moves the single part file
#: into place; it is outside the entity folders, which the pipes watch.
STAGING_DIR = "_staging"


class RawFileError(ValueError):
    """A raw file cannot be read as the contract says; the message names the file and the problem."""


# ---------------------------------------------------------------- paths and small files
def is_local(uri: str) -> bool:
    return "://" not in uri or uri.startswith("file://")


def local_path(uri: str) -> str:
    return uri[len("file://"):] if uri.startswith("file://") else uri


def sibling(uri: str, name: str) -> str:
    """``name`` in the same folder as file ``uri`` (works for local paths and s3:// URIs)."""
    return uri.rstrip("/").rsplit("/", 1)[0] + "/" + name if "/" in uri else name


def read_text(session, uri: str) -> str | None:
    """A small UTF-8 file's text, or None when it does not exist (manifests, headers)."""
    if is_local(uri):
        try:
            with open(local_path(uri), encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            return None
    if not is_spark(session):
        raise ValueError(f"the duckdb engine reads local files only, not {uri!r}")
    fs_path = session._jvm.org.apache.hadoop.fs.Path(uri)
    fs = fs_path.getFileSystem(session._jsc.hadoopConfiguration())
    if not fs.exists(fs_path):
        return None
    return session.read.text(uri, wholetext=True).collect()[0][0]


def write_text(session, out_root: str, relpath: str, text: str) -> str:
    """Write (replace) a small UTF-8 file ``out_root/relpath``; return relpath."""
    if is_local(out_root):
        final = os.path.join(local_path(out_root), relpath)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        tmp = f"{final}.{uuid.uuid4().hex}.tmp"
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, final)
        return relpath
    if not is_spark(session):
        raise ValueError(f"the duckdb engine writes local folders only, not {out_root!r}")
    jvm = session._jvm
    target = jvm.org.apache.hadoop.fs.Path(join_uri(out_root, relpath))
    stream = target.getFileSystem(session._jsc.hadoopConfiguration()).create(target, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()
    return relpath


def read_header(session, uri: str) -> list[str]:
    """The first CSV record of a raw file: its column names in file order."""
    if is_local(uri):
        with open(local_path(uri), encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), None)
    else:
        if not is_spark(session):
            raise ValueError(f"the duckdb engine reads local files only, not {uri!r}")
        first = session.read.text(uri).limit(1).collect()
        header = next(csv.reader(io.StringIO(first[0][0]))) if first else None
    if not header:
        raise RawFileError(f"{uri}: no header line")
    blank = [i for i, name in enumerate(header) if not name.strip()]
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if blank or duplicated:
        raise RawFileError(f"{uri}: header has blank names at positions {blank} or repeated names {duplicated}")
    return header


# ---------------------------------------------------------------- raw frames
def _positional(i: int) -> str:
    return f"_F{i}"


def read_csv_strings(session, path: str, width: int):
    """A raw CSV as all-string columns ``_F0.._F<width-1>`` (by position) plus ``_ROW_ORDER``.

    Columns are taken by position, never by name, so header names that differ
    only in case, or that hold characters SQL needs quoted, cannot collide. '' is NULL.
    The file is UTF-8, comma-separated, '"'-quoted with '""' inside quotes, and
    fields may span lines; a record with too many or too few fields fails the read.
    """
    api = api_for(session)
    F, T = api.F, api.T
    names = [_positional(i) for i in range(width)]
    if is_spark(session):
        schema = T.StructType([T.StructField(n, T.StringType(), True) for n in names])
        df = (
            session.read.schema(schema)
            .option("header", True)
            .option("enforceSchema", True)
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
        df = _read_duckdb(session, local_path(path), names)
    return df.select(
        *[F.when(F.col(n) != "", F.col(n)).alias(n) for n in names],
        F.col(ROW_ORDER).cast("bigint").alias(ROW_ORDER),
    )


def read_raw(session, path: str):
    """Raw movies CSV -> (frame, RawLayout).

    The frame has ``raw_<name>`` for every contract column (NULL when the file
    lacks it: schema drift 'missing'), ``_X<i>`` for each column outside the
    contract (drift 'added' and source extras such as OMDb's ``Ratings``) and
    ``_ROW_ORDER`` (file order).
    """
    F = api_for(session).F
    header = read_header(session, path)
    df = read_csv_strings(session, path, len(header))
    position = {name: i for i, name in enumerate(header)}
    extras = [name for name in header if name not in INPUT_COLUMNS]
    column_of = {name: raw(name) for name in header if name in INPUT_COLUMNS}
    column_of.update({name: f"_X{i}" for i, name in enumerate(extras)})
    contract = [
        (F.col(_positional(position[name])) if name in position else F.lit(None).cast("string")).alias(raw(name))
        for name in INPUT_COLUMNS
    ]
    extra = [F.col(_positional(position[name])).alias(column_of[name]) for name in extras]
    return df.select(*contract, *extra, F.col(ROW_ORDER)), RawLayout(header, column_of, extras)


def read_deletes(session, path: str):
    """The deletes file -> frame of ``raw_imdbID``, ``raw_sourceId``, ``raw_deletedAt``, ``_ROW_ORDER``."""
    F = api_for(session).F
    header = read_header(session, path)
    if tuple(header) != DELETES_COLUMNS:
        raise RawFileError(f"{path}: header {header} is not {list(DELETES_COLUMNS)}")
    df = read_csv_strings(session, path, len(header))
    return df.select(*[F.col(_positional(i)).alias(raw(n)) for i, n in enumerate(header)], F.col(ROW_ORDER))


def _read_duckdb(session, path: str, names: list[str]):
    """DuckDB read_csv with a file-order row number (sqlframe has no monotonically_increasing_id).

    ``row_number() OVER ()`` over a bare scan is DuckDB's streaming window, which
    keeps scan (file) order. With ``columns`` given, DuckDB skips the header
    line and names the fields by position.
    """
    quoted_path = path.replace("'", "''")
    columns = "{" + ", ".join(f"'{name}': 'VARCHAR'" for name in names) + "}"
    select = ", ".join(f'CAST(src."{name}" AS VARCHAR) AS "{name}"' for name in names)
    sql = (
        f'SELECT {select}, CAST(row_number() OVER () AS BIGINT) AS "{ROW_ORDER}" '
        f"FROM read_csv('{quoted_path}', header=true, delim=',', quote='\"', escape='\"', "
        f"columns={columns}, auto_detect=false, strict_mode=true) AS src"
    )
    return session.sql(sql, dialect="duckdb", qualify=False)


def join_uri(root: str, relpath: str) -> str:
    return root.rstrip("/") + "/" + relpath.lstrip("/")


def write_csv(df, out_root: str, relpath: str, order_by=None) -> str:
    """Write ``df`` as the single CSV file ``out_root/relpath``; return ``relpath``.

    Header, UTF-8, '"' quoting with '""' escaping, NULL as \\N; the file is
    replaced on a re-run. Every column is written as text: callers format
    dates and numbers first so both engines write the same characters.
    """
    return write_csv_counted(df, out_root, relpath, order_by, count=False)[0]


def write_csv_counted(df, out_root: str, relpath: str, order_by=None, *, count: bool = True):
    """``write_csv`` that also returns the rows written: ``(relpath, rows)`` (rows None if not ``count``).

    Spark counts the frame, then writes it (two jobs). On DuckDB the count is the
    one COPY's own row count, so the output query (the explosions, the unions)
    runs once instead of once for a count and again for the file.
    """
    F = api_for(df).F
    df = df.select(*[F.col(c).cast("string").alias(c) for c in df.columns])
    if order_by:  # explicit NULLS FIRST: the engines' defaults differ, the bytes must not
        df = df.orderBy(*[F.col(c).asc_nulls_first() for c in order_by])
    if is_spark(df.sparkSession):
        rows = df.count() if count else None
        _write_spark(df, out_root, relpath)
    else:
        rows = _write_duckdb(df, out_root, relpath)
    return relpath, rows


def _copy_options() -> str:
    """DuckDB COPY options: the same characters Spark writes with ``_write_spark``'s options."""
    options = {
        "format": "csv", "header": "true", "delimiter": ",", "quote": '"', "escape": '"', "nullstr": NULL_MARKER,
        "comment": "",  # else DuckDB quotes every value holding '#', which Spark does not
    }
    return ", ".join(f"{key} '{value}'" if key != "header" else f"{key} {value}" for key, value in options.items())


def _write_duckdb(df, out_root: str, relpath: str) -> int:
    """COPY the frame's SQL (sqlframe generates it from the shared DataFrame code) to a staging
    file, then move it into place; return the rows written."""
    if not is_local(out_root):
        raise ValueError(f"the duckdb engine writes local folders only, not {out_root!r}")
    root = local_path(out_root)
    final = os.path.join(root, relpath)
    staging = os.path.join(root, STAGING_DIR)
    os.makedirs(os.path.dirname(final), exist_ok=True)
    os.makedirs(staging, exist_ok=True)
    tmp = os.path.join(staging, f"{uuid.uuid4().hex}.csv")
    try:
        sql = duckdb_sql(df)
        quoted = tmp.replace("'", "''")
        (rows,) = df.sparkSession._conn.execute(f"COPY ({sql}) TO '{quoted}' ({_copy_options()})").fetchone()
        if not os.path.exists(tmp):  # nothing written for an empty frame: header only
            with open(tmp, "w", encoding="utf-8", newline="") as handle:
                handle.write(",".join(df.columns) + "\n")
        os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
        _remove_if_empty(staging)
    return int(rows)


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
        if is_local(out_root):  # an empty folder is a thing only on disk; on S3 the empty prefix is gone, and
            # probing the bare key "_staging" would need a grant outside the job's prefixes
            staging_root = Path(join_uri(out_root, STAGING_DIR))
            if fs.exists(staging_root) and len(fs.listStatus(staging_root)) == 0:
                fs.delete(staging_root, False)
    if is_local(out_root):
        _remove_local_crc(out_root, relpath)


def _remove_local_crc(out_root: str, relpath: str) -> None:
    root = local_path(out_root)
    folder = os.path.dirname(os.path.join(root, relpath))
    for name in os.listdir(folder):
        if name.endswith(".crc"):
            os.remove(os.path.join(folder, name))

