"""Stack configuration, read once and validated, so modules never touch ``pulumi.Config``.

Every key is documented in ``Pulumi.dev.yaml``. Secrets (Snowflake credentials,
alert e-mail addresses) are refused unless they were set with
``pulumi config set --secret``: a plaintext credential in a committed stack file
is a leak, and this is the one place that can notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi

REPO_ROOT = Path(__file__).resolve().parents[1]

#: Archive objects move to Glacier after this many days (issue 6: fixed at 90).
#: Snowpipe loads a file within minutes, so nothing ever reads it from Glacier.
ARCHIVE_GLACIER_DAYS = 90

#: Preview resources of pulumi-snowflake 2.22 this program uses; the provider
#: refuses them unless they are listed.
SNOWFLAKE_PREVIEW_FEATURES = (
    "snowflake_pipe_resource",
    "snowflake_notification_integration_resource",
)


#: vCPUs of each Glue worker type (AWS Glue docs, "Worker type"); G.1X is the default.
GLUE_WORKER_VCPUS = {"G.025X": 2, "G.1X": 4, "G.2X": 8, "G.4X": 16, "G.8X": 32}


class ConfigError(ValueError):
    """A stack setting is missing, malformed, or a secret stored in plaintext."""


@dataclass(frozen=True)
class SnowflakeSettings:
    organization: str
    account: str
    user: str
    role: str
    database: str
    warehouse: str
    warehouse_size: str
    auto_suspend_seconds: int
    private_key: pulumi.Output[str] | None
    private_key_passphrase: pulumi.Output[str] | None
    password: pulumi.Output[str] | None
    protect_data: bool
    task_compute: str = "warehouse"  # warehouse | serverless (snowflakeTaskCompute)
    task_trigger: str = "schedule"  # schedule | stream (snowflakeTaskTrigger)


@dataclass(frozen=True)
class Settings:
    project: str
    stack: str
    prefix: str
    landing_expire_days: int
    processed_glacier_days: int
    processed_expire_days: int
    noncurrent_version_days: int
    force_destroy_buckets: bool
    log_retention_days: int
    lambda_reserved_concurrency: int
    lambda_timeout_seconds: int
    lambda_memory_mb: int
    lambda_layer_path: Path
    glue_workers: int
    glue_worker_type: str
    glue_flex: bool
    glue_timeout_minutes: int
    alert_emails: tuple[pulumi.Output[str], ...]
    snowflake: SnowflakeSettings
    tags: dict[str, str]


def _secret(config: pulumi.Config, key: str) -> pulumi.Output[str] | None:
    """A config value that must have been stored with ``--secret``."""
    if config.get(key) is None:
        return None
    if not pulumi.runtime.is_config_secret(f"{config.name}:{key}"):
        raise ConfigError(f"{config.name}:{key} is stored in plaintext; set it with `pulumi config set --secret {key}`")
    return config.require_secret(key)


def _positive(config: pulumi.Config, key: str, default: int) -> int:
    value = config.get_int(key, default)
    if value <= 0:
        raise ConfigError(f"{config.name}:{key} must be a positive integer, got {value}")
    return value


def _glue_workers(config: pulumi.Config) -> int:
    workers = _positive(config, "glueWorkers", 2)
    if workers < 2:
        raise ConfigError("moviepipe:glueWorkers must be at least 2 (Glue's minimum for G.1X)")
    return workers


def _glue_worker_type(config: pulumi.Config) -> str:
    worker_type = config.get("glueWorkerType") or "G.1X"
    if worker_type not in GLUE_WORKER_VCPUS:
        raise ConfigError(f"moviepipe:glueWorkerType must be one of {', '.join(GLUE_WORKER_VCPUS)}, "
                          f"got {worker_type!r}")
    return worker_type


def _choice(config: pulumi.Config, key: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (the first is the default)."""
    value = (config.get(key) or choices[0]).lower()
    if value not in choices:
        raise ConfigError(f"{config.name}:{key} must be one of {', '.join(choices)}, got {value!r}")
    return value


