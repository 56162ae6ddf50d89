"""Where published files live: dealers' vehicle photos and the listing illustrations.

One machine keeps them under `var/media` (`LocalFiles`); several app machines share one
S3-compatible bucket (`S3Files`: AWS S3, MinIO, Ceph), chosen by `MOTORMALL_FILES_URL`.
Keys are relative paths such as `photos/<digest>.jpg`. Contract PDFs and ID photos are not
files: they live in the database, inside its transactions and backups.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from motormall.platform.config import Settings


class Files(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes | None:
        """The file's bytes, or None when there is no such file."""

    def exists(self, key: str) -> bool: ...


def _checked(key: str) -> str:
    parts = key.split("/")
    if key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a file key: {key!r}")
    return key


class LocalFiles:
    def __init__(self, root: Path):
        self.root = root

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.root / _checked(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)  # atomic: a concurrent reader never sees half a file

    def get(self, key: str) -> bytes | None:
        try:
            return (self.root / _checked(key)).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return (self.root / _checked(key)).is_file()


class S3Files:
    """A bucket (and optional key prefix) on any S3-compatible store. Credentials come the
    usual boto3 way (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or the machine's role)."""

    def __init__(self, url: str, *, endpoint_url: str = "", region: str = ""):
        import boto3  # only deployments that use a bucket pay for importing it
        from botocore.config import Config

        parsed = urlparse(url)
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            config=Config(
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=3,
                read_timeout=10,
                # MinIO and most self-hosted stores want path-style addressing
                s3={"addressing_style": "path"},
            ),
        )

    def _key(self, key: str) -> str:
        key = _checked(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type
        )

    def get(self, key: str) -> bytes | None:
        try:
            reply = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            return None
        return reply["Body"].read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True


_cache: dict[tuple, Files] = {}
_lock = threading.Lock()


def files_for(settings: Settings) -> Files:
    """The file store the settings name (one client per process and store)."""
    key = (settings.files_url, settings.files_endpoint_url, str(settings.media_dir))
    with _lock:
        if key not in _cache:
            if settings.files_url:  # checked by Settings: s3://bucket[/prefix]
                _cache[key] = S3Files(
                    settings.files_url,
                    endpoint_url=settings.files_endpoint_url,
                    region=settings.files_region,
                )
            else:
                _cache[key] = LocalFiles(settings.media_dir)
        return _cache[key]
