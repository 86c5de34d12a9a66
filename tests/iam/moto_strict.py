"""moto 5.2.5's IAM enforcement, made as strict as AWS where moviepipe's policies depend on it.

How moto enforces IAM (``moto/core/authorization.py``, ``moto/iam/access_control.py``): once
``settings.INITIAL_NO_AUTH_ACTION_COUNT`` requests have passed, every request's SigV4
signature is checked against an IAM user's access key (or an assumed role's session), the
principal's inline and attached policies are collected, and each statement's ``Action`` and
``Resource`` are matched against the request (``*`` wildcards). Its limits, and what this
module does about each (all patches are undone on exit):

=============================================  ===============================================
moto 5.2.5                                     here
=============================================  ===============================================
actions are named after the signing name:      IAM's prefix (``cloudwatch:PutMetricData``)
``monitoring:PutMetricData``
S3 requests carry their ARN                    kept (``arn:aws:s3:::bucket[/key]``)
other services are checked against ``*``:      ``_determine_resource`` for the calls the
a statement scoped to a topic, a job or a      pipeline makes: the SNS topic, the Glue job,
log group can never allow them                 the log group / stream (SQS has its own)
``Condition`` is evaluated only with values    the request's ``s3:prefix`` (ListBucket) and
from trust-policy calls: a normal call passes  ``cloudwatch:namespace`` (PutMetricData) are
every condition; only ``StringEquals`` exists  supplied; ``StringLike`` added; a key that is
                                               absent fails the condition, as on AWS
an Allow whose condition fails is an explicit  treated as not applying (AWS: no match), so
Deny                                           another statement may still allow
S3 never asks KMS: an SSE-KMS bucket is read   S3 object calls on a bucket whose default
and written without ``kms:*`` permissions      encryption is ``aws:kms`` also need, from the
                                               same principal: GET ``kms:Decrypt``; PUT
                                               ``kms:GenerateDataKey``; multipart parts both
                                               (AWS docs, "Using SSE-KMS"); HEAD none
GET/HEAD of a missing key answers 404 to       403 unless the principal may ``s3:ListBucket``
anyone                                         the bucket (AWS: "If you don't have the
                                               s3:ListBucket permission, Amazon S3 returns
                                               HTTP 403")
=============================================  ===============================================

Still not modelled (docs/deploy.md, "What the offline tests prove"): resource policies (bucket
policies, the KMS key policy, the SNS topic policy), SCPs and permission boundaries, CopyObject's
read of its source (the Glue replay uses GET + PUT instead), ``aws:SecureTransport`` (moto is
reached over plain HTTP in-process), and condition operators other than StringEquals/StringLike.

Every decision is appended to :data:`DECISIONS` (principal, action, resource, allowed), which
the tests print when something is denied.
"""

from __future__ import annotations

import fnmatch
import json
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import parse_qs, urlparse

from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam import access_control


@dataclass(frozen=True)
class Decision:
    principal: str
    action: str
    resource: str
    allowed: bool
    context: dict = field(default_factory=dict, hash=False, compare=False)


DECISIONS: list[Decision] = []
log = logging.getLogger("tests.iam")

#: moto names an action after the request's signing name; IAM's prefix differs for CloudWatch.
IAM_PREFIXES = {"monitoring": "cloudwatch"}

#: Condition values of the request being checked (set by the ``_determine_resource`` hooks).
_CONTEXT: dict[str, str] = {}


# ---------------------------------------------------------------------------- policy evaluation
def _statement_applies(statement: dict, action: str, resource: str, context: dict) -> str | None:
    """'Allow' / 'Deny' when the statement matches the request, else None (IAM semantics)."""
    checker = access_control.IAMPolicyStatement(statement)
    if "NotAction" in statement:
        if checker._check_element_matches("NotAction", action):
            return None
    elif not checker._check_element_matches("Action", action):
        return None
    if "Resource" in statement and not checker._check_element_matches("Resource", resource):
        return None
    if not _conditions_hold(statement.get("Condition") or {}, context):
        return None
    return statement.get("Effect")


def _conditions_hold(conditions: dict, context: dict) -> bool:
    for operator, tests in conditions.items():
        for key, expected in tests.items():
            wanted = expected if isinstance(expected, list) else [expected]
            if key not in context:
                return False  # AWS: a condition on an absent key does not match (no ...IfExists here)
            actual = context[key]
            if operator == "StringEquals":
                ok = actual in wanted
            elif operator == "StringLike":
                ok = any(fnmatch.fnmatchcase(actual, pattern) for pattern in wanted)
            else:
                raise NotImplementedError(f"condition operator {operator} is not modelled by tests/iam")
            if not ok:
                return False
    return True