def load() -> Settings:
    """Read and check the whole stack configuration (``moviepipe:*`` keys)."""
    config = pulumi.Config()
    project, stack = pulumi.get_project(), pulumi.get_stack()
    prefix = config.get("namePrefix") or f"{project}-{stack}"

    emails: tuple[pulumi.Output[str], ...] = ()
    if config.get("alertEmails") is not None:
        if not pulumi.runtime.is_config_secret(f"{config.name}:alertEmails"):
            raise ConfigError("moviepipe:alertEmails is stored in plaintext; "
                              "set it with `pulumi config set --secret alertEmails '[\"ops@example.org\"]'`")
        # The count is needed to declare one subscription per address; the addresses
        # themselves stay secret (resources are named by index, never by address).
        emails = tuple(pulumi.Output.secret(address) for address in config.get_object("alertEmails"))

    landing_days = _positive(config, "landingExpireDays", 14)
    processed_glacier = _positive(config, "processedGlacierDays", 30)
    processed_expire = _positive(config, "processedExpireDays", 365)
    if processed_expire <= processed_glacier:
        raise ConfigError("moviepipe:processedExpireDays must be later than processedGlacierDays")

    snowflake = SnowflakeSettings(
        organization=config.require("snowflakeOrganization"),
        account=config.require("snowflakeAccount"),
        user=config.require("snowflakeUser"),
        role=config.get("snowflakeRole") or "ACCOUNTADMIN",
        database=(config.get("snowflakeDatabase") or "MOVIEPIPE").upper(),
        warehouse=(config.get("snowflakeWarehouse") or "MOVIEPIPE_WH").upper(),
        warehouse_size=(config.get("snowflakeWarehouseSize") or "XSMALL").upper(),
        auto_suspend_seconds=_positive(config, "snowflakeAutoSuspendSeconds", 60),
        private_key=_secret(config, "snowflakePrivateKey"),
        private_key_passphrase=_secret(config, "snowflakePrivateKeyPassphrase"),
        password=_secret(config, "snowflakePassword"),
        protect_data=config.get_bool("protectData", True),
        task_compute=_choice(config, "snowflakeTaskCompute", ("warehouse", "serverless")),
        task_trigger=_choice(config, "snowflakeTaskTrigger", ("schedule", "stream")),
    )
    if (snowflake.private_key is None) == (snowflake.password is None):
        raise ConfigError("set exactly one of moviepipe:snowflakePrivateKey (key pair, preferred) "
                          "or moviepipe:snowflakePassword, both with --secret")

    layer = Path(config.get("lambdaLayerPath") or "build/lambda-layer")
    return Settings(
        project=project,
        stack=stack,
        prefix=prefix,
        landing_expire_days=landing_days,
        processed_glacier_days=processed_glacier,
        processed_expire_days=processed_expire,
        noncurrent_version_days=_positive(config, "noncurrentVersionDays", 30),
        force_destroy_buckets=config.get_bool("forceDestroyBuckets", False),
        log_retention_days=_positive(config, "logRetentionDays", 30),
        lambda_reserved_concurrency=_positive(config, "lambdaReservedConcurrency", 5),
        lambda_timeout_seconds=_positive(config, "lambdaTimeoutSeconds", 300),
        lambda_memory_mb=_positive(config, "lambdaMemoryMb", 1024),
        lambda_layer_path=layer if layer.is_absolute() else REPO_ROOT / layer,
        glue_workers=_glue_workers(config),
        glue_worker_type=_glue_worker_type(config),
        glue_flex=config.get_bool("glueFlex", False),
        glue_timeout_minutes=_positive(config, "glueTimeoutMinutes", 60),
        alert_emails=emails,
        snowflake=snowflake,
        tags={"project": project, "stack": stack, "managed-by": "pulumi"},
    )
