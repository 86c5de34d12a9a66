"""Buckets as objects: a folder on a laptop, an S3 bucket in the cloud.

Stdlib + boto3 only: this module ships inside the unzip Lambda. Every stage
talks to buckets through ``ObjectStore``, so the same code serves both runtimes.
Writes are atomic on both sides (S3 PUT is; the folder store writes a temporary
file and renames it), so a crash never leaves half an object behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator, Protocol


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so a reader sees the old file or the new one, never a part.

    A temporary file in the same folder, flushed and fsynced, then ``os.replace``d over the
    target; the folder is fsynced too, so the rename survives a power cut. The one helper
    every state write goes through (watermarks, key scans, lock holder files).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=path.parent, delete=False, prefix=".tmp-")
    try:
        with handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


class ObjectStore(Protocol):
    bucket: str

    def exists(self, key: str) -> bool: ...
    def get_bytes(self, key: str) -> bytes: ...
    def put_bytes(self, key: str, data: bytes) -> None: ...
    def download(self, key: str, path: Path) -> None: ...
    def upload(self, path: Path, key: str) -> None: ...
    def list(self, prefix: str = "") -> list[str]: ...
    def delete(self, key: str) -> None: ...
    def uri(self, key: str = "") -> str: ...


class LocalObjectStore:
    """A bucket that is a folder. Keys are relative POSIX paths below it."""

    def __init__(self, root: Path, bucket: str | None = None):
        self.root = Path(root)
        self.bucket = bucket or self.root.name
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        clean = key.lstrip("/")
        target = (self.root / clean).resolve()
        if self.root.resolve() not in target.parents and target != self.root.resolve():
            raise ValueError(f"key escapes the bucket: {key!r}")
        return target

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def get_bytes(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(f"{self.uri(key)} does not exist") from None

    def put_bytes(self, key: str, data: bytes) -> None:
        write_atomic(self.path(key), data)

    def download(self, key: str, path: Path) -> None:
        source = self.path(key)
        if not source.is_file():
            raise KeyError(f"{self.uri(key)} does not exist")
        shutil.copyfile(source, path)

    def upload(self, path: Path, key: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, prefix=".tmp-") as handle:
            temp_name = handle.name
        try:
            shutil.copyfile(path, temp_name)
            with open(temp_name, "rb") as copied:
                os.fsync(copied.fileno())
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def list(self, prefix: str = "") -> list[str]:
        return sorted(key for key in self._walk() if key.startswith(prefix))

    def _walk(self) -> Iterator[str]:
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                if name.startswith(".tmp-"):
                    continue
                yield Path(dirpath, name).relative_to(self.root).as_posix()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def uri(self, key: str = "") -> str:
        """``file://`` URI of the bucket (percent-encoded) followed by the key as written."""
        return self.root.resolve().as_uri() + "/" + key


class S3ObjectStore:
    """A real S3 bucket (or moto, LocalStack, MinIO through ``AWS_ENDPOINT_URL``)."""

    def __init__(self, bucket: str, client=None):
        if client is None:
            import boto3

            client = boto3.client("s3")
        self.bucket = bucket
        self.client = client

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
            return True
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def get_bytes(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def put_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data)

    def download(self, key: str, path: Path) -> None:
        self.client.download_file(self.bucket, key, str(path))

    def upload(self, path: Path, key: str) -> None:
        # upload_file switches to multipart above 8 MB on its own.
        self.client.upload_file(str(path), self.bucket, key)

    def list(self, prefix: str = "") -> list[str]:
        keys: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def uri(self, key: str = "") -> str:
        return f"s3://{self.bucket}/{key}"
