"""The cloud runtime's connections from Prefect blocks: prefect-aws ``AwsCredentials`` and
prefect-snowflake ``SnowflakeConnector`` (key-pair ``SnowflakeCredentials``), saved on a real
Prefect (test) server and loaded by name, against moto and fakesnow.

What is real: the blocks are saved and loaded through the Prefect API; ``AwsCredentials.get_client``
builds the boto3 clients (against moto in-process, and against a moto *server* reached only
through the block's ``endpoint_url``); ``SnowflakeCredentials`` decrypts the key pair and
``SnowflakeConnector.get_connection()`` opens the connection, which fakesnow answers. What fakesnow
cannot show: that Snowflake accepts the key (authentication), see docs/deploy.md.
"""

from __future__ import annotations

import boto3
import pytest
import snowflake.connector
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cloud_harness import HarnessSnowflake
from test_cloud_runtime import carry

from moviepipe.errors import StageError
from moviepipe.runtime.cloud import CloudRuntime, aws
from moviepipe.runtime.cloud.snowflake import connect

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(scope="module")
def key_pair():
    """An encrypted PKCS#8 PEM (what `openssl genrsa | openssl pkcs8 -v2 aes256` writes) and its DER."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(PASSPHRASE.encode()))
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pem, der


def save_connector(name: str, pem: bytes, database: str = "MOVIEPIPE") -> None:
    from prefect_snowflake import SnowflakeConnector, SnowflakeCredentials

    credentials = SnowflakeCredentials(account="myorg-moviepipe", user="MOVIEPIPE_RUNTIME", role="MOVIEPIPE_LOADER",
                                       private_key=pem, private_key_passphrase=PASSPHRASE)
    SnowflakeConnector(credentials=credentials, database=database, warehouse="MOVIEPIPE_WH",
                       schema="RAW").save(name, overwrite=True)


def save_aws(name: str, **parameters) -> None:
    from prefect_aws import AwsClientParameters, AwsCredentials

    AwsCredentials(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1",
                   aws_client_parameters=AwsClientParameters(**parameters)).save(name, overwrite=True)


def connect_calls() -> list[dict]:
    """What fakesnow's patched ``snowflake.connector.connect`` was called with (the harness patched it)."""
    return [call.kwargs for call in snowflake.connector.connect.call_args_list]


def test_a_batch_runs_on_clients_and_a_connection_from_prefect_blocks(harness, packaged_batch, key_pair):
    pem, der = key_pair
    save_aws("moviepipe-test-aws")
    save_connector("moviepipe-test-snowflake", pem)
    settings = harness.settings(aws_credentials_block="moviepipe-test-aws",
                                snowflake_connector_block="moviepipe-test-snowflake")
    rt = CloudRuntime(settings, sleep=harness.sleep,
                      control=lambda wh: HarnessSnowflake(harness, wh, settings.database, settings.warehouse))
    try:
        *_, reconciled = carry(rt, packaged_batch)
        assert reconciled["balanced"] and reconciled["extracted"] == packaged_batch["rows"]
        # The ledger was written through the block's connection, and the harness's own sees it.
        assert {row["STATE"] for row in rt.ledger.rows(packaged_batch["batch_id"])} == {"succeeded"}
        assert rt.warehouse.connection is not harness.wh.connection
    finally:
        rt.close()
    assert harness.wh.scalar("SELECT COUNT(*) FROM RAW.MOVIES") == reconciled["loaded"]

    (call,) = [c for c in connect_calls() if c.get("account")]
    assert call["private_key"] == der, "the block decrypted the key pair and passed the DER key"
    assert "password" not in call and "private_key_passphrase" not in call
    assert (call["user"], call["role"], call["database"], call["warehouse"], call["schema"]) == \
        ("MOVIEPIPE_RUNTIME", "MOVIEPIPE_LOADER", "MOVIEPIPE", "MOVIEPIPE_WH", "RAW")
    assert call["session_parameters"] == {"QUERY_TAG": "moviepipe", "TIMEZONE": "UTC"}


def test_the_aws_block_endpoint_keys_and_region_are_what_the_clients_use(monkeypatch):
    """No mock in-process: the only way to reach this moto server is the block's endpoint_url."""
    from moto.server import ThreadedMotoServer

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION",
                 "AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        save_aws("moviepipe-test-endpoint", endpoint_url=endpoint)
        s3 = aws.client_factory("moviepipe-test-endpoint")("s3")
        s3.create_bucket(Bucket="moviepipe-block-test")
        s3.put_object(Bucket="moviepipe-block-test", Key="incoming/a.zip", Body=b"zip")
        direct = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        assert direct.get_object(Bucket="moviepipe-block-test", Key="incoming/a.zip")["Body"].read() == b"zip"
        assert s3.meta.region_name == "us-east-1"
        # Our retry config (botocore counts the first try: max_attempts 8 -> total 9).
        assert s3.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 9}
        assert s3.meta.config.read_timeout == 120
    finally:
        server.stop()


def test_a_block_with_its_own_client_config_keeps_it(harness):
    save_aws("moviepipe-test-config", config={"retries": {"mode": "standard", "max_attempts": 2}})
    sns = aws.client_factory("moviepipe-test-config")("sns")
    assert sns.meta.config.retries == {"mode": "standard", "total_max_attempts": 3}


def test_a_missing_block_is_named_with_its_setting(harness):
    with pytest.raises(StageError, match="MOVIEPIPE_AWS_CREDENTIALS_BLOCK=no-such-block: no AwsCredentials block"):
        aws.client_factory("no-such-block")
    settings = harness.settings(snowflake_connector_block="no-such-connector")
    with pytest.raises(StageError, match="MOVIEPIPE_SNOWFLAKE_CONNECTOR_BLOCK=no-such-connector: no SnowflakeConnector"):
        connect(settings)


def test_a_connector_for_another_database_is_refused(harness, key_pair):
    save_connector("moviepipe-test-other-db", key_pair[0], database="ANALYTICS_SANDBOX")
    settings = harness.settings(snowflake_connector_block="moviepipe-test-other-db")
    with pytest.raises(StageError, match="connects to database ANALYTICS_SANDBOX, but MOVIEPIPE_DATABASE is MOVIEPIPE"):
        connect(settings)


def test_environment_key_pair_is_still_accepted(harness, key_pair, tmp_path, monkeypatch):
    key_file = tmp_path / "rsa_key.p8"
    key_file.write_bytes(key_pair[0])
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY_FILE", str(key_file))
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY_FILE_PWD", PASSPHRASE)
    wh = connect(harness.settings(snowflake_account="myorg-moviepipe", snowflake_user="MOVIEPIPE_RUNTIME"))
    try:
        assert wh.scalar("SELECT COUNT(*) FROM OPS.BATCH_LEDGER") == 0
    finally:
        wh.close()
    call = connect_calls()[-1]
    assert (call["account"], call["private_key_file"], call["private_key_file_pwd"]) == \
        ("myorg-moviepipe", str(key_file), PASSPHRASE)
