"""The run report as markdown, for the Prefect artifact: the same figures as the HTML file.

The Prefect UI renders markdown, not SVG, so the charts become bars of block characters.
"""

from __future__ import annotations

from moviepipe.report import RunReport

BAR_WIDTH = 20


def text_bar(value: int | None, largest: int) -> str:
    if not value or largest <= 0:
        return ""
    return "█" * max(1, round(BAR_WIDTH * value / largest))


def render_markdown(report: RunReport) -> str:
    lines = [f"# moviepipe batch `{report.batch_id}`", "",
             f"**{report.status}** · source **{report.source or '–'}** · runtime **{report.runtime}**", "",
             report.summary_line(), "", "## Rows per stage", "",
             "| stage | state | rows in | rows out | rejected | seconds | rows out, to scale |",
             "|---|---|--:|--:|--:|--:|---|"]
    largest = max([row.rows_out or 0 for row in report.stages] + [row.rows_in or 0 for row in report.stages] + [0])
    for row in report.stages:
        lines.append(f"| {row.stage} | {row.state} | {_n(row.rows_in)} | {_n(row.rows_out)} | {_n(row.rows_rejected)} "
                     f"| {'' if row.seconds is None else f'{row.seconds:.2f}'} | {text_bar(row.rows_out, largest)} |")
    lines += ["", "## Rejects by rule", ""]
    if report.rejects_by_rule:
        most = max(report.rejects_by_rule.values())
        lines += ["| rule | rows rejected | |", "|---|--:|---|"]
        lines += [f"| {rule} | {n:,} | {text_bar(n, most)} |"
                  for rule, n in sorted(report.rejects_by_rule.items(), key=lambda kv: (-kv[1], kv[0]))]
    else:
        lines.append("The transform did not report its rules (it did not finish).")
    if report.rows_by_table:
        lines += ["", "## Rows loaded per table", "", "| table | rows |", "|---|--:|"]
        lines += [f"| {table} | {n:,} |" for table, n in sorted(report.rows_by_table.items())]
    if report.outputs:
        lines += ["", "## Outputs", "", "| what | where |", "|---|---|"]
        lines += [f"| {what} | `{where}` |" for what, where in report.outputs]
    return "\n".join(lines)


def _n(value: int | None) -> str:
    return "" if value is None else f"{value:,}"
