"""The rendered stack's roles as moto principals, and the AWS calls each one makes.

:func:`rendered_roles` runs ``infra/__main__.py`` under the Pulumi mocks of
``tests/infra/infra_harness.py`` and returns, for every IAM role it declares, the inline policy
documents exactly as rendered (mocked ARNs are the physical names the tests create in moto:
same account, region, bucket, topic, job and queue names).

:class:`Principal` is an IAM user in moto holding exactly those documents (moto enforces the
policies of IAM users and assumed roles alike; a user keeps the harness simple). Its boto3
session records every API call it makes (service, operation, parameters) so the call list can
be replayed later under a changed policy without re-running the code that made it.
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests" / "infra"))

from infra_harness import ACCOUNT, REGION, base_config, run_program  # noqa: E402

ROLE_TYPE = "aws:iam/role:Role"
ROLE_POLICY_TYPE = "aws:iam/rolePolicy:RolePolicy"

#: Logical name of each role resource in infra/ -> the name the tests use for it.
ROLES = {
    "unzip-role": "lambda",
    "glue-role": "glue",
    "worker-role": "flow-runs",
    "snowflake-access-s3-role": "snowflake-storage",
    "snowflake-access-sns-role": "snowflake-errors",
}


@dataclass(frozen=True)
class RenderedStack:
    policies: dict[str, list[str]]  # role (ROLES value) -> its policy documents as rendered
    exports: dict
    glue_job: dict  # the Glue job's inputs
    log_groups: dict[str, str]  # logical name -> log group name
    lambda_environment: dict[str, str]  # the unzip function's environment variables


@lru_cache(maxsize=1)
def rendered_stack() -> RenderedStack:
    layer = Path(tempfile.mkdtemp(prefix="moviepipe-layer-"))
    (layer / "python").mkdir()
    stack = run_program(base_config(layer))
    roles = {r.id: r for r in stack.of(ROLE_TYPE)}
    unknown = sorted(r.name for r in roles.values() if r.name not in ROLES)
    assert not unknown, f"roles without an IAM test: {unknown} (add them to tests/iam/principals.ROLES)"
    policies: dict[str, list[str]] = {name: [] for name in ROLES.values()}
    for policy in stack.of(ROLE_POLICY_TYPE):
        policies[ROLES[roles[policy.inputs["role"]].name]].append(policy.inputs["policy"])
    groups = {g.name: g.inputs["name"] for g in stack.of("aws:cloudwatch/logGroup:LogGroup")}
    function = stack.one("aws:lambda/function:Function", "unzip")
    return RenderedStack(policies, dict(stack.exports), stack.one("aws:glue/job:Job").inputs, groups,
                         dict(function.inputs["environment"]["variables"]))


def statement_actions(documents: list[str]) -> list[tuple[int, str, str]]:
    """(document index, statement Sid, action) for every Allow action of every statement."""
    out = []
    for index, document in enumerate(documents):
        for statement in json.loads(document)["Statement"]:
            if statement["Effect"] == "Allow":
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                out += [(index, statement["Sid"], action) for action in actions]
    return out


def without_action(documents: list[str], index: int, sid: str, action: str) -> list[str]:
    """The documents with one action removed from one statement (an emptied statement or document goes)."""
    changed = copy.deepcopy([json.loads(d) for d in documents])
    statements = changed[index]["Statement"]
    for statement in statements:
        if statement["Sid"] == sid:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert action in actions
            statement["Action"] = [a for a in actions if a != action]
    changed[index]["Statement"] = [s for s in statements if s["Action"]]
    return [json.dumps(d) for d in changed if d["Statement"]]  # IAM refuses a policy with no statement


# ---------------------------------------------------------------------------- calls
@dataclass
class Call:
    service: str
    operation: str
    params: dict
    modeled: str = ""  # why a service (not our code) makes this call; empty for our code's calls

    def key(self) -> str:
        return json.dumps([self.service, self.operation, self.params], sort_keys=True, default=str)


def _replayable(params: dict) -> dict:
    """Parameters that can be sent again: streams become empty bodies (authorisation ignores the body)."""
    out = {}
    for name, value in params.items():
        if name == "Body" and not isinstance(value, (bytes, str)):
            value = b""
        out[name] = copy.deepcopy(value)
    return out


def is_access_denied(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in ("AccessDenied", "AccessDeniedException") or status == 403


@dataclass
class Principal:
    """An IAM user holding exactly one role's rendered policies, with a recording session."""

    role: str
    user: str
    access_key: str
    secret_key: str
    calls: list[Call] = field(default_factory=list)
    modeling: str = ""

    def session(self) -> boto3.Session:
        session = boto3.Session(aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
                                region_name=REGION)
        self.record(session)
        return session

    def record(self, session: boto3.Session) -> None:
        def hook(params, model, **_):
            self.calls.append(Call(model.service_model.service_name, model.name, _replayable(params), self.modeling))

        session.events.register("before-parameter-build", hook)

    def client(self, service: str):
        from moviepipe.runtime.cloud.aws import CLIENT_CONFIG

        return self.session().client(service, config=CLIENT_CONFIG)

    def as_service(self, why: str):
        """Mark the calls made in the block as what an AWS service (or Snowflake) does with the role."""
        principal = self

        class _Modeling:
            def __enter__(self):
                principal.modeling = why

            def __exit__(self, *exc):
                principal.modeling = ""

        return _Modeling()


def create_principals(admin, policies: dict[str, list[str]]) -> dict[str, Principal]:
    """One IAM user per role with the role's documents as inline policies (admin: an iam client)."""
    principals = {}
    for role, documents in policies.items():
        user = f"role-{role}"
        admin.create_user(UserName=user)
        set_policies(admin, user, documents)
        key = admin.create_access_key(UserName=user)["AccessKey"]
        principals[role] = Principal(role, user, key["AccessKeyId"], key["SecretAccessKey"])
    return principals


def set_policies(admin, user: str, documents: list[str]) -> None:
    for name in admin.list_user_policies(UserName=user)["PolicyNames"]:
        admin.delete_user_policy(UserName=user, PolicyName=name)
    for index, document in enumerate(documents):
        admin.put_user_policy(UserName=user, PolicyName=f"rendered-{index}", PolicyDocument=document)


def replay(principal: Principal, calls: list[Call], stop_at_denial: bool = False) -> list[tuple[Call, str]]:
    """Send ``calls`` again as ``principal``; the (call, message) of every AccessDenied.

    Other errors are expected and ignored (the state has moved on: a deleted key, an upload id of
    the first run); moto checks authorisation before it looks at state, so they never hide a denial.
    """
    clients: dict[str, object] = {}
    session = boto3.Session(aws_access_key_id=principal.access_key, aws_secret_access_key=principal.secret_key,
                            region_name=REGION)
    from botocore.config import Config

    config = Config(retries={"max_attempts": 1, "mode": "standard"})
    denied = []
    for call in calls:
        client = clients.get(call.service) or clients.setdefault(call.service, session.client(call.service,
                                                                                            config=config))
        try:
            client._make_api_call(call.operation, copy.deepcopy(call.params))
        except ClientError as error:
            if is_access_denied(error):
                denied.append((call, str(error)))
                if stop_at_denial:
                    break
    return denied


def unique(calls: list[Call]) -> list[Call]:
    seen, out = set(), []
    for call in calls:
        if call.key() not in seen:
            seen.add(call.key())
            out.append(call)
    return out


ADMIN_POLICY = json.dumps({"Version": "2012-10-17",
                           "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
__all__ = ["ACCOUNT", "REGION"]
