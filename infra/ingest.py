"""The unzip Lambda: landing ``incoming/*.zip`` -> validated files in ``processed``.

The package is ``lambda/*.py`` plus the only parts of ``moviepipe`` the handler
imports (``__init__``, ``contract/``, ``objectstore``): no Pulumi, no pandas, no
Prefect. Its one third-party requirement, ``jsonschema`` (``lambda/requirements.txt``),
ships as a Lambda layer built beforehand (docs/deploy.md, "Build the Lambda layer").

Failure handling: S3 invokes Lambda asynchronously; after Lambda's retries a
failed event goes to the dead-letter queue (alarmed in ``alerting.py``). Reserved
concurrency caps how many batches unpack at once, so a burst of uploads cannot
starve the account's other functions.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pulumi
import pulumi_aws as aws

from infra import iam
from infra.settings import REPO_ROOT, ConfigError, Settings
from infra.storage import DataLake

HANDLER = "unzip_handler.handler"
RUNTIME = "python3.11"
ZIP_SUFFIX = ".zip"
INCOMING_PREFIX = "incoming/"
QUARANTINE_PREFIX = "quarantine/"


def package_files(root: Path = REPO_ROOT) -> dict[str, Path]:
    """Archive path -> local file for the Lambda package (only files that exist).

    Missing files are not an error here, so the program still previews while the
    handler is being written; ``policies.lambda_package_problems`` and the tests
    name what is missing.
    """
    files: dict[str, Path] = {}
    for path in sorted((root / "lambda").glob("*.py")):
        files[path.name] = path  # top level: the handler is ``unzip_handler.handler``
    objectstore = root / "moviepipe" / "objectstore.py"
    if objectstore.is_file():
        files[objectstore.relative_to(root).as_posix()] = objectstore
    return {**files, **contract_files(root)}


def contract_files(root: Path = REPO_ROOT) -> dict[str, Path]:
    """``moviepipe/__init__.py`` and ``moviepipe/contract/``: what the Lambda and the Glue job import."""
    pkg = root / "moviepipe"
    wanted = [pkg / "__init__.py"]
    wanted += [p for p in sorted((pkg / "contract").rglob("*")) if p.is_file() and "__pycache__" not in p.parts
               and p.suffix != ".pyc"]
    return {path.relative_to(root).as_posix(): path for path in wanted if path.is_file()}


def contract_requirements(root: Path = REPO_ROOT) -> str:
    """The contract's third-party requirements, one pin per line in ``lambda/requirements.txt``."""
    lines = (root / "lambda" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return ",".join(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def package_hash(files: dict[str, Path]) -> str:
    digest = hashlib.sha256()
    for name, path in sorted(files.items()):
        digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class UnzipLambda(pulumi.ComponentResource):
    """Function, role, layer, DLQ, log group and the landing bucket's ``.zip`` trigger."""

    def __init__(self, name: str, settings: Settings, lake: DataLake, alert_topic_arn: pulumi.Input[str],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("moviepipe:ingest:UnzipLambda", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        function_name = f"{settings.prefix}-unzip"

        self.dlq = aws.sqs.Queue(
            f"{name}-dlq", name=f"{function_name}-dlq",
            message_retention_seconds=14 * 24 * 3600,  # the SQS maximum: time to investigate
            sqs_managed_sse_enabled=True, tags=settings.tags, opts=child)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=f"/aws/lambda/{function_name}",
            retention_in_days=settings.log_retention_days, tags=settings.tags, opts=child)

        self.role = aws.iam.Role(f"{name}-role", assume_role_policy=iam.assume_role_policy("lambda.amazonaws.com"),
                                 tags=settings.tags, opts=child)
        landing, processed = lake.landing.arn, lake.processed.arn
        self.role_policy = aws.iam.RolePolicy(f"{name}-policy", role=self.role.id, policy=iam.document(
            # ListBucket turns a missing key into 404 (not 403): the handler relies on it.
            iam.allow("ListBuckets", ["s3:ListBucket"], [landing, processed]),
            iam.allow("ReadAndRemoveIncoming", ["s3:GetObject", "s3:DeleteObject"],
                      [iam.objects(landing, f"{INCOMING_PREFIX}*")]),
            iam.allow("WriteQuarantine", ["s3:PutObject"], [iam.objects(landing, f"{QUARANTINE_PREFIX}*")]),
            # Delete: a new zip of a batch first removes the old _SUCCESS, then files it no longer has.
            iam.allow("WriteProcessedBatches", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                      [iam.objects(processed, "*/batch_id=*")]),
            iam.kms_use(lake.key.arn, write=True),
            iam.allow("DeadLetter", ["sqs:SendMessage"], [self.dlq.arn]),
            iam.allow("QuarantineAlerts", ["sns:Publish"], [alert_topic_arn]),
            iam.log_writing(self.log_group.arn),
        ), opts=child)

        layer_dir = settings.lambda_layer_path
        if not (layer_dir / "python").is_dir():
            raise ConfigError(f"Lambda layer not built: {layer_dir}/python is missing. Build it with "
                              "`pip install -r lambda/requirements.txt -t build/lambda-layer/python "
                              "--platform manylinux2014_x86_64 --only-binary=:all: --python-version 3.11` "
                              "(docs/deploy.md) or point moviepipe:lambdaLayerPath at it.")
        self.layer = aws.lambda_.LayerVersion(
            f"{name}-deps", layer_name=f"{function_name}-deps", code=pulumi.FileArchive(str(layer_dir)),
            compatible_runtimes=[RUNTIME], description="jsonschema for the unzip Lambda (lambda/requirements.txt)",
            opts=child)

        files = package_files()
        if "unzip_handler.py" not in files:
            pulumi.log.warn("lambda/unzip_handler.py is missing: the unzip Lambda package has no handler", self)
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            runtime=RUNTIME,
            handler=HANDLER,
            code=pulumi.AssetArchive({arc: pulumi.FileAsset(str(path)) for arc, path in files.items()}),
            source_code_hash=package_hash(files),
            role=self.role.arn,
            layers=[self.layer.arn],
            timeout=settings.lambda_timeout_seconds,
            memory_size=settings.lambda_memory_mb,
            ephemeral_storage=aws.lambda_.FunctionEphemeralStorageArgs(size=4096),  # zips unpack in /tmp
            reserved_concurrent_executions=settings.lambda_reserved_concurrency,
            dead_letter_config=aws.lambda_.FunctionDeadLetterConfigArgs(target_arn=self.dlq.arn),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="Text", log_group=self.log_group.name),
            environment=aws.lambda_.FunctionEnvironmentArgs(variables={
                "PROCESSED_BUCKET": lake.processed.name,
                "ALERT_TOPIC_ARN": alert_topic_arn,
            }),
            tags=settings.tags,
            # The role's policy must exist before the first invocation can write logs.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role_policy, self.log_group]))

        self.s3_permission = aws.lambda_.Permission(
            f"{name}-s3-invoke", action="lambda:InvokeFunction", function=self.function.name,
            principal="s3.amazonaws.com", source_arn=landing,
            source_account=aws.get_caller_identity_output().account_id, opts=child)
        self.trigger = aws.s3.BucketNotification(
            f"{name}-trigger", bucket=lake.landing.bucket.id,
            lambda_functions=[aws.s3.BucketNotificationLambdaFunctionArgs(
                lambda_function_arn=self.function.arn,
                events=["s3:ObjectCreated:*"],
                filter_prefix=INCOMING_PREFIX,
                filter_suffix=ZIP_SUFFIX,
            )],
            # S3 tests the target when the notification is saved: the permission must exist.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.s3_permission]))

        self.name = self.function.name
        self.register_outputs({"name": self.name, "dlq": self.dlq.name})
