"""``moviepipe``: run the pipeline, ingest a batch zip, read the ledger, query the warehouse.

Errors end the command with one line naming the problem and a non-zero exit;
the full story is in the ledger (``moviepipe status``) and ``alerts.jsonl``.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from datetime import date, datetime
from decimal import Decimal
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

# Offline-friendly Prefect defaults (prefect.toml sets them too, but only when run from the repo root).
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")  # errors are ours to print, on one line

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console(stderr=False)
errors = Console(stderr=True)


class StageListener:
    """Draws each stage as it runs and remembers timings for the summary table."""

    def __init__(self):
        self.timings: dict[str, dict] = {}
        self._status = None

    def started(self, stage: str, batch_id: str) -> None:
        self._status = console.status(f"[bold]{stage}[/] batch {batch_id} …")
        self._status.start()

    def finished(self, stage: str, rows, seconds: float, where: str) -> None:
        self.stop()
        self.timings[stage] = {"seconds": seconds, "where": where}
        rows_text = f"{rows:,} rows" if rows is not None else ""
        console.print(f"[green]✓[/] {stage:<10} {rows_text:>14}  {seconds:6.1f}s", highlight=False)

    def failed(self, stage: str, error: str) -> None:
        self.stop()
        console.print(f"[red]✗[/] {stage:<10} {error.splitlines()[0] if error else ''}")

    def stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


def _run_with_progress(flow_fn, **kwargs) -> dict:
    from moviepipe import progress

    listener = StageListener()
    progress.subscribe(listener)
    started = time.perf_counter()
    try:
        result = flow_fn(**kwargs)
    except Exception as error:  # one line, named; the ledger and alerts.jsonl hold the rest
        listener.stop()
        _error(str(error).splitlines()[0] if str(error) else type(error).__name__)
        raise typer.Exit(code=1)
    finally:
        progress.unsubscribe(listener)
    result["_timings"] = listener.timings
    result["_seconds"] = time.perf_counter() - started
    return result


def _error(message: str) -> None:
    """One line, never wrapped, never read as markup: it may hold paths and brackets."""
    errors.print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)


def _summary(result: dict) -> None:
    table = Table(title=f"batch {result['batch_id']}", show_lines=False)
    for column in ("stage", "state", "rows in", "rows out", "rejected", "seconds"):
        table.add_column(column, justify="right" if column.startswith(("rows", "rej", "sec")) else "left")
    for row in result.get("ledger", []):
        timing = result["_timings"].get(row["STAGE"], {})
        table.add_row(row["STAGE"], row["STATE"], _n(row["ROWS_IN"]), _n(row["ROWS_OUT"]), _n(row["ROWS_REJECTED"]),
                      f"{timing.get('seconds', 0):.1f}")
    console.print(table)
    console.print("[bold]Outputs[/]")
    for stage, timing in result["_timings"].items():
        if timing.get("where") and not _staging_gone(timing["where"]):
            console.print(f"  {stage:<10} {timing['where']}", soft_wrap=True, highlight=False)
    merge = result.get("merge", {})
    rec = result.get("reconcile", {})
    console.print(f"[bold]{rec.get('extracted', 0):,}[/] extracted = [bold]{rec.get('loaded', 0):,}[/] loaded + "
                  f"[bold]{rec.get('rejected', 0):,}[/] rejected · DIM_MOVIE: {merge.get('new_versions', 0):,} new "
                  f"versions, {merge.get('closed_versions', 0):,} closed · {result['_seconds']:.1f}s in all")
    if result.get("report"):
        console.print(f"[bold]Report[/] {result['report']}", soft_wrap=True, highlight=False)
    console.print(f"[dim]outputs under {result.get('home')}; try: moviepipe status · moviepipe dashboard · moviepipe sql "
                  f"\"SELECT COUNT(*) FROM ANALYTICS.DIM_MOVIE WHERE IS_CURRENT\"[/]")


def _staging_gone(where: str) -> bool:
    """The work folder and zip are removed once a batch commits: not worth pointing at."""
    return where.startswith("/") and not os.path.exists(where)


def _n(value) -> str:
    return "" if value is None else f"{int(value):,}"


@app.command()
def run(
    source: Optional[str] = typer.Option(None, help="SQLAlchemy URL of the source (default: bundled movies.db), "
                                                    "or 'omdb' for the OMDb API (key in OMDB_API_KEY)."),
    engine: Optional[str] = typer.Option(None, help="Glue transform engine: duckdb (default, no JVM) or spark."),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="Ignore the watermark; re-extract everything."),
    mapping: Optional[str] = typer.Option(None, help="SQL: mapping file (TOML/JSON) for another schema."),
    on_drift: Optional[str] = typer.Option(None, "--on-drift", help="SQL: schema drift policy, evolve or fail."),
    lookback_days: Optional[float] = typer.Option(None, "--lookback-days",
                                                  help="SQL: re-read this many days behind the watermark."),
    detect_deletes: Optional[bool] = typer.Option(None, "--detect-deletes/--no-detect-deletes",
                                                  help="SQL: scan keys and close movies gone from the source."),
    ids: Optional[str] = typer.Option(None, help="OMDb: file of IMDb ids, one per line."),
    ids_sql: Optional[str] = typer.Option(None, "--ids-sql", help="OMDb: SQLAlchemy URL to read ids from."),
    ids_query: Optional[str] = typer.Option(None, "--ids-query", help="OMDb: query returning the ids."),
    refresh: bool = typer.Option(False, "--refresh", help="OMDb: re-fetch delivered ids (default list: the "
                                                          "warehouse's current movies)."),
    omdb_url: Optional[str] = typer.Option(None, "--omdb-url", help="OMDb: base URL (tests, proxies)."),
    omdb_secret: Optional[str] = typer.Option(None, "--omdb-secret", help="OMDb: Prefect Secret block with the key."),
    rps: Optional[float] = typer.Option(None, help="OMDb: requests per second."),
    daily_quota: Optional[int] = typer.Option(None, "--daily-quota", help="OMDb: requests per UTC day."),
    retry_missing: bool = typer.Option(False, "--retry-missing", help="OMDb: ask again about ids OMDb did not "
                                                                      "know (not found, unavailable) before their "
                                                                      "retry date."),
):
    """Extract new rows from the source and carry them through every stage into the warehouse."""
    from flows.pipeline import run_flow

    _settings_to_env(drift_policy=on_drift, lookback_days=lookback_days, detect_deletes=detect_deletes,
                     omdb_ids=ids, omdb_ids_sql=ids_sql, omdb_ids_query=ids_query, omdb_refresh=refresh or None,
                     omdb_base_url=omdb_url, omdb_secret_block=omdb_secret, omdb_requests_per_second=rps,
                     omdb_daily_quota=daily_quota, omdb_retry_missing=retry_missing or None)
    source = _keep_secret_out_of_prefect(source)
    result = _run_with_progress(run_flow, source=source, engine=engine, full_refresh=full_refresh, mapping=mapping)
    _report(result)


@app.command()
def backfill(
    window_from: str = typer.Option(..., "--from", help="First watermark value to re-extract (ISO date/time)."),
    window_to: str = typer.Option(..., "--to", help="Last watermark value to re-extract (inclusive)."),
    source: Optional[str] = typer.Option(None, help="SQLAlchemy URL of the source (default: bundled movies.db)."),
    engine: Optional[str] = typer.Option(None, help="duckdb (default) or spark."),
    mapping: Optional[str] = typer.Option(None, help="Mapping file (TOML/JSON) for another schema."),
):
    """Re-extract the rows whose watermark lies in [--from, --to] as one batch; the watermark stays."""
    from flows.pipeline import backfill_flow

    source = _keep_secret_out_of_prefect(source)
    _report(_run_with_progress(backfill_flow, window_from=window_from, window_to=window_to, source=source,
                               engine=engine, mapping=mapping))


def _report(result: dict) -> None:
    if result["status"] == "unchanged":
        console.print(f"Source unchanged since watermark {result['watermark']!r}: nothing extracted, "
                      "nothing added anywhere.")
        _source_answers(result)
        return
    if result["status"] == "quota_exhausted":
        console.print(f"[yellow]{result['message']}[/]")
        _source_answers(result)
        return
    _summary(result)
    _source_answers(result)
    if result["status"] == "partial":
        console.print("[yellow]The OMDb daily quota ran out: this batch holds what was fetched; "
                      "the next run resumes where this one stopped.[/]")


def _source_answers(result: dict, limit: int = 20) -> None:
    """OMDb: where the run's ids stand (found / not found / unavailable / failed) and the misses."""
    report = result.get("source_detail")
    if not report or "answers" not in report:
        return
    from flows.reporting import ANSWER_LABELS

    answers = report["answers"]
    counts = " · ".join(f"{answers[key]:,} {label.split(' (')[0]}" for key, label in ANSWER_LABELS.items()
                        if answers[key] or key in ("found", "not_found"))
    console.print(f"[bold]OMDb[/] {report['ids_requested']:,} ids: {counts} · {report['requests']:,} requests "
                  "this run", highlight=False, soft_wrap=True)
    misses = report["misses"]
    if not misses:
        return
    console.print("ids without a record (OPS.SOURCE_MISSES):")
    for miss in misses[:limit]:
        _miss_line(miss["imdb_id"], miss["status"], miss["reason"], miss["checked_at"], miss["retry_after"])
    total = sum(answers[key] for key in ("not_found", "unavailable", "failed"))
    more = f"{total - limit:,} more; " if total > limit else ""
    console.print(f"[dim]{more}all of them: moviepipe status --misses · ask again now: "
                  "moviepipe run --retry-missing[/]")


