"""The role the Prefect flow runs assume on ECS (the task role), least privilege.

A flow run in the cloud runtime (``moviepipe/runtime/cloud``) does, on AWS:

- **land**: HEAD the landing key (skip when the same bytes are there), then a managed
  upload under ``incoming/`` (multipart above a threshold; a multipart upload to an
  SSE-KMS bucket needs ``kms:Decrypt`` as well as ``kms:GenerateDataKey``);
- **wait for the unzip Lambda**: read ``<entity>/batch_id=<id>/_SUCCESS`` in processed, or
  ``quarantine/<name>.reason.json`` in landing;
- **Glue**: list the job's runs (a retried task attaches to a running one), start a run,
  poll it;
- **read the job's results**: ``_results/`` in archive, or, when the job wrote none, its
  entity CSVs (counted), and list each entity's batch folder;
- **state**: watermarks, key scans and column baselines under ``state/`` in the
  artifacts bucket (``MOVIEPIPE_STATE_BUCKET``);
- **alerts**: publish to the alert topic.

ListBucket on each bucket it reads makes a missing key answer 404 (S3 answers 403
without it); the runtime waits on missing keys all the time. Snowflake is reached with
Snowflake credentials, not this role. tests/iam runs those calls under exactly this
policy (moto, IAM enforced). The ECS task *execution* role (image pull, awslogs) is the
cluster's concern and is not declared here.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from infra import iam
from infra.glue_job import RESULTS_PREFIX
from infra.ingest import INCOMING_PREFIX, QUARANTINE_PREFIX
from infra.settings import Settings
from infra.storage import DataLake

#: Where the cloud runtime keeps what runs remember (``moviepipe/state.py``).
STATE_PREFIX = "state/"
SNAPSHOTS_PREFIX = "state/sources/"


class WorkerRole(pulumi.ComponentResource):
    """The ECS task role of the flow runs (``prefect.yaml``'s ECS pool: ``task_role_arn``)."""

    def __init__(self, name: str, settings: Settings, lake: DataLake, *, glue_job_name: pulumi.Input[str],
                 alert_topic_arn: pulumi.Input[str], archive_prefixes: list[str],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("moviepipe:worker:WorkerRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity_output().account_id
        self.role = aws.iam.Role(f"{name}-role", name=f"{settings.prefix}-flow-runs",
                                 assume_role_policy=ecs_task_trust(account), tags=settings.tags, opts=child)
        region = aws.get_region_output().region
        glue_job_arn = pulumi.Output.concat("arn:aws:glue:", region, ":", account, ":job/", glue_job_name)
        landing, processed, archive, state = (lake.landing.arn, lake.processed.arn, lake.archive.arn,
                                              lake.artifacts.arn)
        self.role_policy = aws.iam.RolePolicy(f"{name}-policy", role=self.role.id, policy=iam.document(
            iam.allow("ListBuckets", ["s3:ListBucket"], [landing, processed, archive, state]),
            iam.allow("LandBatches", ["s3:GetObject", "s3:PutObject"], [iam.objects(landing, f"{INCOMING_PREFIX}*")]),
            iam.allow("ReadQuarantineReasons", ["s3:GetObject"],
                      [iam.objects(landing, f"{QUARANTINE_PREFIX}*.reason.json")]),
            iam.allow("ReadUnzipMarkers", ["s3:GetObject"], [iam.objects(processed, "*/batch_id=*/_SUCCESS")]),
            iam.allow("ReadTransformResults", ["s3:GetObject"],
                      [iam.objects(archive, f"{p}*") for p in (RESULTS_PREFIX, *archive_prefixes)]),
            iam.allow("ReadWriteState", ["s3:GetObject", "s3:PutObject"], [iam.objects(state, f"{STATE_PREFIX}*")]),
            # A commit prunes the key-scan snapshots no watermark points at any more (moviepipe/state.py).
            iam.allow("PruneSnapshots", ["s3:DeleteObject"], [iam.objects(state, f"{SNAPSHOTS_PREFIX}*")]),
            iam.kms_use(lake.key.arn, write=True),
            iam.allow("RunGlueJob", ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns"], [glue_job_arn]),
            iam.allow("PublishAlerts", ["sns:Publish"], [alert_topic_arn]),
        ), opts=child)
        self.arn = self.role.arn
        self.register_outputs({"arn": self.arn})


def ecs_task_trust(account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """ECS tasks of this account only may assume the role (aws:SourceAccount: confused deputy)."""
    return pulumi.Output.json_dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }],
    })
