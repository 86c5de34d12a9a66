"""The CrossGuard pack (infra/policy_pack), run as the Pulumi CLI runs it, offline.

`pulumi preview --policy-pack DIR` starts ``DIR/__main__.py``, reads the port it prints and calls
the analyzer over gRPC: ``AnalyzeStack`` with every resource and its properties in the engine's wire
format. This test does the same: it starts ``__main__.py`` in a subprocess, serializes the stack the
program declares under mocks (``infra_harness``) with the Pulumi SDK's own serializer, and reads the
violations the pack reports. What stays unproven without the CLI: the CLI's side of the protocol
(which properties the engine sends during a real preview) — see docs/deploy.md.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from test_infra_policies import mutate

from infra import policies
from infra_harness import REPO_ROOT

PACK = REPO_ROOT / "infra" / "policy_pack"
MANDATORY = analyzer_pb2.EnforcementLevel.Value("MANDATORY")
UNKNOWN = rpc.UNKNOWN  # what the engine sends for a value not known until the resource exists


@pytest.fixture(scope="module")
def analyzer():
    """The pack's own entry point, serving; a stub to call it like the CLI does."""
    pack = subprocess.Popen([sys.executable, str(PACK / "__main__.py")], cwd=PACK, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        port = pack.stdout.readline().decode().strip()
        assert port.isdigit(), f"the pack printed no port: {pack.stderr.read().decode()[-2000:]}"
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        pack.kill()
        pack.wait(10)


def request(resources: list[policies.Declared]) -> analyzer_pb2.AnalyzeStackRequest:
    """The stack as the engine sends it: each resource's state (inputs plus computed outputs), serialized."""
    wire = []
    for r in resources:
        properties = asyncio.run(rpc.serialize_properties({**r.outputs, **r.inputs}, {}))
        wire.append(analyzer_pb2.AnalyzerResource(type=r.type, name=r.name, properties=properties,
                                                  urn=f"urn:pulumi:test::moviepipe::{r.type}::{r.name}"))
    return analyzer_pb2.AnalyzeStackRequest(resources=wire)


def violations(analyzer, resources) -> dict[str, list[str]]:
    response = analyzer.AnalyzeStack(request(resources))
    found: dict[str, list[str]] = {}
    for diagnostic in response.diagnostics:
        assert diagnostic.enforcementLevel == MANDATORY, diagnostic
        found.setdefault(diagnostic.policyName, []).append(diagnostic.message)
    return found


def test_the_pack_serves_the_rules_as_mandatory_policies(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "moviepipe"
    assert {p.name: p.enforcementLevel for p in info.policies} == {
        "moviepipe-buckets-private-encrypted": MANDATORY, "moviepipe-iam-least-privilege": MANDATORY,
        "moviepipe-alerts-wired": MANDATORY}


def test_the_real_stack_passes(analyzer, stack):
    assert len(stack.resources) > 40
    assert violations(analyzer, stack.resources) == {}


def test_a_public_bucket_fails(analyzer, stack):
    public = mutate(stack.resources, policies.PUBLIC_ACCESS_BLOCK, "landing",
                    lambda inputs: inputs.update(blockPublicAcls=False, restrictPublicBuckets=False))
    found = violations(analyzer, public)
    assert list(found) == ["moviepipe-buckets-private-encrypted"]
    problems = [message.splitlines()[-1] for message in found["moviepipe-buckets-private-encrypted"]]
    assert len(problems) == 2 and all(p.startswith("bucket ") and "landing" in p for p in problems), problems
    assert problems[0].endswith("public access switch blockPublicAcls is off")
    assert problems[1].endswith("public access switch restrictPublicBuckets is off")


def test_an_iam_wildcard_action_fails(analyzer, stack):
    def grant_everything(inputs):
        document = json.loads(inputs["policy"])
        document["Statement"].append({"Sid": "Everything", "Effect": "Allow", "Action": "s3:*", "Resource": "*"})
        inputs["policy"] = json.dumps(document)

    found = violations(analyzer, mutate(stack.resources, policies.ROLE_POLICY, "", grant_everything))
    assert list(found) == ["moviepipe-iam-least-privilege"]
    message = found["moviepipe-iam-least-privilege"][0]
    assert "statement Everything: wildcard action ['s3:*']" in message and "S3 actions on Resource '*'" in message


def test_an_unencrypted_bucket_and_an_unwired_alarm_fail(analyzer, stack):
    broken = mutate(stack.resources, policies.ENCRYPTION, "archive",
                    lambda i: i["rules"][0]["applyServerSideEncryptionByDefault"].update({"sseAlgorithm": "AES256"}))
    broken = mutate(broken, policies.METRIC_ALARM, "", lambda i: i.update(alarmActions=[]))
    found = violations(analyzer, broken)
    assert set(found) == {"moviepipe-buckets-private-encrypted", "moviepipe-alerts-wired"}
    assert "SSE-KMS" in found["moviepipe-buckets-private-encrypted"][0]
    assert "miss the alert topic" in found["moviepipe-alerts-wired"][0]


def test_a_value_unknown_during_preview_is_reported_not_passed(analyzer, stack):
    """A new stack's preview: the bucket policy's ARN is not known yet. The pack says it cannot judge."""
    unknown = mutate(stack.resources, policies.BUCKET_POLICY, "landing", lambda i: i.update(policy=UNKNOWN))
    response = analyzer.AnalyzeStack(request(unknown))
    messages = [d.message for d in response.diagnostics if d.policyName == "moviepipe-buckets-private-encrypted"]
    assert len(messages) == 1 and "can't run policy" in messages[0] and "during preview" in messages[0]
    assert response.diagnostics[0].enforcementLevel == analyzer_pb2.EnforcementLevel.Value("ADVISORY")
