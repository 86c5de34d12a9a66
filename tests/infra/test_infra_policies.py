"""Each security rule FAILS when its setting is broken.

Every case starts from what the program really declares (where the rule passes,
see the other test files), breaks exactly one thing, and expects a problem.
"""

import copy
import json
from dataclasses import replace

import pytest

from infra import ingest, policies


def mutate(resources, type_, name_part, change):
    """A copy of ``resources`` where ``change(inputs)`` edited one resource's inputs."""
    out, hits = [], 0
    for r in resources:
        if r.type == type_ and name_part in r.name and hits == 0:
            inputs = copy.deepcopy(r.inputs)
            change(inputs)
            r, hits = replace(r, inputs=inputs), 1
        out.append(r)
    assert hits, f"no {type_} named *{name_part}*"
    return out


def without(resources, type_, name_part):
    return [r for r in resources if not (r.type == type_ and name_part in r.name)]


def arns(stack):
    return [stack.by_id(stack.exports[f"{r}Bucket"]).outputs["arn"] for r in ("landing", "processed", "archive")]


# --------------------------------------------------------------------------- buckets
@pytest.mark.parametrize("switch", policies.PUBLIC_ACCESS_SWITCHES)
def test_public_access_unblocked_fails(stack, switch):
    broken = mutate(stack.resources, policies.PUBLIC_ACCESS_BLOCK, "landing", lambda i: i.update({switch: False}))
    assert any(switch in p for p in policies.bucket_problems(broken))


def test_missing_public_access_block_fails(stack):
    assert any("no public access block" in p
               for p in policies.bucket_problems(without(stack.resources, policies.PUBLIC_ACCESS_BLOCK, "archive")))


def test_versioning_suspended_fails(stack):
    broken = mutate(stack.resources, policies.VERSIONING, "processed",
                    lambda i: i["versioningConfiguration"].update({"status": "Suspended"}))
    assert any("versioning" in p for p in policies.bucket_problems(broken))


def test_sse_s3_instead_of_kms_fails(stack):
    broken = mutate(stack.resources, policies.ENCRYPTION, "archive",
                    lambda i: i["rules"][0]["applyServerSideEncryptionByDefault"].update({"sseAlgorithm": "AES256"}))
    assert any("SSE-KMS" in p for p in policies.bucket_problems(broken))


def test_tls_policy_that_allows_http_fails(stack):
    def allow_http(inputs):
        doc = json.loads(inputs["policy"])
        doc["Statement"][0]["Condition"]["Bool"]["aws:SecureTransport"] = "true"
        inputs["policy"] = json.dumps(doc)

    broken = mutate(stack.resources, policies.BUCKET_POLICY, "landing", allow_http)
    assert any("TLS-only" in p for p in policies.bucket_problems(broken))


def test_tls_policy_missing_object_arns_fails(stack):
    def bucket_only(inputs):
        doc = json.loads(inputs["policy"])
        doc["Statement"][0]["Resource"] = doc["Statement"][0]["Resource"][:1]
        inputs["policy"] = json.dumps(doc)

    broken = mutate(stack.resources, policies.BUCKET_POLICY, "artifacts", bucket_only)
    assert any("TLS-only" in p for p in policies.bucket_problems(broken))


def test_disabled_or_missing_lifecycle_fails(stack):
    disabled = mutate(stack.resources, policies.LIFECYCLE, "landing",
                      lambda i: [r.update({"status": "Disabled"}) for r in i["rules"]])
    assert any("lifecycle" in p for p in policies.bucket_problems(disabled))
    missing = without(stack.resources, policies.LIFECYCLE, "archive")
    assert any("lifecycle" in p for p in policies.bucket_problems(missing))


def test_kms_key_without_rotation_fails(stack):
    broken = mutate(stack.resources, policies.KMS_KEY, "", lambda i: i.update({"enableKeyRotation": False}))
    assert policies.kms_key_problems(broken)


# --------------------------------------------------------------------------- IAM
@pytest.mark.parametrize("action", ["*", "s3:*", "s3:Get*"])
def test_wildcard_action_on_a_data_bucket_fails(stack, action):
    def widen(inputs):
        doc = json.loads(inputs["policy"])
        doc["Statement"][1]["Action"] = [action]
        inputs["policy"] = json.dumps(doc)

    broken = mutate(stack.resources, policies.ROLE_POLICY, "unzip", widen)
    assert any("wildcard action" in p for p in policies.iam_problems(broken, arns(stack)))


def test_s3_action_on_any_resource_fails():
    doc = {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]}
    assert any("Resource '*'" in p for p in policies.statement_problems(doc, ["arn:aws:s3:::b"]))