def _miss_line(imdb_id: str, status: str, reason: str | None, checked_at, retry_after, source: str = "") -> None:
    """One miss on one line, never wrapped (ids and OMDb's texts must stay greppable)."""
    again = f"asked again after {str(retry_after)[:16]}" if retry_after else "asked again next run"
    console.print(Text(f"  {source + '  ' if source else ''}{imdb_id:<11} {status:<12} {reason or '':<30} "
                       f"checked {str(checked_at)[:16]} UTC, {again}"), soft_wrap=True)


def _settings_to_env(**values) -> None:
    """Run options travel as ``MOVIEPIPE_*`` settings (never as flow parameters: no secrets in the UI)."""
    for name, value in values.items():
        if value is not None:
            os.environ[f"MOVIEPIPE_{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)


def _keep_secret_out_of_prefect(source: str | None) -> str | None:
    """Flow parameters are stored by the Prefect server and shown in its UI: a URL with a
    password travels through the environment instead (``MOVIEPIPE_SOURCE``)."""
    if not source:
        return source
    from sqlalchemy.engine import make_url

    try:
        has_password = make_url(source).password is not None
    except Exception:  # not a URL: let the source stage name the problem
        return source
    if has_password:
        os.environ["MOVIEPIPE_SOURCE"] = source
        return None
    return source


@app.command()
def ingest(zip_path: str = typer.Argument(..., help="A batch zip following the manifest contract."),
           engine: Optional[str] = typer.Option(None, help="duckdb (default) or spark.")):
    """Land a batch zip produced elsewhere and carry it through unzip, transform, load and merge."""
    from flows.pipeline import ingest_flow

    _summary(_run_with_progress(ingest_flow, zip_path=zip_path, engine=engine))


@app.command()
def unlock(source: Optional[str] = typer.Argument(None, help="The source whose lock to clear, as given to "
                                                             "`moviepipe run --source` (default: movies.db).")):
    """Remove a stale source lock (left by a killed run); refuses while its holder is alive."""
    from flows.locks import lock_for
    from moviepipe.runtime import build_runtime
    from moviepipe.settings import load_settings
    from moviepipe.sources.factory import open_source

    with _one_line_errors():
        settings = load_settings(source=source)
        opened = open_source(settings)
        try:
            key = getattr(opened, "base_source_key", opened.source_key)
        finally:
            opened.close()
        with contextlib.closing(build_runtime(settings)) as rt:
            console.print(lock_for(key, runtime=rt).unlock(), soft_wrap=True, highlight=False)


@contextlib.contextmanager
def _one_line_errors():
    """Our errors (MoviepipeError) end the command with their first line and exit code 1."""
    from moviepipe.errors import MoviepipeError

    try:
        yield
    except MoviepipeError as error:
        _error(str(error).splitlines()[0])
        raise typer.Exit(code=1)


@contextlib.contextmanager
def _warehouse():
    """The local warehouse with the sql/ tree applied; our errors end the command in one line."""
    from moviepipe.runtime import build_runtime

    with _one_line_errors(), contextlib.closing(build_runtime()) as rt:
        rt.snowflake
        yield rt


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
           misses_only: bool = typer.Option(False, "--misses", help="Only the source ids without a record "
                                                                    "(OMDb's not found, unavailable, failed).")):
    """The batch ledger (every batch and stage with its state and row counts) and the source misses."""
    from moviepipe.sources.omdb import misses as source_misses

    with _warehouse() as rt:
        rows = [] if misses_only else rt.ledger.rows()
        misses = source_misses.current(rt.ledger.wh)
    if as_json:
        print(json.dumps(misses if misses_only else rows, default=_json_default, indent=2, ensure_ascii=False))
        return
    if not misses_only:
        if not rows:
            console.print("No batches yet: run `moviepipe run`.")
        else:
            table = Table(title="OPS.BATCH_LEDGER")
            for column in ("batch", "stage", "state", "rows in", "rows out", "rejected", "ended at"):
                table.add_column(column)
            for row in rows:
                table.add_row(row["BATCH_ID"], row["STAGE"], row["STATE"], _n(row["ROWS_IN"]), _n(row["ROWS_OUT"]),
                              _n(row["ROWS_REJECTED"]), str(row["ENDED_AT"] or ""))
            console.print(table)
    _misses_table(misses, limit=None if misses_only else 50)


