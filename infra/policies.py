"""Security rules for the stack, as plain functions over declared resources.

Each rule takes resources as the Pulumi engine receives them (type token, name,
camelCase inputs; see :class:`Declared`) and returns a list of problems, empty
when the rule holds. The infra tests run every rule over what ``__main__``
declares under mocks, and over deliberately broken inputs to prove each rule
can fail. Plain functions (no Pulumi import) so they can also back a CrossGuard
policy pack later without change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
KMS_KEY = "aws:kms/key:Key"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
PIPE = "snowflake:index/pipe:Pipe"

PUBLIC_ACCESS_SWITCHES = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
ALERT_PUBLISHERS = ("events.amazonaws.com", "cloudwatch.amazonaws.com")


@dataclass(frozen=True)
class Declared:
    """One declared resource: its type token, logical name, inputs and (mocked) outputs."""

    type: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    id: str = ""


def _of(resources: Iterable[Declared], type_: str) -> list[Declared]:
    return [r for r in resources if r.type == type_]


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _doc(policy: Any) -> dict:
    return json.loads(policy) if isinstance(policy, str) else policy


# --------------------------------------------------------------------------- buckets
def bucket_problems(resources: list[Declared]) -> list[str]:
    """Every bucket: all public access blocked, versioned, SSE-KMS, TLS-only, with a lifecycle."""
    problems = []
    for bucket in _of(resources, BUCKET):
        attached = {r.type: r for r in resources if r.inputs.get("bucket") == bucket.id and r.type != BUCKET}
        label = f"bucket {bucket.name}"

        block = attached.get(PUBLIC_ACCESS_BLOCK)
        if block is None:
            problems.append(f"{label}: no public access block")
        else:
            problems += [f"{label}: public access switch {s} is off"
                         for s in PUBLIC_ACCESS_SWITCHES if block.inputs.get(s) is not True]

        versioning = attached.get(VERSIONING)
        if (versioning is None or (versioning.inputs.get("versioningConfiguration") or {}).get("status") != "Enabled"):
            problems.append(f"{label}: versioning is not enabled")

        encryption = attached.get(ENCRYPTION)
        defaults = [(rule.get("applyServerSideEncryptionByDefault") or {})
                    for rule in (encryption.inputs.get("rules") or [])] if encryption else []
        if not any(d.get("sseAlgorithm") == "aws:kms" and d.get("kmsMasterKeyId") for d in defaults):
            problems.append(f"{label}: not encrypted with a KMS key (SSE-KMS)")

        policy = attached.get(BUCKET_POLICY)
        if policy is None or not denies_insecure_transport(_doc(policy.inputs["policy"]), bucket.outputs.get("arn")):
            problems.append(f"{label}: no TLS-only policy (deny aws:SecureTransport=false on bucket and objects)")

        lifecycle = attached.get(LIFECYCLE)
        if lifecycle is None or not lifecycle_ages_out(lifecycle.inputs.get("rules") or []):
            problems.append(f"{label}: no enabled lifecycle rule")
    return problems


def denies_insecure_transport(doc: dict, bucket_arn: str | None) -> bool:
    for statement in _as_list(doc.get("Statement")):
        condition = (statement.get("Condition") or {}).get("Bool") or {}
        resources = set(_as_list(statement.get("Resource")))
        actions = set(_as_list(statement.get("Action")))
        if (statement.get("Effect") == "Deny" and statement.get("Principal") in ("*", {"AWS": "*"})
                and str(condition.get("aws:SecureTransport")).lower() == "false"
                and actions & {"s3:*", "*"}
                and (bucket_arn is None or {bucket_arn, f"{bucket_arn}/*"} <= resources)):
            return True
    return False


def lifecycle_ages_out(rules: list[dict]) -> bool:
    """At least one enabled rule cleans up: a transition, an expiration, or old versions."""
    return any(rule.get("status") == "Enabled" and (rule.get("transitions") or rule.get("expiration")
                                                    or rule.get("noncurrentVersionExpiration"))
               for rule in rules)


def kms_key_problems(resources: list[Declared]) -> list[str]:
    return [f"KMS key {k.name}: rotation is off" for k in _of(resources, KMS_KEY)
            if k.inputs.get("enableKeyRotation") is not True]


# --------------------------------------------------------------------------- IAM
def _is_wildcard(action: str) -> bool:
    return "*" in action


def iam_problems(resources: list[Declared], data_bucket_arns: list[str]) -> list[str]:
    """No Allow grants a wildcard action on a data bucket, and no S3 action on Resource "*"."""
    problems = []
    for policy in _of(resources, ROLE_POLICY):
        problems += statement_problems(_doc(policy.inputs["policy"]), data_bucket_arns, f"role policy {policy.name}")
    return problems


def statement_problems(doc: dict, data_bucket_arns: list[str], label: str = "policy") -> list[str]:
    problems = []
    for index, statement in enumerate(_as_list(doc.get("Statement"))):
        if statement.get("Effect") != "Allow":
            continue
        actions = [str(a) for a in _as_list(statement.get("Action"))]
        resources = [str(r) for r in _as_list(statement.get("Resource"))]
        where = f"{label} statement {statement.get('Sid', index)}"
        on_data = [r for r in resources if r == "*" or any(r == arn or r.startswith(f"{arn}/")
                                                           for arn in data_bucket_arns)]
        wild = [a for a in actions if _is_wildcard(a)]
        if wild and on_data:
            problems.append(f"{where}: wildcard action {wild} on data bucket resources {on_data}")
        if "*" in resources and any(a.lower().startswith("s3:") or a == "*" for a in actions):
            problems.append(f"{where}: S3 actions on Resource '*'")
        if statement.get("NotAction") or statement.get("NotResource"):
            problems.append(f"{where}: NotAction/NotResource grants more than it names")
    return problems


# --------------------------------------------------------------------------- wiring
def lambda_trigger_problems(resources: list[Declared], bucket_id: str, prefix: str, suffix: str) -> list[str]:
    """The landing bucket invokes a Lambda only for ``prefix*suffix`` keys."""
    notes = [n for n in _of(resources, NOTIFICATION) if n.inputs.get("bucket") == bucket_id]
    targets = [t for n in notes for t in (n.inputs.get("lambdaFunctions") or [])]
    if not targets:
        return [f"bucket {bucket_id}: no Lambda notification"]
    return [f"bucket {bucket_id}: Lambda notification filter {t.get('filterPrefix')!r}*{t.get('filterSuffix')!r}, "
            f"expected {prefix!r}*{suffix!r}"
            for t in targets if t.get("filterSuffix") != suffix or t.get("filterPrefix") != prefix]


def alarm_problems(resources: list[Declared], topic_arn: str) -> list[str]:
    """Every alarm acts on the topic; every rule has a target that is the topic."""
    problems = [f"alarm {a.name}: alarm actions {a.inputs.get('alarmActions')} miss the alert topic"
                for a in _of(resources, METRIC_ALARM) if topic_arn not in (a.inputs.get("alarmActions") or [])]
    targets = _of(resources, EVENT_TARGET)
    for rule in _of(resources, EVENT_RULE):
        rule_name = rule.outputs.get("name", rule.name)
        if not any(t.inputs.get("rule") == rule_name and t.inputs.get("arn") == topic_arn for t in targets):
            problems.append(f"event rule {rule.name}: no target on the alert topic")
    return problems


def topic_policy_problems(resources: list[Declared], topic_arn: str) -> list[str]:
    policies = [p for p in _of(resources, TOPIC_POLICY) if p.inputs.get("arn") == topic_arn]
    if not policies:
        return [f"topic {topic_arn}: no topic policy"]
    allowed: set[str] = set()
    for policy in policies:
        for statement in _as_list(_doc(policy.inputs["policy"]).get("Statement")):
            if statement.get("Effect") == "Allow" and "sns:Publish" in _as_list(statement.get("Action")):
                allowed |= set(_as_list((statement.get("Principal") or {}).get("Service")))
    return [f"topic {topic_arn}: {service} may not publish" for service in ALERT_PUBLISHERS if service not in allowed]


def snowpipe_wiring_problems(resources: list[Declared], archive_bucket_id: str,
                             pipe_prefixes: dict[str, str]) -> list[str]:
    """Each auto-ingest pipe's notification channel is notified for its stage prefix.

    ``pipe_prefixes`` maps the pipe's resource name to the key prefix it loads.
    """
    queues = [q for n in _of(resources, NOTIFICATION) if n.inputs.get("bucket") == archive_bucket_id
              for q in (n.inputs.get("queues") or [])]
    problems = []
    for pipe in _of(resources, PIPE):
        if not pipe.inputs.get("autoIngest"):
            continue
        channel = pipe.outputs.get("notificationChannel")
        prefix = pipe_prefixes.get(pipe.name)
        if not any(q.get("queueArn") == channel and q.get("filterPrefix") == prefix for q in queues):
            problems.append(f"pipe {pipe.name}: archive bucket does not notify {channel} for prefix {prefix!r}")
    return problems


# --------------------------------------------------------------------------- packaging and config
def lambda_package_problems(archive_paths: Iterable[str], handler: str) -> list[str]:
    """The handler module is at the package root; nothing heavy or unrelated ships."""
    paths = set(archive_paths)
    module = handler.rsplit(".", 1)[0].replace(".", "/") + ".py"
    problems = [] if module in paths else [f"handler module {module} is not in the package"]
    allowed_roots = ("moviepipe/__init__.py", "moviepipe/objectstore.py", "moviepipe/contract/")
    for path in sorted(paths):
        if "/" in path and not path.startswith(allowed_roots):
            problems.append(f"{path} does not belong in the Lambda package")
        if path.split("/")[0] in ("pulumi", "pulumi_aws", "pulumi_snowflake", "infra"):
            problems.append(f"{path}: deployment code in the Lambda package")
    return problems


SECRET_KEY_HINTS = ("password", "privatekey", "passphrase", "secret", "token", "alertemails")


def plaintext_secret_problems(stack_config: dict[str, Any]) -> list[str]:
    """A committed stack file holds secrets only as ``secure:`` ciphertext."""
    problems = []
    for key, value in (stack_config.get("config") or {}).items():
        bare = key.split(":")[-1].lower()
        if any(hint in bare for hint in SECRET_KEY_HINTS) and not (isinstance(value, dict) and "secure" in value):
            problems.append(f"{key} is in plaintext; set it with `pulumi config set --secret`")
    return problems
