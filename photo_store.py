"""Where uploaded photos are kept: one interface, ``save(data) -> key``, ``open(key)``
and ``delete(key)``, so that a package storing photos never knows where they live.

The embedded default keeps them on disk, one file per photo under PHOTO_DIR
(instance/photos outside production). With PHOTO_S3_BUCKET set they are kept as
objects in S3-compatible storage instead (AWS, MinIO, a cloud's OSS with an S3
endpoint: PHOTO_S3_ENDPOINT_URL), through boto3 and its usual credentials. A key is a random
hex name with the photo's extension: never a path the uploader chose, so a key read
back from the database can never leave the folder.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Protocol

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

# 32 hex characters and a known extension: the only shape a key ever has.
KEY_SHAPE = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp)$")
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


class PhotoMissing(LookupError):
    """No photo is stored under this key (or the key is not one this store makes)."""


class PhotoStore(Protocol):
    """Keeps photos' bytes under keys it makes itself."""

    def save(self, data: bytes, *, extension: str) -> str: ...

    def open(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


def content_type(key: str) -> str:
    """The content type a photo is served with (one of three image types, by its key)."""
    return CONTENT_TYPES[key.rsplit(".", 1)[1]]


def _checked(key: str) -> str:
    if not KEY_SHAPE.match(key or ""):
        raise PhotoMissing(key)
    return key


def new_key(extension: str) -> str:
    """A fresh random key for a photo of ``extension`` (jpg, png or webp).

    Raises ValueError for any other extension."""
    if extension not in CONTENT_TYPES:
        raise ValueError(extension)
    return f"{secrets.token_hex(16)}.{extension}"


class DiskPhotoStore:
    """Photos as files in one folder (made when the first photo is saved)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def save(self, data: bytes, *, extension: str) -> str:
        """Write ``data`` under a new key and return the key (written whole or not at all)."""
        key = new_key(extension)
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.folder / key)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return key

    def open(self, key: str) -> bytes:
        """The photo's bytes. Raises PhotoMissing."""
        try:
            return (self.folder / _checked(key)).read_bytes()
        except FileNotFoundError as missing:
            raise PhotoMissing(key) from missing

    def delete(self, key: str) -> None:
        """Remove the photo if it is there (deleting twice is no error)."""
        (self.folder / _checked(key)).unlink(missing_ok=True)


class S3PhotoStore:
    """Photos as objects in one bucket of S3-compatible storage, under a key prefix."""

    def __init__(self, client, bucket: str, prefix: str = "photos/") -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix

    def save(self, data: bytes, *, extension: str) -> str:
        """Put ``data`` under a new key and return the key (an upload is whole or absent)."""
        key = new_key(extension)
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.prefix + key,
            Body=data,
            ContentType=content_type(key),
        )
        return key

    def open(self, key: str) -> bytes:
        """The photo's bytes. Raises PhotoMissing."""
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self.prefix + _checked(key))
        except self.client.exceptions.NoSuchKey as missing:
            raise PhotoMissing(key) from missing
        return found["Body"].read()

    def delete(self, key: str) -> None:
        """Remove the photo if it is there (deleting twice is no error)."""
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + _checked(key))


def _s3_client(config):
    import boto3  # only where object storage is configured

    return boto3.client("s3", endpoint_url=config["PHOTO_S3_ENDPOINT_URL"] or None)


def photo_store() -> PhotoStore:
    """The store the app is configured with: the bucket PHOTO_S3_BUCKET names, else the
    folder PHOTO_DIR. The S3 client is made once per app (it is thread-safe)."""
    config = current_app.config
    if not config.get("PHOTO_S3_BUCKET"):
        return DiskPhotoStore(config["PHOTO_DIR"])
    client = current_app.extensions.get("photo_s3_client")
    if client is None:
        client = current_app.extensions["photo_s3_client"] = _s3_client(config)
    return S3PhotoStore(client, config["PHOTO_S3_BUCKET"], config["PHOTO_S3_PREFIX"])


# --- photos of a transaction that never commits ------------------------------------------------

PENDING = "photo_store_pending"  # the session's info: keys saved in its open transaction


def save_with(session: Session, data: bytes, *, extension: str) -> str:
    """Save a photo for a row ``session`` is about to write: if the transaction ends
    without committing (a refusal, an error), the photo is deleted again, so no file is
    left that no row names. Returns the key."""
    store = photo_store()
    key = store.save(data, extension=extension)
    session.info.setdefault(PENDING, []).append((store, key))
    return key


@event.listens_for(Session, "after_commit")
def _kept(session: Session) -> None:
    session.info.pop(PENDING, None)


@event.listens_for(Session, "after_transaction_end")
def _not_kept(session: Session, transaction) -> None:
    if transaction.parent is not None or transaction.nested:
        return  # a savepoint: the outer transaction decides
    for store, key in session.info.pop(PENDING, []):
        store.delete(key)
