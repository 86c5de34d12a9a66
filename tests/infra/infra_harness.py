"""Harness: run ``infra/__main__.py`` under Pulumi mocks and record what it declares.

No cloud, no CLI, no plugin: ``pulumi.runtime.set_mocks`` answers every resource
registration. :class:`RecordingMocks` keeps each resource's type, name and
resolved inputs (camelCase, exactly what a provider would receive) and returns
the computed outputs the program reads (``arn``, ``notificationChannel``,
``describeOutputs``...). Tests assert on those recorded inputs.

Mocks are process-global, so every run installs fresh mocks and config first.
"""

from __future__ import annotations

import json
import runpy
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from infra.policies import Declared  # noqa: E402

MAIN = REPO_ROOT / "infra" / "__main__.py"
ACCOUNT = "123456789012"
REGION = "eu-west-1"
SNOWFLAKE_ACCOUNT = "999999999999"
SECRET_KEYS = ["moviepipe:snowflakePrivateKey", "moviepipe:alertEmails"]


def committed_config() -> dict[str, str]:
    """The non-secret settings of the committed example stack, ``Pulumi.dev.yaml``."""
    document = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())
    return {key: str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in document["config"].items()}


def base_config(layer_dir: Path) -> dict[str, str]:
    """Pulumi.dev.yaml plus what `pulumi config set --secret` would add, and a built layer."""
    return {
        **committed_config(),
        "aws:region": REGION,
        "moviepipe:snowflakePrivateKey": "-----BEGIN PRIVATE KEY-----\nTEST\n-----END PRIVATE KEY-----",
        "moviepipe:alertEmails": json.dumps(["ops@example.org", "data@example.org"]),
        "moviepipe:lambdaLayerPath": str(layer_dir),
    }


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[Declared] = []
        self.calls: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        inputs = dict(args.inputs)
        physical = inputs.get("name") or args.name
        outputs = {**inputs, **self._computed(args.typ, args.name, physical, inputs)}
        resource_id = physical if args.typ == "aws:s3/bucket:Bucket" else f"{args.name}-id"
        self.resources.append(Declared(args.typ, args.name, inputs, outputs, resource_id))
        return resource_id, outputs

    @staticmethod
    def _computed(typ: str, name: str, physical: str, inputs: dict) -> dict:
        service = typ.split(":")[1].split("/")[0]
        arn = f"arn:aws:{service}:{REGION}:{ACCOUNT}:{physical}"
        if typ == "aws:s3/bucket:Bucket":
            return {"bucket": physical, "arn": f"arn:aws:s3:::{physical}"}
        if typ == "aws:iam/role:Role":
            return {"name": physical, "arn": f"arn:aws:iam::{ACCOUNT}:role/{physical}"}
        if typ == "aws:cloudwatch/logGroup:LogGroup":
            return {"arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{physical}"}
        if typ == "aws:sqs/queue:Queue":
            return {"name": physical, "arn": arn, "url": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{physical}"}
        if typ == "aws:kms/key:Key":
            return {"arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{name}", "keyId": f"{name}-key-id"}
        if typ == "snowflake:index/pipe:Pipe":
            # Real Snowflake shares one queue per account/region; distinct here so a
            # crossed wire between pipes and prefixes shows up.
            return {"notificationChannel": f"arn:aws:sqs:{REGION}:{SNOWFLAKE_ACCOUNT}:sf-snowpipe-{physical}"}
        if typ == "snowflake:index/storageIntegrationAws:StorageIntegrationAws":
            return {"describeOutputs": [{"iamUserArn": f"arn:aws:iam::{SNOWFLAKE_ACCOUNT}:user/sf-storage",
                                         "externalId": "STORAGE_EXTERNAL_ID"}]}
        if typ == "snowflake:index/notificationIntegration:NotificationIntegration":
            return {"awsSnsIamUserArn": f"arn:aws:iam::{SNOWFLAKE_ACCOUNT}:user/sf-sns",
                    "awsSnsExternalId": "SNS_EXTERNAL_ID"}
        if typ.startswith("aws:"):
            return {"arn": arn, "name": physical}
        return {"name": physical}

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.calls.append(args.token)
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/deployer", "userId": "AIDA", "id": ACCOUNT}
        if args.token == "aws:index/getRegion:getRegion":
            return {"region": REGION, "name": REGION, "id": REGION}
        return {}


@dataclass
class Stack:
    """What one program run declared."""

    resources: list[Declared]
    exports: dict[str, object] = field(default_factory=dict)

    def of(self, type_: str) -> list[Declared]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name_part: str = "") -> Declared:
        found = [r for r in self.of(type_) if name_part in r.name]
        assert len(found) == 1, f"expected one {type_} named *{name_part}*, found {[r.name for r in found]}"
        return found[0]

    def by_id(self, resource_id: str) -> Declared:
        return next(r for r in self.resources if r.id == resource_id)

    def attached(self, type_: str, bucket: Declared) -> list[Declared]:
        return [r for r in self.of(type_) if r.inputs.get("bucket") == bucket.id]


def run_program(config: dict[str, str], secret_keys: list[str] | None = None) -> Stack:
    """Install fresh mocks and config, run ``infra/__main__.py``, wait for every registration."""
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="moviepipe", stack="test", preview=False)
    pulumi.runtime.set_all_config(config, SECRET_KEYS if secret_keys is None else secret_keys)
    exports: dict[str, object] = {}
    resolved: dict[str, object] = {}
    original_export = pulumi.export
    pulumi.export = lambda name, value: exports.__setitem__(name, value)  # no root Stack under mocks

    @pulumi.runtime.test
    def program():
        runpy.run_path(str(MAIN), run_name="__main__")
        names = list(exports)
        return pulumi.Output.all(*[exports[n] for n in names]).apply(
            lambda values: resolved.update(zip(names, values)))

    try:
        program()
    finally:
        pulumi.export = original_export
    return Stack(mocks.resources, resolved)
