"""The run report as one self-contained HTML file: inline CSS and SVG, no script, nothing fetched."""

from __future__ import annotations

from html import escape

from moviepipe.report import RunReport
from moviepipe.report.svg import bar_chart

SERIES = [("rows in", "#4c78a8"), ("rows out", "#72b7b2"), ("rejected", "#e45756")]
STATUS_COLOURS = {"loaded": "#2e7d32", "failed": "#c62828", "running": "#ef6c00", "incomplete": "#6d6d6d"}

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 900px;
       color: #1f2328; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.status { display: inline-block; color: #fff; border-radius: 4px; padding: .1rem .5rem; font-weight: 600; }
.summary { font-size: 1.05rem; margin: 1rem 0; } .muted { color: #656d76; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { border-bottom: 1px solid #d0d7de; padding: .35rem .5rem; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: .85rem; word-break: break-all; }
"""


def render_html(report: RunReport) -> str:
    status_colour = STATUS_COLOURS.get(report.status, "#6d6d6d")
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>moviepipe batch {escape(report.batch_id)}</title>", f"<style>{CSS}</style></head><body>",
             f"<h1>moviepipe batch <code>{escape(report.batch_id)}</code></h1>",
             f'<p><span class="status" style="background:{status_colour}">{escape(report.status)}</span> '
             f"source <b>{escape(report.source or '–')}</b> · runtime <b>{escape(report.runtime)}</b>"
             + (f" · started {report.started_at:%Y-%m-%d %H:%M:%S} UTC" if report.started_at else "") + "</p>",
             f'<p class="summary">{escape(report.summary_line())}</p>',
             "<h2>Rows per stage</h2>",
             bar_chart([(row.stage, [row.rows_in, row.rows_out, row.rows_rejected]) for row in report.stages],
                       SERIES, "Rows in, out and rejected per stage"),
             _table(["stage", "state", "rows in", "rows out", "rejected", "seconds"],
                    [[row.stage, row.state, row.rows_in, row.rows_out, row.rows_rejected, row.seconds]
                     for row in report.stages])]
    parts.append("<h2>Rejects by rule</h2>")
    rejected = {rule: n for rule, n in report.rejects_by_rule.items() if n}
    if rejected:
        parts.append(bar_chart([(rule, [n]) for rule, n in sorted(rejected.items(), key=lambda kv: -kv[1])],
                               [("rows rejected", "#e45756")], "Rows rejected per rule"))
    if report.rejects_by_rule:
        by_count = sorted(report.rejects_by_rule.items(), key=lambda kv: (-kv[1], kv[0]))
        parts.append(_table(["rule", "rows rejected"], [[rule, n] for rule, n in by_count]))
    else:
        parts.append('<p class="muted">The transform did not report its rules (it did not finish).</p>')
    if report.rows_by_table:
        parts += ["<h2>Rows loaded per table</h2>",
                  _table(["table", "rows"], [[table, n] for table, n in sorted(report.rows_by_table.items())])]
    if report.outputs:
        parts += ["<h2>Outputs</h2>", "<table><tr><th>what</th><th>where</th></tr>"
                  + "".join(f"<tr><td>{escape(what)}</td><td><code>{escape(where)}</code></td></tr>"
                            for what, where in report.outputs) + "</table>"]
    parts.append(f'<p class="muted">Written by moviepipe at {report.created_at:%Y-%m-%d %H:%M:%S} from the batch '
                 "ledger (OPS.BATCH_LEDGER).</p></body></html>")
    return "\n".join(parts)


def _table(header: list[str], rows: list[list]) -> str:
    numeric = [i for i, _ in enumerate(header) if rows and all(isinstance(r[i], (int, float)) or r[i] is None
                                                                for r in rows)]
    head = "".join(f'<th{" class=n" if i in numeric else ""}>{escape(h)}</th>' for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f'<td{" class=n" if i in numeric else ""}>{_cell(v)}</td>'
                                    for i, v in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return escape(str(value))
