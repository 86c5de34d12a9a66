"""The Glue job: version, workers, script location, arguments, logs, catalog."""

from infra_harness import REPO_ROOT, run_program

from infra import glue_job


def job(stack):
    return stack.one("aws:glue/job:Job")


def artifacts_uri(stack, key):
    return f"s3://{stack.exports['artifactsBucket']}/{key}"


def test_glue_5_on_g1x_workers(stack):
    inputs = job(stack).inputs
    assert inputs["glueVersion"] == "5.0"
    assert inputs["workerType"] == "G.1X"
    assert inputs["numberOfWorkers"] == 2
    assert inputs["executionClass"] == "STANDARD"
    assert inputs["timeout"] == 60
    assert inputs["command"]["name"] == "glueetl"


def test_script_location_is_the_uploaded_entry_script(stack):
    location = job(stack).inputs["command"]["scriptLocation"]
    assert location == artifacts_uri(stack, "glue-scripts/movies_job.py")
    uploads = {o.inputs["key"]: o for o in stack.of("aws:s3/bucketObjectv2:BucketObjectv2")}
    script = uploads["glue-scripts/movies_job.py"]
    assert script.inputs["bucket"] == stack.exports["artifactsBucket"]
    assert script.inputs["source"].path == str(REPO_ROOT / "glue" / "movies_job.py")


def test_entry_script_exists_in_the_repo():
    assert (REPO_ROOT / "glue" / glue_job.ENTRY_SCRIPT).is_file(), "glue/movies_job.py is missing"


def test_every_other_glue_module_and_the_contract_are_extra_python_files(stack):
    _, extras = glue_job.script_files()
    expected = [artifacts_uri(stack, f"glue-scripts/lib/{p.name}") for p in extras]
    expected.append(artifacts_uri(stack, f"glue-scripts/lib/{glue_job.CONTRACT_ZIP}"))
    args = job(stack).inputs["defaultArguments"]
    assert args["--extra-py-files"].split(",") == expected
    uploaded = {o.inputs["key"]: o for o in stack.of("aws:s3/bucketObjectv2:BucketObjectv2")}
    assert {f"glue-scripts/lib/{p.name}" for p in extras} <= set(uploaded)
    contract_zip = uploaded[f"glue-scripts/lib/{glue_job.CONTRACT_ZIP}"]
    members = set(contract_zip.inputs["source"].assets)
    assert {"moviepipe/__init__.py", "moviepipe/contract/__init__.py", "moviepipe/contract/archive.py",
            "moviepipe/contract/manifest.schema.json"} <= members
    assert args["--additional-python-modules"].startswith("jsonschema")




def test_default_arguments_point_at_the_buckets_and_log_group(stack):
    args = job(stack).inputs["defaultArguments"]
    assert args["--processed_uri"] == f"s3://{stack.exports['processedBucket']}/"
    assert args["--archive_uri"] == f"s3://{stack.exports['archiveBucket']}/"
    assert "--TempDir" not in args, "the job writes no temporary files; its role has no TempDir grant"
    log_group = stack.one("aws:cloudwatch/logGroup:LogGroup", "glue")
    assert args["--continuous-log-logGroup"] == log_group.inputs["name"]
    assert log_group.inputs["retentionInDays"] == 30
    assert "--batch_id" not in args  # supplied per run by the runtime


def test_workers_flex_and_timeout_follow_config(config):
    changed = run_program({**config, "moviepipe:glueWorkers": "5", "moviepipe:glueFlex": "true",
                           "moviepipe:glueTimeoutMinutes": "15", "moviepipe:glueWorkerType": "G.2X"})
    inputs = job(changed).inputs
    assert (inputs["numberOfWorkers"], inputs["executionClass"], inputs["timeout"]) == (5, "FLEX", 15)
    assert inputs["workerType"] == "G.2X"
    assert inputs["defaultArguments"]["--shuffle_partitions"] == "32", "4 executors x 8 vCPUs"


def test_unknown_worker_type_is_a_config_error(config):
    import pytest

    from infra.settings import ConfigError

    with pytest.raises(ConfigError, match="glueWorkerType must be one of G.025X, G.1X"):
        run_program({**config, "moviepipe:glueWorkerType": "G.3X"})


def test_entry_script_resolves_shuffle_partitions_from_the_rendered_default_arguments(stack):
    """What Glue hands the script: the job's default arguments, then the runtime's per-run ones."""
    import sys

    from moviepipe.runtime.cloud.aws import glue_arguments

    sys.path.insert(0, str(REPO_ROOT / "glue"))
    import movies_job

    defaults = job(stack).inputs["defaultArguments"]
    run = glue_arguments("b1", "s3://p/movies/batch_id=b1/movies.csv", "s3://a")
    argv = ["movies_job.py", "--JOB_NAME", "moviepipe-test-movies"]
    for name, value in {**defaults, **run}.items():
        argv += [name, value]
    args = movies_job.resolve_arguments(argv)
    assert defaults["--shuffle_partitions"] == "4", "2 x G.1X: one driver, one 4-vCPU executor"
    assert movies_job.shuffle_partitions(args) == 4
    assert (args["batch_id"], args["JOB_NAME"]) == ("b1", "moviepipe-test-movies")


def test_catalog_tables_cover_processed_and_archive(stack):
    database = stack.one("aws:glue/catalogDatabase:CatalogDatabase")
    tables = {t.inputs["name"]: t for t in stack.of("aws:glue/catalogTable:CatalogTable")}
    from moviepipe.contract import archive as contract

    assert set(tables) == {"processed_movies", *(f"archive_{entity}" for entity in contract.ENTITIES)}
    assert all(t.inputs["databaseName"] == database.outputs["name"] for t in tables.values())
    locations = {name: t.inputs["storageDescriptor"]["location"] for name, t in tables.items()}
    assert locations == {
        "processed_movies": f"s3://{stack.exports['processedBucket']}/movies/",
        **{f"archive_{entity}": f"s3://{stack.exports['archiveBucket']}/{entity}/" for entity in contract.ENTITIES},
    }


def test_archive_table_columns_are_the_pipe_copy_columns(stack):
    from moviepipe.warehouse import sqlfiles

    table = next(t for t in stack.of("aws:glue/catalogTable:CatalogTable") if t.inputs["name"] == "archive_movies")
    columns = [c["name"] for c in table.inputs["storageDescriptor"]["columns"]]
    (pipe_file,) = [f for f in sqlfiles.load("pipes") if "MOVIES_PIPE" in f.text and "RAW." in f.text]
    pipe = sqlfiles.parse_pipe(pipe_file.render())
    assert columns == glue_job.copy_columns(pipe.copy_statement)
    assert columns[0] == "imdb_id" and "batch_id" in columns
