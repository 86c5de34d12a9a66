"""How Pulumi reaches Snowflake, and how Snowflake reaches AWS.

- :func:`snowflake_provider`: key-pair (or password) login from secret config, with
  the preview resources this program uses switched on.
- :class:`SnowflakeAccess`: the storage integration (Snowflake reads the archive
  bucket) and the notification integration (Snowflake publishes pipe and task
  errors to the alert topic), each with the IAM role it assumes.

Circularity: an integration needs its role's ARN, and the role's trust policy
needs the integration's IAM user and external id. The role ARN is therefore
built from a fixed role name and the account id (no dependency on the role),
the integration is created first, and the role trusts the integration's outputs.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_snowflake as snowflake

from infra import iam
from infra.settings import SNOWFLAKE_PREVIEW_FEATURES, Settings
from infra.storage import SecureBucket


def snowflake_provider(settings: Settings) -> snowflake.Provider:
    sf = settings.snowflake
    return snowflake.Provider(
        "snowflake",
        organization_name=sf.organization,
        account_name=sf.account,
        user=sf.user,
        role=sf.role,
        authenticator="SNOWFLAKE_JWT" if sf.private_key is not None else None,
        private_key=sf.private_key,
        private_key_passphrase=sf.private_key_passphrase,
        password=sf.password,
        preview_features_enabled=list(SNOWFLAKE_PREVIEW_FEATURES),
    )


def sf_identifier(settings: Settings, suffix: str) -> str:
    """``moviepipe-dev`` + ``LOADER`` -> ``MOVIEPIPE_DEV_LOADER``: a Snowflake-safe account-level name."""
    return f"{settings.prefix}_{suffix}".upper().replace("-", "_")


def storage_integration_name(settings: Settings) -> str:
    """Known before anything is created: the stage SQL is rendered with it."""
    return sf_identifier(settings, "ARCHIVE")


def role_arn(account_id: pulumi.Input[str], role_name: str) -> pulumi.Output[str]:
    return pulumi.Output.concat("arn:aws:iam::", account_id, ":role/", role_name)


class SnowflakeAccess(pulumi.ComponentResource):
    """Storage integration + its S3 role; notification integration + its SNS role."""

    def __init__(self, name: str, settings: Settings, *, provider: snowflake.Provider, archive: SecureBucket,
                 archive_prefixes: list[str], kms_key_arn: pulumi.Input[str], alert_topic_arn: pulumi.Input[str],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("moviepipe:snowflake:SnowflakeAccess", name, None, opts)
        aws_child = pulumi.ResourceOptions(parent=self)
        sf_child = pulumi.ResourceOptions(parent=self, provider=provider)
        account = aws.get_caller_identity_output().account_id

        # --- Snowflake reads the archive bucket (external stage, Snowpipe) ---------------
        s3_role_name = f"{settings.prefix}-snowflake-s3"
        self.storage_integration = snowflake.StorageIntegrationAws(
            f"{name}-storage",
            name=storage_integration_name(settings),
            enabled=True,
            storage_provider="S3",
            storage_aws_role_arn=role_arn(account, s3_role_name),
            storage_allowed_locations=[archive.uri()],
            comment="moviepipe: Snowpipe reads the archive bucket",
            opts=sf_child)
        described = self.storage_integration.describe_outputs[0]
        self.s3_role = aws.iam.Role(
            f"{name}-s3-role", name=s3_role_name,
            assume_role_policy=iam.assume_role_with_external_id(described.iam_user_arn, described.external_id),
            tags=settings.tags, opts=aws_child)
        self.s3_role_policy = aws.iam.RolePolicy(f"{name}-s3-policy", role=self.s3_role.id, policy=iam.document(
            iam.allow("ReadLoadPrefixes", ["s3:GetObject", "s3:GetObjectVersion"],
                      [iam.objects(archive.arn, f"{p}*") for p in archive_prefixes]),
            iam.allow("ListLoadPrefixes", ["s3:ListBucket"], [archive.arn],
                      condition={"StringLike": {"s3:prefix": [f"{p}*" for p in archive_prefixes]}}),
            iam.allow("BucketLocation", ["s3:GetBucketLocation"], [archive.arn]),
            iam.kms_use(kms_key_arn, write=False),
        ), opts=aws_child)

        # --- Snowflake publishes pipe and task errors to the alert topic -------------------
        sns_role_name = f"{settings.prefix}-snowflake-sns"
        self.notification_integration = snowflake.NotificationIntegration(
            f"{name}-alerts",
            name=sf_identifier(settings, "ALERTS"),
            enabled=True,
            type="QUEUE",
            direction="OUTBOUND",
            notification_provider="AWS_SNS",
            aws_sns_topic_arn=alert_topic_arn,
            aws_sns_role_arn=role_arn(account, sns_role_name),
            comment="moviepipe: pipe and task errors to SNS",
            opts=sf_child)
        self.sns_role = aws.iam.Role(
            f"{name}-sns-role", name=sns_role_name,
            assume_role_policy=iam.assume_role_with_external_id(
                self.notification_integration.aws_sns_iam_user_arn,
                self.notification_integration.aws_sns_external_id),
            tags=settings.tags, opts=aws_child)
        self.sns_role_policy = aws.iam.RolePolicy(f"{name}-sns-policy", role=self.sns_role.id, policy=iam.document(
            iam.allow("PublishErrors", ["sns:Publish"], [alert_topic_arn]),
        ), opts=aws_child)

        self.storage_integration_name = self.storage_integration.name
        self.notification_integration_name = self.notification_integration.name
        #: Snowflake objects that use an integration must wait for its role to be usable.
        self.ready = [self.s3_role_policy, self.sns_role_policy]
        self.register_outputs({"storage_integration": self.storage_integration_name,
                               "notification_integration": self.notification_integration_name})
