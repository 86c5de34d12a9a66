"""The sql/ tree: parses, renders, agrees with the archive contract, and forms a sound task graph."""

import pytest
import sqlglot
from sqlglot import exp

from moviepipe.contract import archive as contract
from moviepipe.warehouse import LOAD_METADATA_COLUMNS, sqlfiles

VALUES = {"database": "MOVIEPIPE", "archive_url": "file:///tmp/archive/", "stage_options": "", "warehouse": "WH"}
#: Columns every raw table adds to its entity's contract columns.
RAW_EXTRAS = {"ROW_ID", "LOADED_AT", *LOAD_METADATA_COLUMNS}
TYPE1_BOOKKEEPING = {"TYPE1_HASH", "TYPE1_UPDATED_AT", "UPDATED_AT"}


def rendered(kind):
    return [f.render(**VALUES) for f in sqlfiles.load(kind)]


def parsed(kind):
    return [sqlglot.parse_one(text, read="snowflake") for text in rendered(kind)]


def table_columns(create: exp.Create) -> dict[str, str]:
    return {c.name.upper(): c.args["kind"].sql("snowflake") for c in create.this.expressions
            if isinstance(c, exp.ColumnDef)}


def normalised(snowflake_type: str) -> str:
    return exp.DataType.build(snowflake_type, dialect="snowflake").sql("snowflake")


def created_name(create: exp.Create) -> str:
    target = create.this.this if isinstance(create.this, exp.Schema) else create.this  # CTAS has no Schema
    return target.sql("snowflake").upper()


def tables_by_name() -> dict[str, exp.Create]:
    return {created_name(create): create for create in parsed("tables")}


def pipes_by_target() -> dict[str, sqlfiles.PipeDef]:
    pipes = [sqlfiles.parse_pipe(text) for text in rendered("pipes")]
    by_target = {pipe.target_table: pipe for pipe in pipes}
    assert len(by_target) == len(pipes), "one pipe per raw table"
    return by_target


def tasks() -> dict[str, sqlfiles.TaskDef]:
    return {task.name: task for task in (sqlfiles.parse_task(text) for text in rendered("tasks"))}


@pytest.mark.parametrize("sql_file", sqlfiles.load_all(), ids=lambda f: f"{f.kind}/{f.name}")
def test_every_file_renders_and_parses(sql_file):
    statement = sql_file.render(**VALUES)
    assert statement.count(";") == 0, "one statement per file, no trailing semicolons"
    if sql_file.kind == "pipes":
        copy = sqlglot.parse_one(sqlfiles.parse_pipe(statement).copy_statement, read="snowflake")
        assert isinstance(copy, exp.Copy)
    elif sql_file.kind == "tasks":
        body = sqlglot.parse_one(sqlfiles.parse_task(statement).body, read="snowflake")
        assert isinstance(body, (exp.Merge, exp.Insert, exp.Update, exp.Delete))
    elif sql_file.kind == "streams":
        assert sqlfiles.parse_stream(statement).append_only, "raw streams are append-only"
    else:
        parsed_file = sqlglot.parse_one(statement, read="snowflake")
        assert not isinstance(parsed_file, exp.Command), f"{sql_file.path.name} only parsed as an opaque command"


@pytest.mark.parametrize("entity", sorted(contract.ENTITIES))
def test_raw_table_columns_are_the_contract_columns(entity):
    table = tables_by_name()[contract.RAW_TABLES[entity]]
    columns = table_columns(table)
    assert RAW_EXTRAS <= set(columns), f"{contract.RAW_TABLES[entity]} needs {sorted(RAW_EXTRAS)}"
    expected = {name: normalised(kind) for name, kind in contract.ENTITIES[entity]}
    assert {n: t for n, t in columns.items() if n not in RAW_EXTRAS} == expected


@pytest.mark.parametrize("entity", sorted(contract.ENTITIES))
def test_pipe_copies_the_contract_columns_in_file_order(entity):
    pipe = pipes_by_target()[contract.RAW_TABLES[entity]]
    copy = sqlglot.parse_one(pipe.copy_statement, read="snowflake")
    assert [c.name.upper() for c in copy.this.expressions] == [*contract.column_names(entity), *LOAD_METADATA_COLUMNS]
    assert pipe.file_columns == contract.column_names(entity)
    assert pipe.stage_path == f"/{entity}/" and pipe.auto_ingest
    assert contract.archive_relpath(entity, "b1").startswith(pipe.stage_path.strip("/") + "/")


