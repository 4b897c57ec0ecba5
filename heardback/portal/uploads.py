"""CV uploads: which files we accept, checked by name *and* by content.

An extension is a claim; the first bytes are evidence. A `.pdf` that is really an executable,
or a `.docx` that is not a Word document, is refused with a message that says what to send.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest
from django.utils.translation import gettext as _

from heardback.portal.models import Attachment

MAX_BYTES = 5 * 1024 * 1024
EXTENSIONS = {
    ".pdf": Attachment.Kind.PDF,
    ".docx": Attachment.Kind.DOCX,
    ".odt": Attachment.Kind.ODT,
    ".txt": Attachment.Kind.TXT,
}
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


@dataclass(frozen=True)
class CheckedFile:
    kind: str
    original_name: str
    size: int
    sha256: str


def _zip_names(upload: UploadedFile) -> list[str] | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        upload.seek(0)


def _odt_mimetype(upload: UploadedFile) -> bytes:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive, archive.open("mimetype") as member:
            return member.read(len(ODT_MIMETYPE) + 1)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return b""
    finally:
        upload.seek(0)


def _content_matches(kind: str, upload: UploadedFile) -> bool:
    upload.seek(0)
    head: bytes = upload.read(8)
    upload.seek(0)
    if kind == Attachment.Kind.PDF:
        return head.startswith(b"%PDF-")
    if kind == Attachment.Kind.DOCX:
        names = _zip_names(upload) if head.startswith(b"PK\x03\x04") else None
        return names is not None and "word/document.xml" in names
    if kind == Attachment.Kind.ODT:
        return head.startswith(b"PK\x03\x04") and _odt_mimetype(upload) == ODT_MIMETYPE
    # Plain text: UTF-8 without NUL bytes (binary files nearly always contain one).
    data = upload.read()
    upload.seek(0)
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def check_upload(upload: UploadedFile) -> CheckedFile:
    """Raise ValidationError (for the `cv` field) unless this is a CV we accept."""
    name = Path(upload.name or "").name
    if upload.size is None or upload.size > MAX_BYTES:
        raise ValidationError(
            _(
                "This file is larger than 5 MB. Please send a smaller version (a PDF is usually "
                "small)."
            ),
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(_("This file is empty. Please choose your CV again."), code="empty")
    kind = EXTENSIONS.get(Path(name).suffix.lower())
    if kind is None:
        raise ValidationError(
            _(
                "Please send your CV as a PDF, Word (.docx), OpenDocument (.odt) or text (.txt) "
                "file."
            ),
            code="type",
        )
    if not _content_matches(kind, upload):
        raise ValidationError(
            _(
                "This file does not look like a real %(kind)s file. Please save your CV again "
                "and choose the new file."
            )
            % {"kind": Attachment.Kind(kind).label},
            code="content",
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    clean_name = "".join(ch for ch in name if ch.isprintable() and ch not in "/\\")[:200]
    return CheckedFile(
        kind=kind,
        original_name=clean_name or f"cv.{kind}",
        size=upload.size,
        sha256=digest.hexdigest(),
    )


def storage_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "portal" / "cv"


def store(upload: UploadedFile, checked: CheckedFile) -> tuple[str, Path]:
    """Write the file under a random name; returns (stored name, path)."""
    folder = storage_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = f"{secrets.token_hex(16)}.{checked.kind}"
    path = folder / stored_name
    upload.seek(0)
    with path.open("xb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    path.chmod(0o600)
    return stored_name, path


def path_of(attachment: Attachment) -> Path:
    """Where an attachment's bytes are (for the recruiter's download view)."""
    return storage_dir() / attachment.stored_name


class CappedUploadHandler(FileUploadHandler):
    """Reads past a file larger than `limit` instead of storing it, so the form fields sent
    after it still arrive and the form can be shown again with them.

    First in the request's handlers: the bytes beyond the limit never reach the others, and
    the file the form sees is an empty stand-in of the real size, which `check_upload`
    refuses as too large.
    """

    def __init__(self, request: HttpRequest | None = None, *, limit: int = MAX_BYTES) -> None:
        super().__init__(request)
        self.limit = limit
        self.over = False

    def new_file(self, *args: object, **kwargs: object) -> None:
        super().new_file(*args, **kwargs)  # type: ignore[arg-type]
        self.over = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > self.limit:
            self.over = True
            return None
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.over:
            return None
        return UploadedFile(
            file=io.BytesIO(), name=self.file_name, content_type=self.content_type, size=file_size
        )
