"""IAM policy documents as plain dicts, so tests and ``policies.py`` can read them.

Policies are built here rather than with ``aws.iam.get_policy_document`` because
a dict with Outputs inside serialises with ``Output.json_dumps`` and the recorded
JSON is exactly what AWS receives: the least-privilege checks read that JSON.
"""

from __future__ import annotations

from typing import Any

import pulumi

Doc = dict[str, Any]


def document(*statements: Doc) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(sid: str, actions: list[str], resources: list[Any], condition: Doc | None = None) -> Doc:
    statement: Doc = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def objects(bucket_arn: pulumi.Input[str], pattern: str = "*") -> pulumi.Output[str]:
    """Object ARN(s) under a key pattern: ``objects(arn, "incoming/*")``."""
    return pulumi.Output.concat(bucket_arn, "/", pattern)


def assume_role_policy(service: str) -> str:
    """Trust policy letting one AWS service assume a role."""
    return pulumi.Output.json_dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    })


def assume_role_with_external_id(principal_arn: pulumi.Input[str], external_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """Trust policy for a third party (Snowflake): its IAM user, pinned by an external id."""
    return pulumi.Output.json_dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": principal_arn},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
        }],
    })


def kms_use(key_arn: pulumi.Input[str], *, write: bool) -> Doc:
    """SSE-KMS buckets: reading needs Decrypt; writing also needs GenerateDataKey."""
    actions = ["kms:Decrypt"] + (["kms:GenerateDataKey"] if write else [])
    return allow("UseDataKey", actions, [key_arn])


def log_writing(log_group_arn: pulumi.Input[str], sid: str = "WriteLogs") -> Doc:
    return allow(sid, ["logs:CreateLogStream", "logs:PutLogEvents"],
                 [pulumi.Output.concat(log_group_arn, ":*")])
