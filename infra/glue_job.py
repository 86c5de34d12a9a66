"""The Glue job (processed -> archive) and the Glue Data Catalog over both buckets.

``glue/movies_job.py`` is the entry script; every other ``glue/*.py`` is an
extra Python file (``--extra-py-files``). They are uploaded to the artifacts
bucket under ``glue-scripts/`` and re-uploaded whenever their content changes.
The job also imports ``moviepipe.contract`` (manifest validation, the archive
contract): it is shipped as ``moviepipe_contract.zip`` among the extra files, and
its one dependency, jsonschema, through ``--additional-python-modules``. The cloud
runtime starts each run with ``--batch_id``, ``--processed_uri`` (the batch's raw
CSV) and ``--archive_uri``; the defaults below only name the buckets.

The catalog tables let Athena query what the pipeline wrote without Snowflake;
their columns come from the contract (processed) and the pipes' COPY column
lists (archive), so they cannot drift from what is actually written.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pulumi
import pulumi_aws as aws

from infra import iam, ingest
from infra.settings import GLUE_WORKER_VCPUS, REPO_ROOT, Settings
from infra.storage import GLUE_STAGING_PREFIX, DataLake
from moviepipe.contract import archive as archive_contract
from moviepipe.warehouse import sqlfiles

GLUE_VERSION = "5.0"
ENTRY_SCRIPT = "movies_job.py"
SCRIPTS_PREFIX = "glue-scripts/"
#: Archive prefixes the job writes (one per contract entity); the pipes' stage paths read the same ones.
ARCHIVE_PREFIXES = tuple(f"{entity}/" for entity in archive_contract.ENTITIES)
#: Where the job writes its result JSON (row counts), outside every pipe's prefix.
RESULTS_PREFIX = "_results/"
CONTRACT_ZIP = "moviepipe_contract.zip"


def script_files(root: Path = REPO_ROOT) -> tuple[Path, list[Path]]:
    """The entry script and the extra Python files, from ``glue/``."""
    folder = root / "glue"
    extras = [p for p in sorted(folder.glob("*.py")) if p.name != ENTRY_SCRIPT]
    return folder / ENTRY_SCRIPT, extras


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest() if path.is_file() else "missing"


def copy_columns(copy_statement: str) -> list[str]:
    """The archive CSV's columns in file order: the COPY's columns loaded from $1..$n (not METADATA$)."""
    return [c.lower() for c in sqlfiles.file_columns(copy_statement)]


def shuffle_partitions(worker_type: str, workers: int) -> int:
    """One Spark shuffle partition per executor core: Glue runs the driver on one worker and
    an executor with the worker type's vCPUs on each of the others (2 x G.1X -> 4)."""
    return max(workers - 1, 1) * GLUE_WORKER_VCPUS[worker_type]


def glue_role_policy(*, artifacts_arn, processed_arn, archive_arn, key_arn, account, region) -> pulumi.Output[str]:
    """What the job does, and what Glue does as the job's role (tests/iam replays both under it).

    The job reads one processed batch and writes every archive entity, its result JSON, and the
    staging folder each output is written to before it is renamed into place (a rename on S3 is
    a copy and a delete, hence Get/Put/Delete). ListBucket lets a missing key read as 404, which
    Spark's file system relies on for every exists() check. Glue itself reads the scripts and
    writes logs and metrics with this role.
    """
    writes = (*ARCHIVE_PREFIXES, RESULTS_PREFIX, GLUE_STAGING_PREFIX)
    return iam.document(
        iam.allow("ReadScripts", ["s3:GetObject"], [iam.objects(artifacts_arn, f"{SCRIPTS_PREFIX}*")]),
        iam.allow("ListBuckets", ["s3:ListBucket"], [processed_arn, archive_arn]),
        iam.allow("ReadProcessed", ["s3:GetObject"], [iam.objects(processed_arn, "*/batch_id=*")]),
        iam.allow("WriteArchive", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                  [iam.objects(archive_arn, f"{p}*") for p in writes]),
        iam.kms_use(key_arn, write=True),
        iam.allow("GlueLogs", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                  [pulumi.Output.concat("arn:aws:logs:", region, ":", account, ":log-group:/aws-glue/*")]),
        iam.allow("GlueMetrics", ["cloudwatch:PutMetricData"], ["*"],
                  condition={"StringEquals": {"cloudwatch:namespace": "Glue"}}),
    )


