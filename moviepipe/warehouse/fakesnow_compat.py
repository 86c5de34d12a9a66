"""Work-arounds for fakesnow 0.12.1 defects that our SQL runs into. Local runtime only.

COPY INTO with a column list reads the CSV without a header and selects
``column0, column1, ...``; DuckDB names the columns of a file with ten or more
fields ``column00, column01, ...``, so every real table fails to load
("Referenced column column0 not found"). We rename the selected columns to
DuckDB's zero-padded names. The patch applies to the pinned version only and
is a no-op elsewhere, so an upgrade that fixes the bug is not papered over.
"""

from __future__ import annotations

from importlib.metadata import version

PATCHED_VERSION = "0.12.1"
_applied = False


def apply() -> None:
    global _applied
    if _applied or version("fakesnow") != PATCHED_VERSION:
        return
    import sqlglot.expressions as exp
    from fakesnow import copy_into

    original = copy_into._inserts

    def padded_inserts(expr, params, urls, parquet_info=None):
        inserts = original(expr, params, urls, parquet_info)
        width = len(str(len(expr.this.expressions) - 1))
        if width < 2:
            return inserts

        def pad(node):
            if isinstance(node, exp.Column) and not node.table:
                name = node.name
                if name.startswith("column") and name[6:].isdigit():
                    return exp.Column(this=exp.Identifier(this=f"column{int(name[6:]):0{width}d}"))
            return node

        return [insert.transform(pad) for insert in inserts]

    copy_into._inserts = padded_inserts
    _applied = True