@pytest.mark.parametrize("entity", sorted(contract.ENTITIES))
def test_pipe_loads_field_n_into_column_n_parses_json_and_records_where_each_row_came_from(entity):
    """A COPY transformation: $n by position, PARSE_JSON for VARIANT columns (a CSV field would load as a
    JSON string), METADATA$FILENAME / FILE_ROW_NUMBER for the arrival order, ON_ERROR stated."""
    copy = sqlglot.parse_one(pipes_by_target()[contract.RAW_TABLES[entity]].copy_statement, read="snowflake")
    (source,) = copy.args["files"]
    selected = [e.sql("snowflake") for e in source.this.expressions]
    expected = [f"PARSE_JSON(${n})" if kind == "VARIANT" else f"${n}"
                for n, (_, kind) in enumerate(contract.ENTITIES[entity], 1)]
    assert selected == [*expected, *LOAD_METADATA_COLUMNS.values()]
    options = {p.this.name.upper(): p for p in copy.args["params"]}
    assert options["ON_ERROR"].args["expression"].name.upper() == "SKIP_FILE"


def test_the_archive_file_format_states_every_option_the_load_depends_on():
    (statement,) = rendered("file_formats")
    options = {p.this.name.upper(): p.args["value"].sql("snowflake").upper()
               for p in sqlglot.parse_one(statement, read="snowflake").args["properties"].expressions}
    # a backslash in an unquoted field is a character, not an escape (the writer escapes quotes by doubling)
    assert options["ESCAPE_UNENCLOSED_FIELD"] == "NONE" and options["ESCAPE"] == "NONE"
    assert options["FIELD_OPTIONALLY_ENCLOSED_BY"] == "'\"'" and options["ERROR_ON_COLUMN_COUNT_MISMATCH"] == "TRUE"


def test_every_pipe_loads_a_contract_entity():
    assert set(pipes_by_target()) == set(contract.RAW_TABLES.values())
    names = {sqlfiles.parse_pipe(text).name for text in rendered("pipes")}
    assert {"RAW.MOVIES_PIPE", "OPS.REJECTED_ROWS_PIPE"} <= names


def test_dim_movie_holds_every_dimension_attribute_and_no_measure():
    columns = set(table_columns(tables_by_name()["ANALYTICS.DIM_MOVIE"]))
    attributes = {*contract.TYPE2_ATTRIBUTES, *contract.TYPE1_ATTRIBUTES, *contract.DERIVED_ATTRIBUTES}
    assert attributes | {"CHANGE_HASH", "TYPE1_HASH", "VALID_FROM", "VALID_TO", "IS_CURRENT", "IS_DELETED",
                         "BATCH_ID", "MOVIE_KEY"} <= columns
    assert not columns & set(contract.MEASURES), "measures live in the fact tables"


def _dim_movie_merge() -> exp.Merge:
    return sqlglot.parse_one(tasks()["ANALYTICS.MERGE_DIM_MOVIE"].body, read="snowflake")


def _updates(merge: exp.Merge) -> list[tuple[str, set[str]]]:
    result = []
    for when in merge.args["whens"].expressions:
        then = when.args.get("then")
        if isinstance(then, exp.Update):
            condition = when.args.get("condition")
            result.append((condition.sql("snowflake") if condition else "",
                           {e.this.name.upper() for e in then.expressions}))
    return result


def test_dim_movie_type1_update_sets_exactly_the_type1_attributes():
    (type1,) = [sets for condition, sets in _updates(_dim_movie_merge()) if "'TYPE1'" in condition]
    assert type1 - TYPE1_BOOKKEEPING == set(contract.TYPE1_ATTRIBUTES)
    assert TYPE1_BOOKKEEPING <= type1


def test_dim_movie_version_update_rewrites_every_attribute():
    (version,) = [sets for condition, sets in _updates(_dim_movie_merge()) if not condition]
    assert {*contract.TYPE2_ATTRIBUTES, *contract.DERIVED_ATTRIBUTES, *contract.TYPE1_ATTRIBUTES} <= version
    assert {"VALID_TO", "IS_CURRENT", "IS_DELETED", "CHANGE_HASH", "BATCH_ID"} <= version


def test_rating_source_seed_is_the_contract_list():
    values = tables_by_name()["ANALYTICS.DIM_RATING_SOURCE"].find(exp.Values)
    assert sorted(row.expressions[0].name for row in values.expressions) == sorted(contract.RATING_SOURCES)