def test_not_action_fails():
    doc = {"Statement": [{"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "arn:aws:s3:::b/x"}]}
    assert policies.statement_problems(doc, ["arn:aws:s3:::b"])


def test_deny_statements_and_non_s3_wildcard_resources_pass():
    doc = {"Statement": [
        {"Effect": "Deny", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]},
        {"Effect": "Allow", "Action": ["cloudwatch:PutMetricData"], "Resource": ["*"]},
    ]}
    assert policies.statement_problems(doc, ["arn:aws:s3:::b"]) == []


# --------------------------------------------------------------------------- wiring
@pytest.mark.parametrize("field, value", [("filterSuffix", ".csv"), ("filterSuffix", None), ("filterPrefix", "")])
def test_wrong_lambda_trigger_filter_fails(stack, field, value):
    broken = mutate(stack.resources, policies.NOTIFICATION, "unzip",
                    lambda i: i["lambdaFunctions"][0].update({field: value}))
    assert policies.lambda_trigger_problems(broken, stack.exports["landingBucket"], "incoming/", ".zip")


def test_missing_lambda_trigger_fails(stack):
    broken = without(stack.resources, policies.NOTIFICATION, "unzip")
    assert policies.lambda_trigger_problems(broken, stack.exports["landingBucket"], "incoming/", ".zip")


def test_alarm_without_topic_action_fails(stack):
    broken = mutate(stack.resources, policies.METRIC_ALARM, "dlq", lambda i: i.update({"alarmActions": []}))
    assert any("dlq" in p for p in policies.alarm_problems(broken, stack.exports["alertTopicArn"]))


def test_rule_without_target_fails(stack):
    broken = without(stack.resources, policies.EVENT_TARGET, "")
    assert any("no target" in p for p in policies.alarm_problems(broken, stack.exports["alertTopicArn"]))


def test_rule_targeting_another_topic_fails(stack):
    broken = mutate(stack.resources, policies.EVENT_TARGET, "", lambda i: i.update({"arn": "arn:aws:sns:x:1:other"}))
    assert policies.alarm_problems(broken, stack.exports["alertTopicArn"])


def test_topic_policy_without_eventbridge_fails(stack):
    def drop_events(inputs):
        doc = json.loads(inputs["policy"])
        for statement in doc["Statement"]:
            if "Service" in statement.get("Principal", {}):
                statement["Principal"]["Service"] = ["cloudwatch.amazonaws.com"]
        inputs["policy"] = json.dumps(doc)

    broken = mutate(stack.resources, policies.TOPIC_POLICY, "", drop_events)
    assert policies.topic_policy_problems(broken, stack.exports["alertTopicArn"]) == [
        f"topic {stack.exports['alertTopicArn']}: events.amazonaws.com may not publish"]


def _pipe_prefixes(stack):
    """Pipe resource -> the prefix it loads, from its COPY statement's stage path."""
    from infra.snowpipe_wiring import stage_prefix
    from moviepipe.warehouse import sqlfiles

    return {p.name: stage_prefix(sqlfiles.parse_pipe(f"CREATE PIPE X AS {p.inputs['copyStatement']}"))
            for p in stack.of(policies.PIPE)}


def test_snowpipe_queue_crossed_with_the_wrong_prefix_fails(stack):
    prefixes = _pipe_prefixes(stack)
    assert policies.snowpipe_wiring_problems(stack.resources, stack.exports["archiveBucket"], prefixes) == []

    def swap(inputs):
        first, second = inputs["queues"][:2]
        first["filterPrefix"], second["filterPrefix"] = second["filterPrefix"], first["filterPrefix"]

    broken = mutate(stack.resources, policies.NOTIFICATION, "snowpipe", swap)
    assert len(policies.snowpipe_wiring_problems(broken, stack.exports["archiveBucket"], prefixes)) == 2


def test_snowpipe_queue_not_the_pipe_channel_fails(stack):
    broken = mutate(stack.resources, policies.NOTIFICATION, "snowpipe",
                    lambda i: i["queues"][0].update({"queueArn": "arn:aws:sqs:eu-west-1:1:own-queue"}))
    assert policies.snowpipe_wiring_problems(broken, stack.exports["archiveBucket"], _pipe_prefixes(stack))


# --------------------------------------------------------------------------- packaging and config
def test_package_without_handler_or_with_extra_code_fails():
    files = set(ingest.package_files())
    assert policies.lambda_package_problems(files - {"unzip_handler.py"}, ingest.HANDLER)
    assert policies.lambda_package_problems(files | {"moviepipe/warehouse/sqlfiles.py"}, ingest.HANDLER)
    assert policies.lambda_package_problems(files | {"pulumi/__init__.py"}, ingest.HANDLER)


def test_plaintext_secret_in_stack_file_fails():
    assert policies.plaintext_secret_problems({"config": {"moviepipe:snowflakePassword": "hunter2"}})
    assert policies.plaintext_secret_problems({"config": {"moviepipe:alertEmails": '["a@b.c"]'}})
    assert policies.plaintext_secret_problems({"config": {"moviepipe:snowflakePrivateKey": {"secure": "v1:x"}}}) == []

