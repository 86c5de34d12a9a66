"""Runs for the reliability tests: whole pipeline runs in a child process, killed or not.

A child is forked from the test process (the imports are paid once, not 40 times) and runs
``moviepipe.source_run.run_source`` on its own ``MOVIEPIPE_HOME``; ``MOVIEPIPE_FAULT`` makes it die
with ``os._exit(137)`` at the named point. The parent never opens a warehouse or a transform
session before forking, so the child inherits no open DuckDB state.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import traceback
from pathlib import Path

from moviepipe.faults import EXIT_CODE


def run_child(home: Path, source_url: str, fault: str | None = None, full_refresh: bool = False,
              env: dict | None = None, log: Path | None = None, transform_cache: Path | None = None,
              facts_to: Path | None = None) -> int:
    """Run the pipeline once in a forked child; its exit status (0 ok, 1 error, 137 a fault).

    ``transform_cache``: replay the transform's archive files from an earlier run of the same raw
    input (see ``cached_transform``). ``facts_to``: write ``warehouse_facts`` there after the run.
    """
    return wait_child(start_child(home, source_url, fault, full_refresh, env, log, transform_cache, facts_to))


def wait_child(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def start_child(home: Path, source_url: str, fault: str | None = None, full_refresh: bool = False,
                env: dict | None = None, log: Path | None = None, transform_cache: Path | None = None,
                facts_to: Path | None = None) -> int:
    """``run_child`` without waiting: the child's pid (its log: ``log`` or ``<home>.log``)."""
    log = log or home.with_suffix(".log")
    home.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            sys.stdout = sys.stderr = open(fd, "w", buffering=1, closefd=False)  # pytest replaced both
            os.environ.update({"MOVIEPIPE_HOME": str(home), **(env or {})})
            os.environ.pop("MOVIEPIPE_FAULT", None)
            if fault:
                os.environ["MOVIEPIPE_FAULT"] = fault
            from moviepipe.runtime import build_runtime
            from moviepipe.settings import load_settings
            from moviepipe.source_run import run_source
            from moviepipe.sources.factory import open_source

            settings = load_settings(source=source_url, home=str(home))
            rt = build_runtime(settings)
            if transform_cache is not None:
                cached_transform(rt, transform_cache)
            try:
                run = run_source(rt, open_source(settings), full_refresh=full_refresh, lock_wait=0)
                print("result:", run.status, run.batch.batch_id, flush=True)
                if facts_to is not None:
                    import json

                    facts_to.write_text(json.dumps(warehouse_facts(rt), default=str))
            finally:
                rt.close()
            code = 0
        except BaseException:  # noqa: BLE001 - reported through the log and the exit status
            traceback.print_exc()
            sys.stderr.flush()
        finally:
            os._exit(code)
    return pid


def last_error(log: Path) -> str:
    lines = [line for line in log.read_text().splitlines() if line.strip()] if log.exists() else []
    return lines[-1] if lines else ""


def copy_home(source: Path, target: Path) -> Path:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    return target


def change_and_delete(db: Path, changes: int = 8, deletes: int = 4) -> tuple[list[str], list[str]]:
    """Edit ``changes`` films (a later lastUpdated, a new title) and delete ``deletes`` others."""
    shared = ("tt0078788", "tt0850669")
    with sqlite3.connect(db) as conn:
        ids = [row[0] for row in conn.execute(
            "SELECT imdbID FROM omdb WHERE imdbID NOT IN (?, ?) ORDER BY ID", shared)]
        changed, deleted = ids[:changes], ids[changes:changes + deletes]
        conn.executemany("UPDATE omdb SET Title = Title || ' (restored)', lastUpdated = '2026-11-20' "
                         "WHERE imdbID = ?", [(i,) for i in changed])
        for imdb_id in deleted:
            (source_id,) = conn.execute("SELECT ID FROM omdb WHERE imdbID = ?", (imdb_id,)).fetchone()
            conn.execute("DELETE FROM tomatoes WHERE ID = ?", (source_id,))
            conn.execute("DELETE FROM omdb WHERE ID = ?", (source_id,))
    return changed, deleted


def exit_code_of_fault() -> int:
    return EXIT_CODE


def in_child(fn, *args):
    """``fn(*args)`` in a forked child (the parent keeps no DuckDB state); its JSON-able result."""
    import json
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            out.write_text(json.dumps(fn(*args), default=str))
            code = 0
        except BaseException:  # noqa: BLE001
            traceback.print_exc()
            sys.stderr.flush()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    try:
        if os.waitstatus_to_exitcode(status) != 0:
            raise AssertionError(f"{fn.__name__} failed in its child process (see the output above)")
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


RAW_TABLES = ("RAW.MOVIES", "RAW.MOVIE_RATINGS", "RAW.MOVIE_GENRES", "RAW.MOVIE_PEOPLE", "RAW.MOVIE_DELETES")