def test_each_stream_has_exactly_one_consuming_task():
    # A stream's offset advances when any DML reads it: two readers would each see half.
    for stream in (sqlfiles.parse_stream(text).name for text in rendered("streams")):
        consumers = [t.name for t in tasks().values() if sqlfiles.streams_read_by(t.body, [stream])]
        assert len(consumers) == 1, f"{stream} is read by {consumers}: a stream needs one consumer"


def test_task_graph_has_one_root_known_parents_and_a_finalizer():
    graph = tasks()
    roots = [t for t in graph.values() if t.is_root]
    assert [r.name for r in roots] == ["ANALYTICS.MERGE_DIM_MOVIE"]
    (root,) = roots
    assert root.schedule and set(root.streams) == {sqlfiles.parse_stream(t).name for t in rendered("streams")}
    assert root.retry_attempts > 0 and root.suspend_after_failures, "the root states its retries and suspension"
    assert [t.name for t in graph.values() if t.finalize] == ["ANALYTICS.RECORD_MERGE_OUTCOME"]
    for task in graph.values():
        assert set(task.after) <= set(graph), f"{task.name}: unknown parent"
        assert task.finalize in (None, root.name), f"{task.name}: finalizes an unknown root"
        if not task.is_root:
            assert not task.schedule and not task.when, f"{task.name}: children run on their parents' schedule"


def test_missing_placeholder_value_fails_loudly():
    stage = sqlfiles.load("stages")[0]
    with pytest.raises(sqlfiles.SqlTemplateError, match="archive_url"):
        stage.render(database="X", stage_options="", warehouse="WH")


def test_task_parser_reads_graph_fields():
    task = sqlfiles.parse_task(
        "CREATE OR REPLACE TASK ANALYTICS.CHILD WAREHOUSE = WH AFTER ANALYTICS.ROOT, ANALYTICS.OTHER "
        "WHEN SYSTEM$STREAM_HAS_DATA('RAW.S') OR SYSTEM$STREAM_HAS_DATA('RAW.T') AS MERGE INTO T "
        "USING (SELECT 1 AS A) S ON T.A = S.A WHEN MATCHED THEN DELETE")
    assert task.name == "ANALYTICS.CHILD"
    assert task.after == ("ANALYTICS.ROOT", "ANALYTICS.OTHER")
    assert task.streams == ("RAW.S", "RAW.T")
    assert task.body.startswith("MERGE INTO T")


def test_task_condition_the_emulator_cannot_evaluate_is_refused():
    with pytest.raises(sqlfiles.SqlParseError, match="WHEN must be"):
        sqlfiles.parse_task("CREATE TASK A.T WAREHOUSE = WH WHEN SYSTEM$STREAM_HAS_DATA('RAW.S') AND 1 = 1 "
                            "AS DELETE FROM X")


def test_pipe_parser_reads_copy_target_and_stage_path():
    pipe = sqlfiles.parse_pipe(sqlfiles.load("pipes")[0].render(**VALUES))
    assert pipe.auto_ingest and pipe.target_table == "RAW.MOVIES"
    assert pipe.stage == "RAW.ARCHIVE_STAGE" and pipe.stage_path == "/movies/"


def test_the_pipes_and_streams_the_pipeline_names_exist():
    from moviepipe import warehouse

    pipes = {sqlfiles.parse_pipe(text).name for text in rendered("pipes")}
    streams = {sqlfiles.parse_stream(text).name for text in rendered("streams")}
    assert {warehouse.MOVIES_PIPE, warehouse.REJECTED_PIPE} <= pipes
    assert set(warehouse.DIM_MOVIE_STREAMS) <= streams
    body = tasks()["ANALYTICS.MERGE_DIM_MOVIE"].body
    assert sqlfiles.streams_read_by(body, warehouse.DIM_MOVIE_STREAMS) == list(warehouse.DIM_MOVIE_STREAMS)


@pytest.mark.parametrize("task", sorted(tasks()), ids=str)
def test_no_task_takes_row_id_for_an_order(task):
    """ROW_ID is AUTOINCREMENT NOORDER on Snowflake: unique, but no arrival order. It may identify a raw
    row; it must never decide which row wins (ORDER BY, MIN/MAX)."""
    body = sqlglot.parse_one(tasks()[task].body, read="snowflake")
    for node in body.find_all(exp.Ordered, exp.Max, exp.Min, exp.ArgMax, exp.ArgMin):
        assert "ROW_ID" not in {c.name.upper() for c in node.find_all(exp.Column)}, f"{task}: {node.sql('snowflake')}"
