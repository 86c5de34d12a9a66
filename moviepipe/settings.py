"""Configuration from the environment (``MOVIEPIPE_*``), validated by pydantic-settings.

Only the runtime factory (``moviepipe.runtime``) reads ``runtime``; the rest of
the code is handed resources and never asks where it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOVIEPIPE_", extra="ignore")

    #: ``local`` (default): folders + fakesnow. ``cloud``: S3, Lambda, Glue, Snowflake.
    runtime: Literal["local", "cloud"] = "local"
    #: Where the local runtime keeps buckets, warehouse, state and alerts.
    home: Path = Field(default=Path(".moviepipe"))
    #: Glue transform engine when run locally: sqlframe on DuckDB (no JVM) or PySpark.
    engine: Literal["duckdb", "spark"] = "duckdb"
    #: Source SQLAlchemy URL; empty means the bundled bokeh-sampledata movies.db.
    source: str = ""
    #: Rows per chunk when streaming from the source (bounds extraction memory).
    chunk_rows: int = Field(default=50_000, ge=1)
    #: SQL source: a mapping file (TOML/JSON) for a schema other than the default (docs/sources.md).
    mapping: str = ""
    #: SQL source overrides of the mapping's options (unset: the mapping's own value).
    drift_policy: Literal["evolve", "fail"] | None = None
    lookback_days: float | None = Field(default=None, ge=0)
    detect_deletes: bool | None = None

    # ---- OMDb API source (MOVIEPIPE_SOURCE=omdb); the key: OMDB_API_KEY or a Prefect Secret block ----
    #: Where the ids come from: a file (one per line), or a SQL URL + query/table (enrichment);
    #: none of them with ``omdb_refresh`` = the warehouse's current movies.
    omdb_ids: str = ""
    omdb_ids_sql: str = ""
    omdb_ids_query: str = ""
    #: Re-fetch ids already delivered (a refresh), instead of only new ones.
    omdb_refresh: bool = False
    omdb_secret_block: str = ""
    omdb_base_url: str = "https://www.omdbapi.com/"
    omdb_requests_per_second: float = Field(default=5.0, gt=0)
    omdb_daily_quota: int = Field(default=1000, ge=1)
    #: Ask OMDb again about ids it said it does not know ("Movie not found!", "Error getting data."):
    #: at once (``omdb_retry_missing``, the CLI's ``--retry-missing``), or once the answer is this many days old.
    omdb_retry_missing: bool = False
    omdb_retry_missing_after_days: float = Field(default=30.0, ge=0)
    #: Memory cap of each local DuckDB (the fakesnow warehouse, the sqlframe transform); beyond it
    #: DuckDB spills to disk, so peak memory stays bounded as the data grows.
    duckdb_memory_limit: str = Field(default="2GB", pattern=r"^\d+(\.\d+)?\s*[KMGT]i?B$")
    #: Snowflake names used to render ``sql/``.
    database: str = "MOVIEPIPE"
    warehouse: str = "MOVIEPIPE_WH"

    # ---- cloud runtime (MOVIEPIPE_RUNTIME=cloud); names are the Pulumi stack outputs ----
    #: ``landingBucket``, ``processedBucket``, ``archiveBucket``, ``artifactsBucket`` outputs.
    landing_bucket: str = ""
    processed_bucket: str = ""
    archive_bucket: str = ""
    #: Holds ``state/watermarks.json`` in the cloud (the container's disk does not survive).
    state_bucket: str = ""
    #: ``glueJobName`` output.
    glue_job_name: str = ""
    #: ``alertTopicArn`` output; alerts of the cloud runtime are published there.
    alert_topic_arn: str = ""
    #: Name of a ``prefect_aws.AwsCredentials`` block; empty = the standard AWS chain (env, profile, role).
    aws_credentials_block: str = ""
    #: Name of a prefect-snowflake ``SnowflakeConnector`` block (key-pair ``SnowflakeCredentials``,
    #: database, warehouse): the documented way to connect; else the account/user/secret settings below.
    snowflake_connector_block: str = ""
    #: Snowflake account identifier (``ORG-ACCOUNT``), user and role of the loader.
    snowflake_account: str = ""
    snowflake_user: str = ""
    snowflake_role: str = ""
    #: Name of a Prefect ``Secret`` block holding the Snowflake password; else ``SNOWFLAKE_PASSWORD``,
    #: or key-pair auth through ``SNOWFLAKE_PRIVATE_KEY_FILE``.
    snowflake_password_block: str = ""
    #: ``task``: EXECUTE TASK on the root and wait on TASK_HISTORY; ``direct``: run the task bodies here.
    merge_mode: Literal["task", "direct"] = "task"
    merge_root_task: str = "ANALYTICS.MERGE_DIM_MOVIE"
    #: Waits of the cloud stages (seconds) and their polling backoff.
    unzip_timeout: float = Field(default=900, gt=0)
    transform_timeout: float = Field(default=3600, gt=0)
    load_timeout: float = Field(default=900, gt=0)
    #: A batch file Snowpipe has no load record of after this long gets one ALTER PIPE ... REFRESH.
    load_refresh_after: float = Field(default=180, gt=0)
    merge_timeout: float = Field(default=900, gt=0)
    poll_initial: float = Field(default=2.0, gt=0)
    poll_max: float = Field(default=30.0, gt=0)
    #: Uploads larger than this go multipart (boto3 managed transfer).
    multipart_threshold_mb: int = Field(default=64, ge=5)

    # ---- alerts (both runtimes) ----
    #: Optional webhook (JSON POST) every alert is also sent to, e.g. a Slack/Teams relay.
    alert_webhook: str = ""
    #: Optional SMTP target: ``host[:port]``, sender and comma-separated recipients.
    alert_smtp: str = ""
    alert_smtp_from: str = "moviepipe@localhost"
    alert_smtp_to: str = ""
    #: Send a completion summary of every run that loaded a batch (default: cloud yes, local no).
    alert_on_success: bool | None = None
    #: How long a run waits for another run of the same source to finish before it is refused.
    source_lock_wait: float = Field(default=10, ge=0)
    #: Cloud only: how long a run's lease on its source lives without renewal (renewed every fifth of it).
    source_lock_lease: float = Field(default=300, gt=0)

    @property
    def success_alerts(self) -> bool:
        """Completion summaries: as configured, else on in the cloud (someone is waiting) and off locally."""
        return self.alert_on_success if self.alert_on_success is not None else self.runtime == "cloud"

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()


def load_settings(**overrides) -> Settings:
    return Settings(**{key: value for key, value in overrides.items() if value is not None})
