"""Least privilege: no wildcard action on a data bucket, no S3 action on '*'."""

import json

from infra import policies
from moviepipe.contract import archive as contract

#: One archive prefix per contract entity: what the Glue job writes and the pipes load.
ENTITY_PREFIXES = sorted(f"{entity}/" for entity in contract.ENTITIES)


def data_bucket_arns(stack):
    return [stack.by_id(stack.exports[f"{r}Bucket"]).outputs["arn"]
            for r in ("landing", "processed", "archive", "artifacts")]


def test_no_role_policy_grants_wildcards_on_data_buckets(stack):
    assert len(stack.of(policies.ROLE_POLICY)) == 5  # unzip, glue, flow runs, snowflake s3 + sns
    assert policies.iam_problems(stack.resources, data_bucket_arns(stack)) == []


def test_snowflake_reads_only_the_load_prefixes(stack):
    role = stack.one("aws:iam/role:Role", "s3-role")
    (policy,) = [p for p in stack.of(policies.ROLE_POLICY) if p.inputs["role"] == role.id]
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    archive = stack.by_id(stack.exports["archiveBucket"]).outputs["arn"]
    assert statements["ReadLoadPrefixes"]["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert sorted(statements["ReadLoadPrefixes"]["Resource"]) == [f"{archive}/{p}*" for p in ENTITY_PREFIXES]
    actions = {a for s in statements.values() for a in s["Action"]}
    assert not any(a.startswith("s3:Put") or a.startswith("s3:Delete") for a in actions)


def test_glue_writes_only_archive_load_prefixes_its_results_and_its_staging_folder(stack):
    role = stack.one("aws:iam/role:Role", "glue")
    (policy,) = [p for p in stack.of(policies.ROLE_POLICY) if p.inputs["role"] == role.id]
    archive = stack.by_id(stack.exports["archiveBucket"]).outputs["arn"]
    writes = [r for s in json.loads(policy.inputs["policy"])["Statement"] if "s3:PutObject" in s["Action"]
              for r in s["Resource"] if r.startswith(archive)]
    assert sorted(writes) == sorted([f"{archive}/{p}*" for p in ENTITY_PREFIXES]
                                    + [f"{archive}/_results/*", f"{archive}/_staging/*"])


def test_glue_staging_prefix_is_the_one_the_job_writes():
    import sys

    from infra.storage import GLUE_STAGING_PREFIX
    from infra_harness import REPO_ROOT

    sys.path.insert(0, str(REPO_ROOT / "glue"))
    import movies_io

    assert GLUE_STAGING_PREFIX == movies_io.STAGING_DIR + "/"


def test_flow_runs_role_is_exported_for_the_ecs_pool_and_trusts_only_ecs_tasks(stack):
    role = stack.one("aws:iam/role:Role", "worker")
    assert stack.exports["workerTaskRoleArn"] == role.outputs["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "ecs-tasks.amazonaws.com"}]
    assert trust[0]["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_kms_key_rotates(stack):
    assert policies.kms_key_problems(stack.resources) == []
