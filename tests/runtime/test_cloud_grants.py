"""Snowflake grants enforced offline: every statement the cloud runtime issues is allowed to its role.

The cloud runtime connects as ``<PREFIX>_LOADER`` (infra/snowflake_roles.py). fakesnow has no
roles, so nothing here would notice a statement the loader may not run, and Snowflake would
answer the first real batch with "Insufficient privileges". This test records every statement
the runtime sends through its warehouse connection while it carries a real batch (land → unzip
→ transform → load → merge → reconcile, ledger included), derives the privilege each one needs
on each table or view (sqlglot, Snowflake dialect), and checks the grants the Pulumi program
renders for the loader role cover them, and that the role holds nothing on a table beyond what
some recorded statement or a documented operator need uses.

Unproven here (docs/deploy.md): statements the harness answers itself instead of Snowflake
(COPY_HISTORY, ALTER PIPE REFRESH, SHOW STREAMS, EXECUTE TASK) are checked against the pipe and
task grants by name only, and ownership of the task bodies (they run as the owner role) is not
modelled.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from cloud_harness import SharedWarehouse
from test_cloud_runtime import carry

from moviepipe import pipeline
from moviepipe.sources.sql import SqlSource

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "infra"))
from infra_harness import base_config, run_program  # noqa: E402

pytestmark = pytest.mark.integration

GRANT_TYPE = "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole"
CONTROL_STATEMENTS = {"BEGIN", "COMMIT", "ROLLBACK"}


class RecordingWarehouse(SharedWarehouse):
    """The runtime's own connection, keeping the text of each statement it sends."""

    def __init__(self, connection, statements: list[str]):
        super().__init__(connection)
        self.statements = statements

    def execute(self, sql, params=None):
        self.statements.append(sql)
        return super().execute(sql, params)

    def query(self, sql, params=None):
        self.statements.append(sql)
        return super().query(sql, params)


def object_name(table: exp.Table) -> str:
    """SCHEMA.NAME, upper case, without the database (grants and statements spell it differently)."""
    return f"{table.db}.{table.name}".upper()


def required_privileges(sql: str) -> set[tuple[str, str]]:
    """(privilege, SCHEMA.NAME) pairs one statement needs; parameters become literals first."""
    text = re.sub(r"%s|\?", "NULL", sql).strip().rstrip(";")
    if text.upper() in CONTROL_STATEMENTS:
        return set()
    statement = sqlglot.parse_one(text, read="snowflake")
    ctes = {cte.alias_or_name.upper() for cte in statement.find_all(exp.CTE)}
    tables = [t for t in statement.find_all(exp.Table) if t.name and t.name.upper() not in ctes and t.db]
    needed = {("SELECT", object_name(t)) for t in tables}
    target = statement.this if isinstance(statement, (exp.Insert, exp.Delete, exp.Update, exp.Merge)) else None
    if isinstance(target, exp.Schema):  # INSERT INTO T (cols ...)
        target = target.this
    if isinstance(target, exp.Table):
        name = object_name(target)
        needed.discard(("SELECT", name))
        kind = {exp.Insert: "INSERT", exp.Delete: "DELETE", exp.Update: "UPDATE"}.get(type(statement))
        if kind:
            needed.add((kind, name))
        else:  # MERGE: what its WHEN clauses do
            clauses = statement.sql(dialect="snowflake").upper()
            needed |= {(verb, name) for verb in ("INSERT", "UPDATE", "DELETE") if f"THEN {verb}" in clauses}
        if statement.args.get("where") and isinstance(statement, (exp.Delete, exp.Update)):
            needed.add(("SELECT", name))
    return needed


def granted(stack, role_export: str) -> dict[str, set[str]]:
    """SCHEMA.NAME → privileges the rendered stack grants the role on that table or view."""
    role = stack.exports[role_export]
    out: dict[str, set[str]] = {}
    for grant in stack.of(GRANT_TYPE):
        inputs = grant.inputs
        target = inputs.get("onSchemaObject") or {}
        if inputs["accountRoleName"] != role or target.get("objectType") not in ("TABLE", "VIEW"):
            continue
        parts = [p.strip('"') for p in target["objectName"].split(".")]
        out.setdefault(".".join(parts[-2:]).upper(), set()).update(inputs["privileges"])
    return out


@pytest.fixture(scope="module")
def loader_grants(tmp_path_factory) -> dict[str, set[str]]:
    layer = tmp_path_factory.mktemp("layer")
    (layer / "python").mkdir()
    return granted(run_program(base_config(layer)), "snowflakeLoaderRole")


def test_privileges_are_read_from_each_statement_kind():
    assert required_privileges("DELETE FROM OPS.BATCH_LEDGER WHERE BATCH_ID = %s") == {
        ("DELETE", "OPS.BATCH_LEDGER"), ("SELECT", "OPS.BATCH_LEDGER")}
    assert required_privileges("INSERT INTO OPS.LOADED_FILES (A, B) SELECT A, B FROM RAW.MOVIES") == {
        ("INSERT", "OPS.LOADED_FILES"), ("SELECT", "RAW.MOVIES")}
    assert required_privileges("WITH source AS (SELECT * FROM ANALYTICS.DIM_MOVIE) SELECT * FROM source") == {
        ("SELECT", "ANALYTICS.DIM_MOVIE")}
    assert required_privileges("MERGE INTO A.T USING A.S ON T.K = S.K WHEN MATCHED THEN UPDATE SET V = S.V") == {
        ("UPDATE", "A.T"), ("SELECT", "A.S")}
    assert required_privileges("COMMIT") == set()


def test_every_statement_of_a_cloud_batch_is_granted_to_the_loader_role(harness, subset_db, loader_grants):
    """Plan to reconcile, as a deployment runs it, on a connection that records each statement."""
    statements: list[str] = []

    class Recording(RecordingWarehouse):
        def __init__(self, connection):
            super().__init__(connection, statements)

    rt = harness.runtime(warehouse=Recording)
    source = SqlSource(f"sqlite:///{subset_db}")
    try:
        plan = pipeline.plan(rt, source)
        raw = pipeline.extract(rt, source, plan)
        batch = {"batch_id": plan.batch_id, "zip": pipeline.package(rt, plan, raw), "rows": raw.rows,
                 "key": pipeline.landing_key("subset", plan.batch_id)}
        *_, reconciled = carry(rt, batch)
        pipeline.commit(rt, source, plan)
    finally:
        source.close()
    assert reconciled["balanced"]
    assert statements, "the runtime sent no statement through its warehouse connection"

    needed: set[tuple[str, str]] = set().union(*(required_privileges(s) for s in statements))
    missing = sorted((privilege, name) for privilege, name in needed
                     if privilege not in loader_grants.get(name, set()))
    assert not missing, f"the loader role lacks: {missing}"
    assert ("DELETE", "OPS.BATCH_LEDGER") in needed  # the ledger replaces a stage's row on retry
    # Nothing broader: every DELETE/UPDATE the role holds is one a statement of the batch uses.
    destructive = {(p, name) for name, privileges in loader_grants.items() for p in privileges
                   if p in ("DELETE", "UPDATE", "TRUNCATE")}
    assert destructive == {(p, name) for p, name in needed if p in ("DELETE", "UPDATE", "TRUNCATE")}
