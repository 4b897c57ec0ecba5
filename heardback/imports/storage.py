"""Where uploaded import files live: under MEDIA_ROOT, with random names, readable only by us.

The original file is kept while its run may still be imported (for the record, and so an
admin can see what was checked); the list of every bad row sits next to it. Both are
removed when the run is imported, undone or expires.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    path: Path
    size: int
    sha256: str


def storage_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _new_path() -> tuple[str, Path]:
    folder = storage_dir()
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    stored_name = f"{secrets.token_hex(16)}.csv"
    return stored_name, folder / stored_name


def store_upload(upload: UploadedFile) -> StoredFile:
    """Write an uploaded file under a random name (never the name it came with)."""
    stored_name, path = _new_path()
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    with path.open("xb") as handle:
        path.chmod(0o600)
        for chunk in upload.chunks():
            digest.update(chunk)
            size += len(chunk)
            handle.write(chunk)
    return StoredFile(stored_name=stored_name, path=path, size=size, sha256=digest.hexdigest())


def store_local_file(source: Path) -> StoredFile:
    """Copy a file named on the command line into storage, like an upload."""
    stored_name, path = _new_path()
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as reader, path.open("xb") as writer:
        path.chmod(0o600)
        while block := reader.read(1 << 20):
            digest.update(block)
            size += len(block)
            writer.write(block)
    return StoredFile(stored_name=stored_name, path=path, size=size, sha256=digest.hexdigest())


def path_of(stored_name: str) -> Path:
    # Names are ours (hex + suffix); never a path a user chose.
    return storage_dir() / Path(stored_name).name


def problems_path(stored_name: str) -> Path:
    return path_of(stored_name).with_suffix(".problems.csv")


def remove(stored_name: str) -> None:
    if not stored_name:
        return
    for path in (path_of(stored_name), problems_path(stored_name)):
        path.unlink(missing_ok=True)


def looks_like_a_workbook(upload: UploadedFile) -> bool:
    """An Excel or OpenDocument workbook (a zip) or an old .xls (OLE), not CSV text."""
    upload.seek(0)
    head: bytes = upload.read(8)
    upload.seek(0)
    return head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"))
