"""The stack configuration: committed file documented and secret-free, secrets enforced."""

import json
import re

import pytest
import yaml
from infra_harness import REPO_ROOT, SECRET_KEYS, run_program

from infra import policies


def test_project_file_points_at_the_program():
    project = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "moviepipe"
    assert project["runtime"]["name"] == "python"
    assert (REPO_ROOT / project["main"] / "__main__.py").is_file()


def test_committed_stack_file_holds_no_plaintext_secret():
    assert policies.plaintext_secret_problems(yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())) == []


def test_every_key_the_program_reads_is_documented_in_the_stack_file():
    text = (REPO_ROOT / "infra" / "settings.py").read_text()
    read = set(re.findall(r'config\.(?:get\w*|require\w*)\("(\w+)"', text))
    read |= set(re.findall(r'_(?:secret|positive)\(config, "(\w+)"', text))
    text = (REPO_ROOT / "Pulumi.dev.yaml").read_text()
    assert read, "no config keys found: the scan is broken"
    undocumented = sorted(k for k in read if f"moviepipe:{k}" not in text)
    assert undocumented == []


def test_only_settings_reads_config():
    readers = [p.name for p in (REPO_ROOT / "infra").glob("*.py") if "pulumi.Config(" in p.read_text()]
    assert readers == ["settings.py"]


def test_committed_values_lines_have_a_comment_above():
    lines = (REPO_ROOT / "Pulumi.dev.yaml").read_text().splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^  [\w]+:\w+:", line):
            above = lines[index - 1].strip()
            assert above.startswith("#") or re.match(r"^\w+:\w+:", above.lstrip()), f"undocumented: {line.strip()}"


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_secret_stored_in_plaintext_is_refused(config, key):
    with pytest.raises(Exception, match="plaintext"):
        run_program(config, secret_keys=[k for k in SECRET_KEYS if k != key])


def test_exactly_one_snowflake_credential_is_required(config):
    with pytest.raises(Exception, match="exactly one"):
        run_program({**config, "moviepipe:snowflakePassword": "x"},
                    secret_keys=SECRET_KEYS + ["moviepipe:snowflakePassword"])


def test_unbuilt_lambda_layer_is_refused(config, tmp_path):
    with pytest.raises(Exception, match="Lambda layer not built"):
        run_program({**config, "moviepipe:lambdaLayerPath": str(tmp_path / "nowhere")})


def test_exports_name_everything_a_runtime_needs(stack):
    expected = {"landingBucket", "processedBucket", "archiveBucket", "artifactsBucket", "unzipLambdaName",
                "glueJobName", "alertTopicArn", "snowflakeStages", "snowflakePipes", "snowflakeDatabase",
                "snowflakeWarehouse", "snowflakeLoaderRole", "workerTaskRoleArn"}
    assert expected <= set(stack.exports)
    assert stack.exports["snowflakePipes"] == [
        "MOVIEPIPE.OPS.REJECTED_ROWS_PIPE", "MOVIEPIPE.RAW.MOVIES_PIPE", "MOVIEPIPE.RAW.MOVIE_DELETES_PIPE",
        "MOVIEPIPE.RAW.MOVIE_GENRES_PIPE", "MOVIEPIPE.RAW.MOVIE_PEOPLE_PIPE", "MOVIEPIPE.RAW.MOVIE_RATINGS_PIPE"]
    assert json.dumps(stack.exports)  # plain values a runtime can read from `pulumi stack output --json`
