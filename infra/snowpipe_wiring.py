"""Archive bucket -> Snowpipe: S3 event notifications into each pipe's SQS queue.

An auto-ingest pipe exposes ``notification_channel``, an SQS queue owned by
Snowflake. The archive bucket notifies that queue for every ``.csv`` created
under the pipe's stage path (``movies/``, ``rejected/`` — read from ``sql/pipes``),
so the prefixes Snowpipe loads and the prefixes S3 announces cannot disagree.

S3 allows one notification configuration per bucket: this resource owns the
archive bucket's. (Prefixes of different pipes must not overlap; S3 refuses
overlapping filters for the same event type.)
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_snowflake as snowflake

from infra.storage import SecureBucket
from moviepipe.warehouse.sqlfiles import PipeDef

CSV_SUFFIX = ".csv"


def stage_prefix(pipe: PipeDef) -> str:
    """``/movies/`` -> ``movies/``: the key prefix under the stage URL (the bucket root)."""
    prefix = pipe.stage_path.strip("/")
    return f"{prefix}/" if prefix else ""


class SnowpipeWiring(pulumi.ComponentResource):
    def __init__(self, name: str, *, archive: SecureBucket, pipes: list[tuple[PipeDef, snowflake.Pipe]],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("moviepipe:snowpipe:SnowpipeWiring", name, None, opts)
        auto = [(d, p) for d, p in pipes if d.auto_ingest]
        self.notification = aws.s3.BucketNotification(
            f"{name}-archive-to-snowpipe",
            bucket=archive.bucket.id,
            queues=[aws.s3.BucketNotificationQueueArgs(
                id=pipe_def.name.lower().replace(".", "-"),
                queue_arn=pipe.notification_channel,
                events=["s3:ObjectCreated:*"],
                filter_prefix=stage_prefix(pipe_def),
                filter_suffix=CSV_SUFFIX,
            ) for pipe_def, pipe in auto],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[p for _, p in auto]))
        self.register_outputs({})
