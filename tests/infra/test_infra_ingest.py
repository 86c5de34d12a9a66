"""The unzip Lambda: package, trigger, DLQ, concurrency, logs, permissions."""

import json

from infra_harness import REPO_ROOT

from infra import ingest, policies


def function(stack):
    return stack.one("aws:lambda/function:Function")


def test_handler_module_exists_in_the_package_and_on_disk():
    files = ingest.package_files()
    module, func = ingest.HANDLER.rsplit(".", 1)
    assert f"{module}.py" in files, "lambda/unzip_handler.py is missing"
    source = (REPO_ROOT / "lambda" / f"{module}.py").read_text()
    assert f"def {func}(event" in source


def test_package_holds_only_the_handler_and_the_contract():
    files = ingest.package_files()
    assert policies.lambda_package_problems(files, ingest.HANDLER) == []
    for needed in ("moviepipe/__init__.py", "moviepipe/objectstore.py", "moviepipe/contract/__init__.py",
                   "moviepipe/contract/manifest.schema.json"):
        assert needed in files, needed


def test_function_is_declared_with_the_packaged_handler(stack):
    fn = function(stack)
    assert fn.inputs["handler"] == ingest.HANDLER
    assert fn.inputs["runtime"] == "python3.11"
    assert fn.inputs["sourceCodeHash"] == ingest.package_hash(ingest.package_files())


def test_jsonschema_layer_is_attached(stack):
    layer = stack.one("aws:lambda/layerVersion:LayerVersion")
    assert function(stack).inputs["layers"] == [layer.outputs["arn"]]
    assert (REPO_ROOT / "lambda" / "requirements.txt").read_text().count("jsonschema") == 1


def test_landing_notification_filters_incoming_zip_files(stack):
    landing = stack.exports["landingBucket"]
    assert policies.lambda_trigger_problems(stack.resources, landing, "incoming/", ".zip") == []
    (note,) = [n for n in stack.of(policies.NOTIFICATION) if n.inputs["bucket"] == landing]
    (target,) = note.inputs["lambdaFunctions"]
    assert target["lambdaFunctionArn"] == function(stack).outputs["arn"]
    assert target["events"] == ["s3:ObjectCreated:*"]


def test_s3_may_invoke_only_from_the_landing_bucket(stack):
    permission = stack.one("aws:lambda/permission:Permission")
    assert permission.inputs["principal"] == "s3.amazonaws.com"
    assert permission.inputs["sourceArn"] == stack.by_id(stack.exports["landingBucket"]).outputs["arn"]


def test_failed_events_go_to_the_dead_letter_queue(stack):
    dlq = stack.one("aws:sqs/queue:Queue", "dlq")
    assert function(stack).inputs["deadLetterConfig"]["targetArn"] == dlq.outputs["arn"]
    assert dlq.inputs["sqsManagedSseEnabled"] is True


def test_reserved_concurrency_and_log_retention(stack):
    fn = function(stack)
    assert fn.inputs["reservedConcurrentExecutions"] == 5
    log_group = stack.one("aws:cloudwatch/logGroup:LogGroup", "unzip")
    assert log_group.inputs["retentionInDays"] == 30
    assert fn.inputs["loggingConfig"]["logGroup"] == log_group.inputs["name"]


def test_environment_names_the_processed_bucket_and_topic(stack):
    env = function(stack).inputs["environment"]["variables"]
    assert env["PROCESSED_BUCKET"] == stack.exports["processedBucket"]
    assert env["ALERT_TOPIC_ARN"] == stack.exports["alertTopicArn"]


def test_role_touches_only_its_prefixes(stack):
    role = stack.one("aws:iam/role:Role", "unzip")
    (policy,) = [p for p in stack.of(policies.ROLE_POLICY) if p.inputs["role"] == role.id]
    landing = stack.by_id(stack.exports["landingBucket"]).outputs["arn"]
    processed = stack.by_id(stack.exports["processedBucket"]).outputs["arn"]
    object_resources = {r for s in json.loads(policy.inputs["policy"])["Statement"]
                        for r in s["Resource"] if r.startswith("arn:aws:s3:::") and "/" in r}
    assert object_resources == {f"{landing}/incoming/*", f"{landing}/quarantine/*", f"{processed}/*/batch_id=*"}


def test_reserved_concurrency_follows_config(config):
    from infra_harness import run_program

    changed = run_program({**config, "moviepipe:lambdaReservedConcurrency": "2"})
    assert function(changed).inputs["reservedConcurrentExecutions"] == 2