def _misses_table(misses: list[dict], limit: int | None) -> None:
    if not misses:
        return
    console.print(f"[bold]source ids without a record[/] (OPS.SOURCE_MISSES, latest answer per id): {len(misses):,}")
    for miss in misses[:limit]:
        _miss_line(miss["IMDB_ID"], miss["STATUS"], miss["REASON"], miss["CHECKED_AT"], miss["RETRY_AFTER"],
                   source=miss["SOURCE"])
    if limit is not None and len(misses) > limit:
        console.print(f"[dim]{len(misses) - limit:,} more: moviepipe status --misses[/]")


@app.command()
def sql(query: str = typer.Argument(..., help="Snowflake SQL to run on the local warehouse."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON rows.")):
    """Run Snowflake SQL on the local warehouse (fakesnow) and print the result."""
    with _warehouse() as rt:
        try:
            rows = rt.warehouse.query(query)
        except Exception as error:  # the warehouse's own message names the problem
            _error(str(error).splitlines()[0])
            raise typer.Exit(code=1)
    if as_json:
        print(json.dumps(rows, default=_json_default, indent=2, ensure_ascii=False))
        return
    table = Table()
    for column in (rows[0].keys() if rows else []):
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    console.print(table)
    console.print(f"[dim]{len(rows)} row(s)[/]")


@app.command()
def dashboard(
    port: int = typer.Option(8501, help="Port to serve on."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0: every interface)."),
    backend: Optional[str] = typer.Option(None, help="local (default): read-only copies of the local warehouse; "
                                                     "snowflake: st.connection('snowflake'), see docs/bi.md."),
):
    """Serve the dashboard (Streamlit) over the ANALYTICS views; it works while a run is going."""
    from moviepipe.dashboard.server import serve
    from moviepipe.settings import load_settings

    def announce(url: str, note: str) -> None:
        console.print(f"moviepipe dashboard on [bold]{url}[/] · {note} · Ctrl+C stops it", soft_wrap=True,
                      highlight=False)

    with _one_line_errors():
        code = serve(load_settings(), port, host, backend, announce)
    raise typer.Exit(code=code)


@app.command()
def generate(
    rows: Optional[int] = typer.Option(None, "--rows", help="Films to generate (with --out)."),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same rows and seed give the same tables."),
    out: Optional[str] = typer.Option(None, "--out", help="Target database URL, e.g. sqlite:///movies_1m.db."),
    replace: bool = typer.Option(False, "--replace", help="Drop omdb/tomatoes first if the target has them."),
    changes: Optional[float] = typer.Option(None, "--changes", help="Percent of films to change (with --in)."),
    delete: Optional[float] = typer.Option(None, "--delete", help="Percent of films to delete (with --in)."),
    source_in: Optional[str] = typer.Option(None, "--in", help="Database URL to change or delete films in."),
    at: Optional[str] = typer.Option(None, "--at", help="lastUpdated of changed films (ISO date; default: the "
                                                       "day after the newest in the source)."),
):
    """Write a synthetic source in the default schema, or change/delete films in one (for incremental runs)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from moviepipe import generate as synthetic
    from moviepipe.errors import MoviepipeError
    from moviepipe.sources.sql.helpers import masked

    editing = changes is not None or delete is not None
    with _one_line_errors():
        if editing:
            if source_in is None or rows is not None or out is not None:
                raise MoviepipeError("--changes/--delete edit an existing source: give --in URL (not --rows/--out)")
            report = synthetic.apply_changes(source_in, changes or 0.0, seed, delete or 0.0, at)
            fields = ", ".join(f"{name} {count:,}" for name, count in report.fields.items())
            console.print(f"{masked(source_in)}: {report.changed:,} of {report.rows_before:,} films changed "
                          f"(lastUpdated → {report.at}; {fields}), {report.deleted:,} deleted", highlight=False,
                          soft_wrap=True)
            return
        if rows is None or out is None or source_in is not None or at is not None:
            raise MoviepipeError("give --rows N and --out URL to generate (or --changes/--delete with --in)")
        with Progress(TextColumn("generating"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=console, transient=True, disable=rows < 500_000) as bar:
            task = bar.add_task("films", total=rows)

            def show(done: int, total: int) -> None:
                bar.update(task, completed=done)
                if not console.is_terminal and done % 1_000_000 == 0:  # logs get a line per million
                    console.print(f"generated {done:,} of {total:,} films", highlight=False)

            result = synthetic.generate(out, rows, seed, replace, on_progress=show)
    console.print(f"{result.rows:,} films (seed {result.seed}) → {masked(out)} in {result.seconds:.1f} s: "
                  f"{result.rows_per_second:,.0f} rows/s ({result.writer})", highlight=False, soft_wrap=True)


@app.command()
def automations(
    notify_block: str = typer.Option(..., "--notify-block", help="The Prefect notification block alerts go to, "
                                                                 "<block-type-slug>/<name> (see `prefect block ls`)."),
    file: Optional[str] = typer.Option(None, "--file", help="The automations file (default: the repository's "
                                                            "automations.yaml)."),
    out: Optional[str] = typer.Option(None, "--out", help="Write the file with the block id filled in (for "
                                                          "`prefect automation create --from-file`) instead."),
):
    """Create or update (by name) the Prefect automations of automations.yaml on the server at PREFECT_API_URL."""
    from flows import automations as prefect_automations

    path = file or prefect_automations.DEFAULT_FILE
    with _one_line_errors():
        if out:
            prefect_automations.write_rendered(notify_block, out, path)
            console.print(f"wrote {out}: prefect automation create --from-file {out}", highlight=False)
            return
        for name, what in prefect_automations.apply(notify_block, path):
            console.print(f"{what:<8} {name}", highlight=False)


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
