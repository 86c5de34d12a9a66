"""Buckets: encrypted, private, TLS-only, versioned, each with its lifecycle."""

import json

from infra_harness import run_program

from infra import policies
from infra.policies import BUCKET, ENCRYPTION, LIFECYCLE, PUBLIC_ACCESS_BLOCK, VERSIONING

ROLES = ("landing", "processed", "archive", "artifacts")


def bucket(stack, role):
    return stack.by_id(stack.exports[f"{role}Bucket"])


def lifecycle_rule(stack, role, rule_id="age-out"):
    (config,) = stack.attached(LIFECYCLE, bucket(stack, role))
    return next(r for r in config.inputs["rules"] if r["id"] == rule_id)


def test_four_buckets_declared_and_exported(stack):
    assert sorted(b.id for b in stack.of(BUCKET)) == sorted(stack.exports[f"{r}Bucket"] for r in ROLES)


def test_every_bucket_passes_the_bucket_rules(stack):
    assert policies.bucket_problems(stack.resources) == []


def test_every_bucket_blocks_all_public_access(stack):
    for role in ROLES:
        (block,) = stack.attached(PUBLIC_ACCESS_BLOCK, bucket(stack, role))
        assert all(block.inputs[s] is True for s in policies.PUBLIC_ACCESS_SWITCHES), role


def test_every_bucket_is_versioned(stack):
    for role in ROLES:
        (versioning,) = stack.attached(VERSIONING, bucket(stack, role))
        assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled", role


def test_every_bucket_uses_the_rotating_kms_key(stack):
    key = stack.one("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    for role in ROLES:
        (sse,) = stack.attached(ENCRYPTION, bucket(stack, role))
        default = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
        assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.outputs["arn"]}, role


def test_every_bucket_policy_denies_plain_http(stack):
    for role in ROLES:
        b = bucket(stack, role)
        (policy,) = stack.attached(policies.BUCKET_POLICY, b)
        (statement,) = json.loads(policy.inputs["policy"])["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert set(statement["Resource"]) == {b.outputs["arn"], b.outputs["arn"] + "/*"}


def test_landing_expires_after_configured_days(stack):
    rule = lifecycle_rule(stack, "landing")
    assert rule["status"] == "Enabled" and rule["expiration"]["days"] == 14
    assert "transitions" not in rule


def test_processed_moves_to_glacier_then_expires(stack):
    rule = lifecycle_rule(stack, "processed")
    assert rule["transitions"] == [{"days": 30, "storageClass": "GLACIER"}]
    assert rule["expiration"]["days"] == 365


def test_archive_moves_to_glacier_after_90_days_and_never_expires(stack):
    rule = lifecycle_rule(stack, "archive")
    assert rule["transitions"] == [{"days": 90, "storageClass": "GLACIER"}]
    assert "expiration" not in rule


def test_old_versions_and_glue_staging_leftovers_are_cleaned_up(stack):
    for role in ROLES:
        assert lifecycle_rule(stack, role)["noncurrentVersionExpiration"]["noncurrentDays"] == 30
    staging = lifecycle_rule(stack, "archive", "glue-staging")
    assert (staging["filter"]["prefix"], staging["expiration"]["days"], staging["status"]) == ("_staging/", 2, "Enabled")


def test_lifecycle_days_follow_the_stack_config(config):
    changed = run_program({**config, "moviepipe:landingExpireDays": "3", "moviepipe:processedGlacierDays": "7",
                           "moviepipe:processedExpireDays": "40"})
    assert lifecycle_rule(changed, "landing")["expiration"]["days"] == 3
    assert lifecycle_rule(changed, "processed")["transitions"][0]["days"] == 7
    assert lifecycle_rule(changed, "processed")["expiration"]["days"] == 40
