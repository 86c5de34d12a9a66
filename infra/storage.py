"""The S3 buckets and the KMS key that encrypts them.

Four buckets, each a :class:`SecureBucket` (versioned, SSE-KMS with a rotating
customer key, every public-access switch on, ACLs disabled, TLS-only policy,
lifecycle rules):

- ``landing``: batch zips arrive under ``incoming/``; rejects go to ``quarantine/``.
  Expires after ``landingExpireDays``: a zip is unpacked within minutes.
- ``processed``: unpacked batches (``<entity>/batch_id=<id>/``). Moves to Glacier
  after ``processedGlacierDays``, expires after ``processedExpireDays``.
- ``archive``: cleansed CSVs Snowpipe loads (``movies/``, ``rejected/``...). Glacier
  after 90 days; never expires: it is the replayable record of every load. Only the
  Glue job's ``_staging/`` folder (outputs before their rename) expires, after 2 days:
  a crashed run's leftovers.
- ``artifacts``: Glue scripts and the cloud runtime's state (``state/``). Kept out of
  ``processed`` so a lifecycle rule can never move a job script to Glacier under a
  running job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from infra import iam
from infra.settings import ARCHIVE_GLACIER_DAYS, Settings


@dataclass(frozen=True)
class Lifecycle:
    """One bucket-wide lifecycle policy; ``None`` leaves that step out."""

    glacier_after_days: int | None = None
    expire_after_days: int | None = None
    noncurrent_expire_days: int = 30
    extra_rules: list[aws.s3.BucketLifecycleConfigurationRuleArgs] = field(default_factory=list)

    def rules(self) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
        main = aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="age-out",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            transitions=(
                [aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=self.glacier_after_days, storage_class="GLACIER")]
                if self.glacier_after_days else None
            ),
            expiration=(
                aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=self.expire_after_days)
                if self.expire_after_days else None
            ),
            # Versioning keeps overwritten and deleted objects; without this they pile up forever.
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=self.noncurrent_expire_days,
            ),
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=7,
            ),
        )
        return [main, *self.extra_rules]


class SecureBucket(pulumi.ComponentResource):
    """A private, versioned, KMS-encrypted, TLS-only bucket with a lifecycle."""

    def __init__(self, name: str, *, key: aws.kms.Key, lifecycle: Lifecycle, force_destroy: bool,
                 tags: dict[str, str], opts: pulumi.ResourceOptions | None = None):
        super().__init__("moviepipe:storage:SecureBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(name, force_destroy=force_destroy, tags={**tags, "role": name}, opts=child)
        bucket_id = self.bucket.id

        self.ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=bucket_id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),  # ACLs off
            opts=child)
        self.public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access", bucket=bucket_id,
            block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True,
            opts=child)
        self.versioning = aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=bucket_id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child)
        self.encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", bucket=bucket_id,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=key.arn),
                bucket_key_enabled=True,  # one KMS call per object batch, not per object: cost
            )],
            opts=child)
        self.policy = aws.s3.BucketPolicy(
            f"{name}-tls-only", bucket=bucket_id,
            policy=tls_only_policy(self.bucket.arn),
            # A bucket policy is refused while BlockPublicPolicy is being applied.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.public_access]))
        self.lifecycle = aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle", bucket=bucket_id, rules=lifecycle.rules(),
            # Lifecycle rules on noncurrent versions need versioning in place first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]))

        self.name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.register_outputs({"name": self.name, "arn": self.arn})

    def uri(self, key: str = "") -> pulumi.Output[str]:
        return pulumi.Output.concat("s3://", self.name, "/", key)


def tls_only_policy(bucket_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """Deny every request that is not over TLS (aws:SecureTransport = false)."""
    return pulumi.Output.json_dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, iam.objects(bucket_arn)],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
    })


class DataLake(pulumi.ComponentResource):
    """The KMS key and the four buckets of the pipeline."""

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None):
        super().__init__("moviepipe:storage:DataLake", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"{settings.prefix}: S3 data encryption",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            tags=settings.tags,
            opts=child)
        self.key_alias = aws.kms.Alias(f"{name}-key-alias", name=f"alias/{settings.prefix}-data",
                                       target_key_id=self.key.key_id, opts=child)

        def bucket(role: str, lifecycle: Lifecycle) -> SecureBucket:
            return SecureBucket(f"{settings.prefix}-{role}", key=self.key, lifecycle=lifecycle,
                                force_destroy=settings.force_destroy_buckets, tags=settings.tags, opts=child)

        keep = settings.noncurrent_version_days
        self.landing = bucket("landing", Lifecycle(expire_after_days=settings.landing_expire_days,
                                                   noncurrent_expire_days=keep))
        self.processed = bucket("processed", Lifecycle(glacier_after_days=settings.processed_glacier_days,
                                                       expire_after_days=settings.processed_expire_days,
                                                       noncurrent_expire_days=keep))
        self.archive = bucket("archive", Lifecycle(
            glacier_after_days=ARCHIVE_GLACIER_DAYS, noncurrent_expire_days=keep,
            extra_rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="glue-staging", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=GLUE_STAGING_PREFIX),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=2),
            )]))
        self.artifacts = bucket("artifacts", Lifecycle(noncurrent_expire_days=keep))
        self.buckets = {"landing": self.landing, "processed": self.processed,
                        "archive": self.archive, "artifacts": self.artifacts}
        self.register_outputs({role: b.name for role, b in self.buckets.items()})


#: Where the Glue job writes each output before renaming it into place (archive bucket;
#: ``STAGING_DIR`` in glue/movies_io.py), outside every pipe's prefix.
GLUE_STAGING_PREFIX = "_staging/"
