"""The pack's policies: each calls the rules of ``infra/policies.py`` on the whole stack.

The rules look across resources (a bucket and the access block, encryption and policy
attached to it; a role policy and the buckets it names), so every policy here is a
``StackValidationPolicy``: Pulumi hands it every resource of the stack with its
properties, this module turns them into the rules' ``Declared`` records, and each
problem a rule finds is reported as a violation. Nothing is re-implemented here.

When a property the rules need is still unknown during ``pulumi preview`` (a new
stack: ARNs and names not yet assigned), pulumi-policy reports "can't run policy ...
during preview" as advisory, and the policies run for real on ``pulumi up``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Callable

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationArgs, StackValidationPolicy

from infra import policies

PACK_NAME = "moviepipe"


def plain(value: Any) -> Any:
    """pulumi-policy's read-only proxies as dicts and lists (the rules test ``isinstance(x, list)``).

    Reading every value also raises pulumi-policy's ``UnknownValueError`` for a value not
    known yet, which it reports as "can't run during preview".
    """
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [plain(item) for item in value]
    return value


def declared(args: StackValidationArgs) -> list[policies.Declared]:
    """The stack as the rules take it: properties in camelCase; a bucket's id is its name."""
    found = []
    for resource in args.resources:
        props = plain(resource.props)
        resource_id = props.get("bucket", "") if resource.resource_type == policies.BUCKET else props.get("id", "")
        found.append(policies.Declared(resource.resource_type, resource.name, props, props, resource_id))
    return found


def _report(problems: list[str], report_violation: ReportViolation) -> None:
    for problem in problems:
        report_violation(problem, None)


def _buckets(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = declared(args)
    _report(policies.bucket_problems(resources) + policies.kms_key_problems(resources), report_violation)


def _iam(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = declared(args)
    data_buckets = [bucket.outputs["arn"] for bucket in resources if bucket.type == policies.BUCKET]
    _report(policies.iam_problems(resources, data_buckets), report_violation)


def _alerts(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = declared(args)
    topics = [r.outputs.get("arn") for r in resources if r.type == "aws:sns/topic:Topic"]
    if len(topics) != 1:
        report_violation(f"expected one alert topic (aws.sns.Topic), found {len(topics)}", None)
        return
    _report(policies.alarm_problems(resources, topics[0]) + policies.topic_policy_problems(resources, topics[0]),
            report_violation)


def _policy(name: str, description: str, validate: Callable) -> StackValidationPolicy:
    return StackValidationPolicy(name=name, description=description, validate=validate,
                                 enforcement_level=EnforcementLevel.MANDATORY)


POLICIES = [
    _policy("moviepipe-buckets-private-encrypted",
            "Every S3 bucket blocks all public access, is versioned, SSE-KMS encrypted with a rotated key, "
            "TLS-only and has a lifecycle rule.", _buckets),
    _policy("moviepipe-iam-least-privilege",
            "No IAM role policy grants a wildcard action on a bucket, S3 actions on Resource '*', or "
            "NotAction/NotResource.", _iam),
    _policy("moviepipe-alerts-wired",
            "Every CloudWatch alarm and EventBridge rule notifies the alert topic, which AWS may publish to.",
            _alerts),
]