class GlueJob(pulumi.ComponentResource):
    """Scripts, role, log group, the job itself, and the catalog database/tables."""

    def __init__(self, name: str, settings: Settings, lake: DataLake,
                 raw_columns: list[str], archive_columns: dict[str, list[str]],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("moviepipe:glue:GlueJob", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        job_name = f"{settings.prefix}-movies"
        artifacts = lake.artifacts

        entry, extras = script_files()
        if not entry.is_file():
            pulumi.log.warn(f"glue/{ENTRY_SCRIPT} is missing: the Glue job has no script yet", self)

        def upload(path: Path, key: str) -> aws.s3.BucketObjectv2:
            return aws.s3.BucketObjectv2(
                f"{name}-{path.stem}", bucket=artifacts.bucket.id, key=key,
                source=pulumi.FileAsset(str(path)), source_hash=_md5(path),
                content_type="text/x-python", opts=child)

        self.script = upload(entry, f"{SCRIPTS_PREFIX}{entry.name}")
        self.extra_files = [upload(p, f"{SCRIPTS_PREFIX}lib/{p.name}") for p in extras]
        contract = ingest.contract_files()
        self.contract_zip = aws.s3.BucketObjectv2(
            f"{name}-contract", bucket=artifacts.bucket.id, key=f"{SCRIPTS_PREFIX}lib/{CONTRACT_ZIP}",
            source=pulumi.AssetArchive({arc: pulumi.FileAsset(str(path)) for arc, path in contract.items()}),
            source_hash=ingest.package_hash(contract), content_type="application/zip", opts=child)
        self.extra_files.append(self.contract_zip)
        extra_uris = [artifacts.uri(f"{SCRIPTS_PREFIX}lib/{p.name}") for p in extras]
        extra_uris.append(artifacts.uri(f"{SCRIPTS_PREFIX}lib/{CONTRACT_ZIP}"))

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=f"/aws-glue/jobs/{job_name}",
            retention_in_days=settings.log_retention_days, tags=settings.tags, opts=child)

        self.role = aws.iam.Role(f"{name}-role", assume_role_policy=iam.assume_role_policy("glue.amazonaws.com"),
                                 tags=settings.tags, opts=child)
        account = aws.get_caller_identity_output().account_id
        region = aws.get_region_output().region
        archive = lake.archive.arn
        self.role_policy = aws.iam.RolePolicy(f"{name}-policy", role=self.role.id, policy=glue_role_policy(
            artifacts_arn=artifacts.arn, processed_arn=lake.processed.arn, archive_arn=archive,
            key_arn=lake.key.arn, account=account, region=region), opts=child)

        self.job = aws.glue.Job(
            f"{name}-job",
            name=job_name,
            role_arn=self.role.arn,
            glue_version=GLUE_VERSION,
            worker_type=settings.glue_worker_type,
            number_of_workers=settings.glue_workers,
            execution_class="FLEX" if settings.glue_flex else "STANDARD",
            timeout=settings.glue_timeout_minutes,
            max_retries=0,  # the orchestrator retries with the same batch id; Glue retries would double-run
            command=aws.glue.JobCommandArgs(name="glueetl", python_version="3",
                                            script_location=artifacts.uri(f"{SCRIPTS_PREFIX}{entry.name}")),
            default_arguments={
                "--job-language": "python",
                # Glue rejects an empty --extra-py-files, so the key exists only with files.
                **({"--extra-py-files": pulumi.Output.all(*extra_uris).apply(",".join)} if extra_uris else {}),
                "--additional-python-modules": ingest.contract_requirements(),
                "--processed_uri": lake.processed.uri(),
                "--archive_uri": lake.archive.uri(),
                "--shuffle_partitions": str(shuffle_partitions(settings.glue_worker_type, settings.glue_workers)),
                "--enable-metrics": "true",
                "--enable-job-insights": "true",
                "--enable-continuous-cloudwatch-log": "true",
                "--continuous-log-logGroup": self.log_group.name,
            },
            tags=settings.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.script, *self.extra_files, self.role_policy]))

        self.database = aws.glue.CatalogDatabase(
            f"{name}-catalog", name=job_name.replace("-", "_"),
            description="moviepipe processed and archived batches (Athena)", opts=child)
        self.tables = [
            self._csv_table("processed_movies", lake.processed.uri("movies/"), raw_columns),
            *[self._csv_table(f"archive_{prefix.rstrip('/')}", lake.archive.uri(prefix), columns)
              for prefix, columns in archive_columns.items()],
        ]

        self.name = self.job.name
        self.register_outputs({"name": self.name, "catalog": self.database.name})

    def _csv_table(self, table: str, location: pulumi.Input[str], columns: list[str]) -> aws.glue.CatalogTable:
        """A header-first CSV table over a prefix; all columns string (cast in the query)."""
        return aws.glue.CatalogTable(
            f"{self._name}-{table}", name=table, database_name=self.database.name,
            table_type="EXTERNAL_TABLE",
            parameters={"classification": "csv", "skip.header.line.count": "1", "EXTERNAL": "TRUE"},
            storage_descriptor=aws.glue.CatalogTableStorageDescriptorArgs(
                location=location,
                input_format="org.apache.hadoop.mapred.TextInputFormat",
                output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                ser_de_info=aws.glue.CatalogTableStorageDescriptorSerDeInfoArgs(
                    serialization_library="org.apache.hadoop.hive.serde2.OpenCSVSerde",
                    parameters={"separatorChar": ",", "quoteChar": '"', "escapeChar": "\\"}),
                columns=[aws.glue.CatalogTableStorageDescriptorColumnArgs(name=c.lower(), type="string")
                         for c in columns],
            ),
            opts=pulumi.ResourceOptions(parent=self))
