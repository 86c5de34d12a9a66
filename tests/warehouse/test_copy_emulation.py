"""The pipes' COPY run locally as Snowflake runs it: PARSE_JSON, METADATA$ columns, ON_ERROR = SKIP_FILE,
the file format's escapes, and refusal of whatever the emulator does not implement."""

from __future__ import annotations

import json
import shutil

import pytest
from warehouse_testlib import movie, tree_with, write_batch

from moviepipe.contract import archive as contract
from moviepipe.errors import StageError
from moviepipe.warehouse import sqlfiles
from moviepipe.warehouse.copy_statement import (
    CopyEmulationError,
    parse_copy,
    parse_file_format,
)

MOVIES = "RAW.MOVIES_PIPE"
MOVIES_CSV = contract.archive_relpath("movies", "b1")
AT = "2026-01-01 00:00:00"
#: The issue's example: OMDb's Ratings array and a number, as the Glue job writes EXTRA (JSON text).
EXTRA = '{"Ratings":[{"Source":"Internet Movie Database","Value":"8.1/10"}],"totalSeasons":5}'


def test_extra_loads_as_variant_json_arrays_and_numbers_included(snow):
    write_batch(snow.archive_dir, "b1", [movie("tt1", AT, EXTRA=EXTRA)], only=("movies",))
    snow.load()
    row = snow.query("SELECT EXTRA:Ratings[0]:Value::VARCHAR AS RATING, EXTRA:Ratings[0]:Source::VARCHAR AS SOURCE, "
                     "EXTRA:totalSeasons::INT AS SEASONS FROM RAW.MOVIES")[0]
    assert row == {"RATING": "8.1/10", "SOURCE": "Internet Movie Database", "SEASONS": 5}


def test_a_csv_field_loaded_into_a_variant_without_parse_json_is_a_json_string(tmp_path):
    """What Snowflake does with a bare $n (and why the movies pipe parses EXTRA): the emulator must not
    be kinder than Snowflake, or a pipe without PARSE_JSON would pass here and fail there."""
    text = sqlfiles.load("pipes")[0].path.read_text()
    assert "PARSE_JSON($42)" in text
    warehouse, emulator = tree_with(tmp_path, "pipes", "010_raw_movies_pipe.sql",
                                    text.replace("PARSE_JSON($42)", "$42"))
    try:
        emulator.apply_sql_tree()
        write_batch(tmp_path / "a", "b1", [movie("tt1", AT, EXTRA=EXTRA)], only=("movies",))
        emulator.run_pipe(MOVIES, _store(tmp_path / "a"))
        row = warehouse.query("SELECT EXTRA:Ratings AS RATINGS, EXTRA::VARCHAR AS TEXT FROM RAW.MOVIES")[0]
        # the variant holds one string (fakesnow renders it as JSON text: a quoted string)
        assert row["RATINGS"] is None and json.loads(row["TEXT"]) == EXTRA
    finally:
        warehouse.close()


def test_each_row_records_its_file_and_row_number(snow):
    write_batch(snow.archive_dir, "b1", [movie(f"tt{n}", AT) for n in (3, 1, 2)], only=("movies",))
    snow.load()
    rows = snow.query("SELECT IMDB_ID, STAGED_FILE, STAGED_FILE_ROW_NUMBER FROM RAW.MOVIES ORDER BY 3")
    assert [(r["IMDB_ID"], r["STAGED_FILE"], r["STAGED_FILE_ROW_NUMBER"]) for r in rows] == [
        ("tt3", MOVIES_CSV, 1), ("tt1", MOVIES_CSV, 2), ("tt2", MOVIES_CSV, 3)]


@pytest.mark.parametrize("title", ["AC\\DC", "ends with a backslash\\", "C:\\New\\Films", "\\\\server\\share",
                                   'a "quoted", comma\\', "\\N is not NULL inside a title"])
def test_backslashes_and_quotes_in_a_title_round_trip(snow, title):
    write_batch(snow.archive_dir, "b1", [movie("tt1", AT, TITLE=title, PLOT=title)], only=("movies",))
    snow.load()
    assert snow.query("SELECT TITLE, PLOT FROM RAW.MOVIES") == [{"TITLE": title, "PLOT": title}]