def cached_transform(rt, cache: Path) -> None:
    """Make ``rt.transform`` replay an earlier transform of the same raw bytes, from ``cache``.

    The transform is deterministic (the Spark/DuckDB parity tests hold it to identical bytes) and
    costs a fixed ~12 s of query planning per call here, which the 40 runs of the crash matrix
    cannot pay. The first run of each raw input runs it for real and keeps its archive files and
    result; later runs copy those files into their own archive and return the same result. The
    cases that crash inside the transform run it for real (no cache).
    """
    import hashlib
    import json

    real = rt.transform

    def transform(batch_id: str, raw_key: str) -> dict:
        digest = hashlib.sha256(rt.processed.path(raw_key).read_bytes()).hexdigest()[:16]
        entry = cache / f"{batch_id}-{digest}"
        marker = f"batch_id={batch_id}/"
        if (entry / "result.json").exists():
            for path in sorted((entry / "files").rglob("*")):
                if path.is_file():
                    rt.archive.upload(path, path.relative_to(entry / "files").as_posix())
            return json.loads((entry / "result.json").read_text())
        result = real(batch_id, raw_key)
        for key in rt.archive.list():
            if marker in key:
                target = entry / "files" / key
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(rt.archive.path(key), target)
        (entry / "result.json").write_text(json.dumps(result, default=str))
        return result

    rt.transform = transform


def warehouse_facts(rt_or_home) -> dict:
    """What the crash matrix compares between a crashed-and-rerun home and a clean one."""
    import json

    from moviepipe.runtime import build_runtime
    from moviepipe.settings import load_settings

    rt = build_runtime(load_settings(home=rt_or_home)) if isinstance(rt_or_home, str) else rt_or_home
    try:
        snowflake, wh = rt.snowflake, rt.warehouse
        dim = wh.query("SELECT IMDB_ID, CHANGE_HASH, IS_CURRENT, IS_DELETED, BATCH_ID, VALID_FROM, VALID_TO "
                       "FROM ANALYTICS.DIM_MOVIE ORDER BY IMDB_ID, VALID_FROM, MOVIE_KEY")
        movies: dict[str, list] = {}
        for row in dim:
            movies.setdefault(row["IMDB_ID"], []).append(row)
        problems = []
        for imdb_id, versions in movies.items():
            if sum(bool(v["IS_CURRENT"]) for v in versions) != 1 or not versions[-1]["IS_CURRENT"]:
                problems.append(f"{imdb_id}: current rows {[bool(v['IS_CURRENT']) for v in versions]}")
            for old, new in zip(versions, versions[1:]):
                if old["VALID_TO"] != new["VALID_FROM"]:
                    problems.append(f"{imdb_id}: versions not contiguous ({old['VALID_TO']} -> {new['VALID_FROM']})")
        raw_dupes = {table: int(wh.scalar(f"SELECT COUNT(*) FROM (SELECT BATCH_ID, IMDB_ID FROM {table} "
                                          "GROUP BY 1, 2 HAVING COUNT(*) > 1)"))
                     for table in ("RAW.MOVIES", "RAW.MOVIE_DELETES")}
        raw_counts = {table: sorted([row["BATCH_ID"], int(row["N"])] for row in wh.query(
            f"SELECT BATCH_ID, COUNT(*) AS N FROM {table} GROUP BY 1")) for table in RAW_TABLES}
        files = wh.query("SELECT PIPE_NAME, FILE_NAME, COUNT(*) AS N FROM OPS.LOADED_FILES GROUP BY 1, 2")
        ledger = rt.ledger.rows()
        reconciled = [row for row in ledger if row["STAGE"] == "reconcile"]
        return {
            "dim": {imdb_id: [[v["CHANGE_HASH"], bool(v["IS_CURRENT"]), bool(v["IS_DELETED"]), v["BATCH_ID"]]
                              for v in versions] for imdb_id, versions in movies.items()},
            "problems": problems,
            "raw_dupes": raw_dupes,
            "raw_counts": raw_counts,
            "files": sorted([row["PIPE_NAME"], row["FILE_NAME"]] for row in files),
            "files_loaded_twice": sorted([row["PIPE_NAME"], row["FILE_NAME"]] for row in files if int(row["N"]) > 1),
            "streams_pending": {name: snowflake.stream_pending(name) for name in snowflake.streams
                                if snowflake.stream_pending(name)},
            "ledger": [{"batch": row["BATCH_ID"], "stage": row["STAGE"], "state": row["STATE"],
                        "attempts": _attempts(json, row["DETAIL"])} for row in ledger],
            "unbalanced": [row["BATCH_ID"] for row in reconciled
                           if row["STATE"] != "succeeded" or
                           int(row["ROWS_IN"]) != int(row["ROWS_OUT"]) + int(row["ROWS_REJECTED"])],
        }
    finally:
        if isinstance(rt_or_home, str):
            rt.close()


def _attempts(json, detail) -> list:
    try:
        return [attempt["state"] for attempt in json.loads(detail or "{}").get("earlier_attempts", [])]
    except (ValueError, AttributeError):
        return []
