"""What a flow run leaves behind for people: artifacts, batch-tagged logs, alerts.

- Artifacts (Prefect UI, "Artifacts" tab of the run): the ledger as a table (rows in,
  out and rejected per stage), the data-quality counts per rule (the transform's
  ``rejected_by_rule``), and a markdown list of where the batch's outputs are.
- Logs: every message carries ``[batch <id>]`` and ``extra={"batch_id": ...}``.
- Alerts: the flow's ``on_failure`` hook sends one failure alert (stage, batch id,
  the error's first line, a link to the run in the UI); ``on_completion`` sends a
  summary of runs that loaded a batch when ``alert_on_success`` says so (default:
  cloud yes, local no). The flow body records what the hooks need in ``RUN_CONTEXT``.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from moviepipe.alerts import flow_run_link, redact

#: flow run id -> what the hooks need (settings, batch id, the runtime's alert function).
RUN_CONTEXT: dict[str, dict[str, Any]] = {}


def context() -> dict[str, Any]:
    """This flow run's context dict (created on first use)."""
    from prefect.runtime import flow_run

    return RUN_CONTEXT.setdefault(str(flow_run.id), {})


class BatchLogger(logging.LoggerAdapter):
    """Prefixes messages with the batch id and adds it as a structured field."""

    def process(self, msg, kwargs):
        batch_id = self.extra.get("batch_id")
        kwargs.setdefault("extra", {}).update(self.extra)
        return (f"[batch {batch_id}] {msg}" if batch_id else msg), kwargs


def batch_logger(batch_id: str | None) -> logging.LoggerAdapter:
    from prefect import get_run_logger

    return BatchLogger(get_run_logger(), {"batch_id": batch_id})


# --------------------------------------------------------------------------- artifacts
def stage_table(ledger_rows: list[dict]) -> list[dict]:
    table = []
    for row in ledger_rows:
        started, ended = row.get("STARTED_AT"), row.get("ENDED_AT")
        table.append({"stage": row["STAGE"], "state": row["STATE"], "rows_in": _int(row.get("ROWS_IN")),
                      "rows_out": _int(row.get("ROWS_OUT")), "rows_rejected": _int(row.get("ROWS_REJECTED")),
                      "seconds": round((ended - started).total_seconds(), 2) if started and ended else None})
    return table


def _int(value) -> int | None:
    """NUMBER columns arrive as Decimal, which JSON (and so the artifact) cannot hold."""
    return None if value is None else int(value)


def quality_table(ledger_rows: list[dict]) -> list[dict]:
    for row in ledger_rows:
        if row["STAGE"] == "transform" and row.get("DETAIL"):
            try:
                by_rule = json.loads(row["DETAIL"]).get("rejected_by_rule", {})
            except (json.JSONDecodeError, AttributeError):
                by_rule = {}
            return [{"rule": rule, "rows_rejected": _int(count)} for rule, count in sorted(by_rule.items())]
    return []


def output_locations(rt, batch_id: str, landing_key: str | None) -> list[tuple[str, str]]:
    """(what, where) of one batch's outputs: the outputs artifact and the run report list them."""
    found = [("batch zip", rt.landing.uri(landing_key))] if landing_key else []
    return found + [("unpacked batch", rt.processed.uri(f"movies/batch_id={batch_id}/")),
                    ("cleansed movies (Snowpipe input)", rt.archive.uri(f"movies/batch_id={batch_id}/movies.csv")),
                    ("rejected rows", rt.archive.uri(f"rejected/batch_id={batch_id}/rejected.csv")),
                    ("warehouse", "RAW.MOVIES, OPS.REJECTED_ROWS, ANALYTICS.DIM_MOVIE (SCD2), OPS.BATCH_LEDGER")]


def outputs_markdown(rt, batch_id: str, landing_key: str | None) -> str:
    lines = [f"# moviepipe batch `{batch_id}`", "", f"runtime: **{rt.name}**", "", "| what | where |", "|---|---|"]
    lines += [f"| {what} | `{where}` |" for what, where in output_locations(rt, batch_id, landing_key)]
    return "\n".join(lines)


def publish_artifacts(rt, batch_id: str | None, landing_key: str | None = None) -> list[str]:
    """Ledger, data quality and outputs of one batch as artifacts of this flow run."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    if not batch_id:
        return []
    rows = rt.ledger.rows(batch_id)
    created = [str(create_table_artifact(stage_table(rows), key="moviepipe-stages",
                                         description=f"Rows per stage of batch {batch_id} (OPS.BATCH_LEDGER)"))]
    quality = quality_table(rows)
    if quality:
        created.append(str(create_table_artifact(quality, key="moviepipe-data-quality",
                                                 description=f"Rows rejected per rule in batch {batch_id}")))
    created.append(str(create_markdown_artifact(outputs_markdown(rt, batch_id, landing_key), key="moviepipe-outputs",
                                                description=f"Where batch {batch_id} went")))
    return created


def publish_artifacts_safely(rt, batch_id: str | None, landing_key: str | None = None):
    """Artifacts are best effort: on the failure path the run's own error must surface, and after a
    batch commits a hiccup of the artifact API must not turn a loaded run into a failed one.
    Returns the path of the batch's HTML run report (``flows.run_report``), or None."""
    try:
        publish_artifacts(rt, batch_id, landing_key)
    except Exception as error:
        print(f"moviepipe: could not publish artifacts for {batch_id}: {redact(str(error))[:300]}", file=sys.stderr)
    from flows.run_report import publish_run_report_safely  # the shareable HTML report and its artifact

    return publish_run_report_safely(rt, batch_id, landing_key)