@pytest.mark.integration
@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_titles_written_by_the_glue_writer_round_trip(snow, engine):
    """The archive CSV as the Glue job writes it (sqlframe or Spark, escape='"'), loaded by the pipe."""
    from moviepipe.runtime.local import load_glue_modules, transform_session

    if engine == "spark" and not shutil.which("java"):
        pytest.skip("the spark engine needs Java 17")
    load_glue_modules()
    import movies_engine
    import movies_io

    titles = ["AC\\DC", "ends with a backslash\\", 'Say "hi", \\ bye', "8½ \\N", "line\nbreak"]
    session = transform_session(engine)
    types = movies_engine.api_for(session).T
    columns = contract.column_names("movies")
    records = [movie(f"tt{n}", AT, TITLE=title, BATCH_ID="b1", SOURCE_FILE=MOVIES_CSV)
               for n, title in enumerate(titles)]
    rows = [tuple(None if r[c] is None else str(r[c]) for c in columns) for r in records]
    schema = types.StructType([types.StructField(c, types.StringType(), True) for c in columns])
    movies_io.write_csv(session.createDataFrame(rows, schema), str(snow.archive_dir), MOVIES_CSV, order_by=["IMDB_ID"])
    (run,) = [r for name, r in snow.load().items() if name == MOVIES]
    assert run.rows_loaded == len(titles), [f.describe() for f in run.files_failed]
    loaded = snow.query("SELECT IMDB_ID, TITLE FROM RAW.MOVIES ORDER BY IMDB_ID")
    assert [r["TITLE"] for r in loaded] == titles


@pytest.mark.parametrize(("change", "message", "line", "column"), [
    ({"YEAR": "19x4"}, "Numeric value '19x4' is not recognized", 3, '"MOVIES"["YEAR":5]'),
    ({"YEAR": "19940"}, "Numeric value '19940' is out of range", 3, '"MOVIES"["YEAR":5]'),
    ({"RELEASED": "1994-13-01"}, "Date '1994-13-01' is not recognized", 3, '"MOVIES"["RELEASED":8]'),
    ({"CHANGE_HASH": "f" * 65}, "User character length limit (64) exceeded by string", 3,
     '"MOVIES"["CHANGE_HASH":40]'),
    ({"EXTRA": "{not json"}, "Error parsing JSON: {not json", 3, '"MOVIES"["EXTRA":42]'),
    ({"IMDB_ID": None}, "NULL result in a non-nullable column", 3, '"MOVIES"["IMDB_ID":1]'),
])
def test_a_file_with_one_bad_record_loads_nothing_and_is_named(snow, change, message, line, column):
    good, bad = movie("tt1", AT), {**movie("tt2", AT), **change}
    write_batch(snow.archive_dir, "b1", [good, bad], only=("movies",))
    run = snow.emulator.run_pipe(MOVIES, snow.store)
    assert run.files_loaded == [] and snow.scalar("SELECT COUNT(*) FROM RAW.MOVIES") == 0
    (failure,) = run.files_failed
    assert failure.file_name == MOVIES_CSV and failure.status == "LOAD_FAILED"
    assert failure.first_error_message.startswith(message)
    assert (failure.first_error_line_number, failure.first_error_column_name, failure.error_count) == (line, column, 1)
    recorded = snow.query("SELECT FILE_NAME, BATCH_ID, ERROR_MESSAGE, ERROR_LINE FROM OPS.LOAD_FAILURES")
    assert recorded == [{"FILE_NAME": MOVIES_CSV, "BATCH_ID": "b1", "ERROR_MESSAGE": failure.first_error_message,
                         "ERROR_LINE": line}]


def test_a_refused_file_is_named_on_every_load_until_its_bytes_change(snow):
    write_batch(snow.archive_dir, "b1", [{**movie("tt1", AT), "YEAR": "19x4"}])
    with pytest.raises(StageError, match=r"load: 1 archive file\(s\) refused .*RAW\.MOVIES_PIPE: movies/batch_id=b1/"
                                         r"movies\.csv: Numeric value '19x4' is not recognized at line 2"):
        snow.emulator.run_pipes(snow.store)
    assert snow.scalar("SELECT COUNT(*) FROM RAW.MOVIE_RATINGS") > 0, "the batch's other files loaded"
    with pytest.raises(StageError, match=r"19x4"):  # same bytes: not tried again, still named
        snow.emulator.run_pipes(snow.store)
    assert snow.scalar("SELECT COUNT(*) FROM OPS.LOAD_FAILURES") == 1
    write_batch(snow.archive_dir, "b1", [movie("tt1", AT, YEAR=1994)], only=("movies",))  # fixed and re-staged
    runs = {run.pipe: run for run in snow.emulator.run_pipes(snow.store)}
    assert runs[MOVIES].files_loaded == [MOVIES_CSV] and snow.scalar("SELECT COUNT(*) FROM RAW.MOVIES") == 1


@pytest.mark.parametrize(("content", "message", "line"), [
    ("IMDB_ID\nonly,two\n", "Number of columns in file (2) does not match that of the corresponding table (44)", 2),
    ('IMDB_ID\n"unterminated,\n', "CSV parse error", 2),
])
def test_malformed_csv_is_refused_with_its_line(snow, content, line, message):
    snow.store.put_bytes(MOVIES_CSV, content.encode())
    (failure,) = snow.emulator.run_pipe(MOVIES, snow.store).files_failed
    assert failure.first_error_message.startswith(message) and failure.first_error_line_number == line


