"""The sql/ tree: parses, renders, and applies cleanly on a fresh local warehouse."""

import pytest
import sqlglot

from moviepipe.warehouse import sqlfiles

VALUES = {"database": "MOVIEPIPE", "archive_url": "file:///tmp/archive/", "stage_options": "", "warehouse": "WH"}


@pytest.mark.parametrize("sql_file", sqlfiles.load_all(), ids=lambda f: f"{f.kind}/{f.name}")
def test_every_file_renders_and_parses(sql_file):
    statement = sql_file.render(**VALUES)
    assert statement.count(";") == 0, "one statement per file, no trailing semicolons"
    if sql_file.kind == "pipes":
        sqlglot.parse_one(sqlfiles.parse_pipe(statement).copy_statement, read="snowflake")
    elif sql_file.kind == "tasks":
        sqlglot.parse_one(sqlfiles.parse_task(statement).body, read="snowflake")
    elif sql_file.kind == "streams":
        sqlfiles.parse_stream(statement)
    else:
        parsed = sqlglot.parse_one(statement, read="snowflake")
        assert not isinstance(parsed, sqlglot.exp.Command), f"{sql_file.path.name} only parsed as an opaque command"


def test_missing_placeholder_value_fails_loudly():
    stage = sqlfiles.load("stages")[0]
    with pytest.raises(sqlfiles.SqlTemplateError, match="archive_url"):
        stage.render(database="X", stage_options="", warehouse="WH")


def test_task_parser_reads_graph_fields():
    task = sqlfiles.parse_task(
        "CREATE OR REPLACE TASK ANALYTICS.CHILD WAREHOUSE = WH AFTER ANALYTICS.ROOT, ANALYTICS.OTHER "
        "WHEN SYSTEM$STREAM_HAS_DATA('RAW.S') AS MERGE INTO T USING (SELECT 1 AS A) S ON T.A = S.A "
        "WHEN MATCHED THEN DELETE")
    assert task.name == "ANALYTICS.CHILD"
    assert task.after == ("ANALYTICS.ROOT", "ANALYTICS.OTHER")
    assert task.streams == ("RAW.S",)
    assert task.body.startswith("MERGE INTO T")


def test_pipe_parser_reads_copy_target_and_stage_path():
    pipe = sqlfiles.parse_pipe(sqlfiles.load("pipes")[0].render(**VALUES))
    assert pipe.auto_ingest and pipe.target_table == "RAW.MOVIES"
    assert pipe.stage == "RAW.ARCHIVE_STAGE" and pipe.stage_path == "/movies/"