# --------------------------------------------------------------------------- source answers (OMDb)
#: How an OMDb run's ids stand, as shown in the artifact and the CLI.
ANSWER_LABELS = {"found": "found", "not_found": "not found", "unavailable": "unavailable (OMDb has no data yet)",
                 "failed": "failed (asked again next run)", "unanswered": "unanswered (quota spent)"}


def source_answers_markdown(report: dict, limit: int = 50) -> str:
    """The ``OmdbBatchPlan.report()`` of a run as markdown: counts per answer, then the misses."""
    answers = report["answers"]
    lines = [f"# {report['source']}: {report['ids_requested']} ids", "", "| answer | ids |", "|---|---:|"]
    lines += [f"| {ANSWER_LABELS[key]} | {answers[key]} |" for key in ANSWER_LABELS]
    lines += ["", f"{report['found_in_batch']} records in this run's batch; {report['requests']} requests "
                  f"({report['fetched']} answers) this run; {report['invalid_ids']} invalid ids skipped."]
    misses = report["misses"][:limit]
    if misses:
        lines += ["", "| id | answer | OMDb said | checked (UTC) | asked again after |", "|---|---|---|---|---|"]
        lines += [f"| {m['imdb_id']} | {m['status']} | {m['reason']} | {m['checked_at']} | "
                  f"{m['retry_after'] or 'next run'} |" for m in misses]
        total = sum(answers[k] for k in ("not_found", "unavailable", "failed"))
        if total > len(misses):
            lines.append(f"\n… and {total - len(misses)} more: `SELECT * FROM OPS.SOURCE_MISSES`")
    return "\n".join(lines)


def publish_source_answers_safely(batch) -> None:
    """The run's answer counts and misses as an artifact, when the source reports them (best effort)."""
    if not hasattr(batch, "report"):
        return
    try:
        from prefect.artifacts import create_markdown_artifact

        create_markdown_artifact(source_answers_markdown(batch.report()), key="moviepipe-source-answers",
                                 description=f"Where the ids of {batch.source_name} stand after this run")
    except Exception as error:
        print(f"moviepipe: could not publish the source answers: {redact(str(error))[:300]}", file=sys.stderr)


# --------------------------------------------------------------------------- hooks
def _send(ctx: dict, subject: str, detail: dict) -> None:
    alert = ctx.get("alert")
    if alert is None:  # the runtime was never built (bad settings): stderr is all there is
        print(f"ALERT: {redact(subject)} {redact(json.dumps(detail, default=str))}", file=sys.stderr)
        return
    try:
        alert(subject, detail)
    except Exception as error:  # an alert that cannot be sent must not mask the run's own outcome
        print(f"moviepipe: could not send alert '{redact(subject)}': {redact(str(error))[:300]}", file=sys.stderr)


def on_failure(flow, flow_run, state) -> None:
    ctx = RUN_CONTEXT.pop(str(flow_run.id), {})
    try:
        state.result()
        error: BaseException | None = None
    except BaseException as raised:  # the flow's exception, as Prefect recorded it
        error = raised
    stage = getattr(error, "stage", "pipeline")
    text = str(error).splitlines()[0] if error is not None and str(error) else (
        type(error).__name__ if error is not None else (state.message or "failed"))
    name = flow.name.removeprefix("moviepipe-")
    _send(ctx, f"moviepipe {name} failed at {stage}" + (f" ({ctx['batch_id']})" if ctx.get("batch_id") else ""), {
        "kind": "failure", "flow": name, "flow_run": flow_run.name, "batch_id": ctx.get("batch_id"),
        "stage": stage, "error": text, "source": ctx.get("source"), "home": ctx.get("home"),
        "link": flow_run_link(str(flow_run.id))})


def on_completion(flow, flow_run, state) -> None:
    ctx = RUN_CONTEXT.pop(str(flow_run.id), {})
    summary = ctx.get("summary")
    if not summary or not ctx.get("alert_on_success"):
        return
    name = flow.name.removeprefix("moviepipe-")
    _send(ctx, f"moviepipe {name} loaded {summary['batch_id']}", {
        "kind": "summary", "flow": name, "flow_run": flow_run.name, **summary,
        "link": flow_run_link(str(flow_run.id))})