def evaluate(documents: list[str], action: str, resource: str, context: dict | None = None) -> bool:
    """Explicit Deny wins, then any Allow; otherwise implicitly denied."""
    allowed = False
    for document in documents:
        statements = json.loads(document)["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            effect = _statement_applies(statement, action, resource, context or {})
            if effect == "Deny":
                return False
            allowed = allowed or effect == "Allow"
    return allowed


def _documents(access_key) -> list[str]:
    out = []
    for policy in access_key.collect_policies():
        if isinstance(policy, str):
            out.append(policy)
        elif isinstance(policy, dict):
            out.append(policy["policy_document"])
        else:  # a managed policy object
            version = next(v for v in policy.versions if v.is_default)
            out.append(version.document)
    return out


# ---------------------------------------------------------------------------- S3 specifics
def _s3_bucket(account_id: str, name: str):
    from moto.s3.models import s3_backends

    return s3_backends[account_id]["aws"].buckets.get(name)


def _kms_key_of(bucket) -> str | None:
    rule = ((bucket.encryption or {}).get("Rule") if bucket is not None else None) or {}
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    return default.get("KMSMasterKeyID") if default.get("SSEAlgorithm") == "aws:kms" else None


def _implied_checks(request, resource: str) -> list[tuple[str, str, dict]]:
    """What AWS also checks for this S3 request: KMS use on SSE-KMS buckets, ListBucket for a 404."""
    if not resource.startswith("arn:aws:s3:::") or "/" not in resource:
        return []
    bucket_name, _, key = resource[len("arn:aws:s3:::"):].partition("/")
    bucket = _s3_bucket(request.account_id, bucket_name)
    query = parse_qs(urlparse(request._path).query, keep_blank_values=True)
    method, action = request._method, request._action
    checks: list[tuple[str, str, dict]] = []
    key_arn = _kms_key_of(bucket)
    if key_arn:
        if action in ("s3:GetObject", "s3:GetObjectVersion") and method == "GET":
            checks.append(("kms:Decrypt", key_arn, {}))
        elif action == "s3:PutObject" and ("uploads" in query or "uploadId" in query):
            checks += [("kms:GenerateDataKey", key_arn, {}), ("kms:Decrypt", key_arn, {})]
        elif action == "s3:PutObject" and method == "PUT":
            checks.append(("kms:GenerateDataKey", key_arn, {}))
    if action in ("s3:GetObject", "s3:GetObjectVersion") and method in ("GET", "HEAD") and bucket is not None:
        from urllib.parse import unquote

        if unquote(key) not in bucket.keys:
            checks.append(("s3:ListBucket", f"arn:aws:s3:::{bucket_name}", {}))
    return checks


def _s3_context(request, resource: str) -> dict:
    if request._action != "s3:ListBucket":
        return {}
    query = parse_qs(urlparse(request._path).query, keep_blank_values=True)
    return {"s3:prefix": query["prefix"][0]} if "prefix" in query else {}


# ---------------------------------------------------------------------------- the check itself
def _check_action_permitted(self, resource: str) -> None:
    principal = self._access_key.arn
    if self._action == "sts:GetCallerIdentity":
        return
    documents = _documents(self._access_key)
    context = _s3_context(self, resource) if resource.startswith("arn:aws:s3:::") else dict(_CONTEXT)
    _CONTEXT.clear()
    service, _, name = self._action.partition(":")
    action = f"{IAM_PREFIXES.get(service, service)}:{name}"
    checks = [(action, resource, context), *_implied_checks(self, resource)]
    for action, target, ctx in checks:
        allowed = evaluate(documents, action, target, ctx)
        DECISIONS.append(Decision(principal, action, target, allowed, ctx))
        if not allowed:
            log.warning("moto IAM: %s may not %s on %s", principal, action, target)
            original = self._action
            self._action = action  # the message names the action that was missing
            try:
                self._raise_access_denied()
            finally:
                self._action = original


# ---------------------------------------------------------------------------- resources
def _sns_resource(self) -> str:
    _CONTEXT.clear()
    return self._get_param("TopicArn") or self._get_param("TargetArn") or "*"


def _glue_resource(self) -> str:
    _CONTEXT.clear()
    name = self._get_param("JobName")
    return f"arn:aws:glue:{self.region}:{self.current_account}:job/{name}" if name else "*"


def _logs_resource(self) -> str:
    _CONTEXT.clear()
    group, stream = self._get_param("logGroupName"), self._get_param("logStreamName")
    if not group:
        return "*"
    arn = f"arn:aws:logs:{self.region}:{self.current_account}:log-group:{group}"
    return f"{arn}:log-stream:{stream}" if stream else arn


def _cloudwatch_resource(self) -> str:
    _CONTEXT.clear()
    namespace = self._get_param("Namespace")
    if namespace:
        _CONTEXT["cloudwatch:namespace"] = namespace
    return "*"


def _clear_context(self) -> str:
    _CONTEXT.clear()
    return "*"


@contextmanager
def strict_iam() -> Iterator[list[Decision]]:
    """Patch moto for the block and switch IAM enforcement on from the first request."""
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.glue.responses import GlueResponse
    from moto.kms.responses import KmsResponse
    from moto.logs.responses import LogsResponse
    from moto.sns.responses import SNSResponse

    patches = [
        (access_control.IAMRequestBase, "check_action_permitted", _check_action_permitted),
        (SNSResponse, "_determine_resource", _sns_resource),
        (GlueResponse, "_determine_resource", _glue_resource),
        (LogsResponse, "_determine_resource", _logs_resource),
        (CloudWatchResponse, "_determine_resource", _cloudwatch_resource),
        (KmsResponse, "_determine_resource", _clear_context),
    ]
    saved = [(owner, name, owner.__dict__.get(name, _MISSING)) for owner, name, _ in patches]
    for owner, name, value in patches:
        setattr(owner, name, value)
    old_count, old_requests = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin.request_count = 0
    DECISIONS.clear()
    try:
        yield DECISIONS
    finally:
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = old_count
        ActionAuthenticatorMixin.request_count = old_requests
        for owner, name, value in saved:
            if value is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, value)
        _CONTEXT.clear()


_MISSING = object()