def test_a_blank_line_between_records_is_refused_as_a_record_with_no_fields(snow):
    """DuckDB's CSV reader passes over blank lines; Snowflake reads one as a record of no fields."""
    write_batch(snow.archive_dir, "b1", [movie("tt1", AT), movie("tt2", AT)], only=("movies",))
    header, first, second = snow.store.get_bytes(MOVIES_CSV).decode().splitlines(keepends=True)
    snow.store.put_bytes(MOVIES_CSV, (header + first + "\n" + second).encode())
    (failure,) = snow.emulator.run_pipe(MOVIES, snow.store).files_failed
    assert failure.first_error_message.startswith("Number of columns in file (0) does not match")
    assert failure.first_error_line_number == 3
    assert snow.scalar("SELECT COUNT(*) FROM RAW.MOVIES") == 0


def test_a_bad_value_after_a_multi_line_field_is_named_at_its_physical_line(snow):
    write_batch(snow.archive_dir, "b1", [movie("tt1", AT, PLOT="two\nlines"), {**movie("tt2", AT), "YEAR": "19x4"}],
                only=("movies",))
    (failure,) = snow.emulator.run_pipe(MOVIES, snow.store).files_failed
    assert failure.first_error_message == "Numeric value '19x4' is not recognized"
    assert failure.first_error_line_number == 4  # header, two lines of tt1, then tt2


def test_invalid_utf8_is_refused(snow):
    snow.store.put_bytes(MOVIES_CSV, b"IMDB_ID\n\xff\xfe\n")
    (failure,) = snow.emulator.run_pipe(MOVIES, snow.store).files_failed
    assert failure.first_error_message.startswith("Invalid UTF8 detected")


FORMAT = ("CREATE OR REPLACE FILE FORMAT RAW.F TYPE = CSV SKIP_HEADER = 1 FIELD_OPTIONALLY_ENCLOSED_BY = '\"' "
          "ESCAPE_UNENCLOSED_FIELD = NONE EMPTY_FIELD_AS_NULL = FALSE")


@pytest.mark.parametrize(("statement", "message"), [
    (FORMAT.replace(" ESCAPE_UNENCLOSED_FIELD = NONE", ""), "ESCAPE_UNENCLOSED_FIELD must be NONE"),
    (FORMAT + " ESCAPE = '\\\\'", "only ESCAPE = NONE"),
    (FORMAT.replace("EMPTY_FIELD_AS_NULL = FALSE", "EMPTY_FIELD_AS_NULL = TRUE"), "EMPTY_FIELD_AS_NULL must be FALSE"),
    (FORMAT + " TRIM_SPACE = TRUE", "option TRIM_SPACE is not implemented"),
    (FORMAT.replace("TYPE = CSV", "TYPE = JSON"), "only TYPE = CSV"),
])
def test_file_format_options_the_emulator_does_not_implement_are_refused(statement, message):
    with pytest.raises(CopyEmulationError, match=message):
        parse_file_format(statement)


COPY = "COPY INTO RAW.T (A, B) FROM (SELECT $1, {b} FROM @RAW.S/x/) FILE_FORMAT = (FORMAT_NAME = 'RAW.F'){options}"


@pytest.mark.parametrize(("b", "options", "message"), [
    ("UPPER($2)", "", r"UPPER\(\$2\) is not emulated"),
    ("METADATA$START_SCAN_TIME", "", "METADATA\\$START_SCAN_TIME is not emulated"),
    ("$2", " ON_ERROR = CONTINUE", "ON_ERROR = CONTINUE is not emulated"),
    ("$2", " PATTERN = '.*csv'", "copy option PATTERN is not emulated"),
    ("$2", " PURGE = TRUE", "copy option PURGE is not emulated"),
])
def test_copy_features_the_emulator_does_not_implement_are_refused(b, options, message):
    with pytest.raises(CopyEmulationError, match=message):
        parse_copy(COPY.format(b=b, options=options))


def test_plain_copy_without_a_transformation_is_refused():
    with pytest.raises(CopyEmulationError, match="COPY transformations only"):
        parse_copy("COPY INTO RAW.T (A) FROM @RAW.S/x/ FILE_FORMAT = (FORMAT_NAME = 'RAW.F')")


def test_a_pipe_the_emulator_cannot_run_fails_the_build_naming_its_file(tmp_path):
    text = sqlfiles.load("pipes")[0].path.read_text().replace("ON_ERROR = SKIP_FILE", "ON_ERROR = CONTINUE")
    warehouse, emulator = tree_with(tmp_path, "pipes", "010_raw_movies_pipe.sql", text)
    try:
        with pytest.raises(StageError, match=r"010_raw_movies_pipe\.sql: .*ON_ERROR = CONTINUE is not emulated"):
            emulator.apply_sql_tree()
    finally:
        warehouse.close()


def _store(path):
    from moviepipe.objectstore import LocalObjectStore

    return LocalObjectStore(path)
