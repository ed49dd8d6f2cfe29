"""Photos on actions: checked, stripped of their metadata, stored by content hash, served in scope.

An upload is accepted only when Pillow reads it as a whole JPEG, PNG or WebP image (the type
comes from the bytes, never from the file name or the ``Content-Type`` the client claims) of at
most :data:`MAX_BYTES` bytes and :data:`MAX_PIXELS` pixels. It is then re-encoded from its
pixels alone, so EXIF (with its GPS position, camera serial and time), XMP and text chunks are
gone from what is stored and served; the orientation the camera recorded is applied to the
pixels first, so the photo still stands upright. The position of an action is the trail's own
``where_geom``, sent by the page, not the photo's.

What can go wrong, and why it cannot leave half a write: the file is checked and re-encoded in
memory before anything is written; the row is inserted and the file stored inside one
transaction, and a failed store rolls the row back. A file is named by the SHA-256 of the
stored bytes, so storing the same photo twice writes one file, and a file left behind by a
commit that failed after the write is a correct file nobody references yet (harmless, and
reused by the next upload of the same photo).

A photo is served only to callers who may see its incident (:func:`open_attachment`); any other
caller gets "does not exist", exactly as for a missing one.

Examples
--------
>>> relative_path("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
'9f/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import Connection

from cases.incidents import incident_id
from cases.loop.sql import query
from geo.errors import InvalidInput, NotFound, WanggeError
from geo.scope import Scope
from geo.settings import Settings

#: The largest file accepted, in bytes (10 MB).
MAX_BYTES = 10 * 1024 * 1024
#: The most pixels accepted (a 50-megapixel camera); more is a decompression bomb, not a photo.
MAX_PIXELS = 50_000_000
#: Pillow's format name → the media type stored and served.
MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
#: How each format is written again: pixels only, no EXIF, XMP or text chunks.
_SAVE: dict[str, dict[str, Any]] = {
    "JPEG": {"quality": 90, "optimize": True},
    "PNG": {"compress_level": 6},
    "WEBP": {"quality": 90, "method": 2},
}


class AttachmentTooLarge(InvalidInput):
    """The file is larger than :data:`MAX_BYTES` (413)."""


class StoreError(WanggeError):
    """The attachment store could not write or read a file (a server fault, not the client's)."""


@dataclass(frozen=True)
class Cleaned:
    """An image as it is stored: re-encoded bytes, their media type and SHA-256."""

    data: bytes
    media_type: str
    sha256: str


def relative_path(sha256: str) -> str:
    """Where a file lives inside the store: ``<sha256[:2]>/<sha256>``."""
    return f"{sha256[:2]}/{sha256}"


class Store(Protocol):
    """Where attachment bytes live, by content hash."""

    def put(self, sha256: str, data: bytes) -> None: ...

    def get(self, sha256: str) -> bytes: ...


class FileStore:
    """Files under ``root`` (``$WANGGE_DATA_DIR/attachments``), written atomically: a file is
    either absent or whole, since it is renamed into place once written and synced."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, sha256: str, data: bytes) -> None:
        target = self.root / relative_path(sha256)
        if target.exists():
            return
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except OSError as exc:
            raise StoreError(f"cannot store attachment {sha256[:12]}…: {exc.strerror}") from exc

    def get(self, sha256: str) -> bytes:
        try:
            return (self.root / relative_path(sha256)).read_bytes()
        except OSError as exc:
            raise StoreError(f"cannot read attachment {sha256[:12]}…: {exc.strerror}") from exc


def store_for(settings: Settings) -> Store:
    """The store ``settings.attachment_store`` names (only ``file`` is built so far)."""
    return FileStore(settings.data_dir.resolve() / "attachments")


def clean(data: bytes) -> Cleaned:
    """``data`` checked to be a whole JPEG, PNG or WebP image and re-encoded without metadata.

    Raises :class:`AttachmentTooLarge` past :data:`MAX_BYTES` and
    :class:`~geo.errors.InvalidInput` (field ``file``) for anything that is not such an image.

    Examples
    --------
    >>> from PIL import Image
    >>> out = io.BytesIO()
    >>> Image.new("RGB", (4, 3), "red").save(out, "PNG")
    >>> image = clean(out.getvalue())
    >>> image.media_type, len(image.sha256)
    ('image/png', 64)
    >>> clean(b"GIF89a")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    geo.errors.InvalidInput: file: is not a JPEG, PNG or WebP image
    """
    if len(data) > MAX_BYTES:
        raise AttachmentTooLarge("file", f"is {len(data):,} bytes; at most {MAX_BYTES:,}")
    if not data:
        raise InvalidInput("file", "is empty")
    image = _read(data)
    fmt = str(image.format)
    upright = ImageOps.exif_transpose(image)
    if fmt == "JPEG" and upright.mode not in ("RGB", "L", "CMYK"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    icc = image.info.get("icc_profile")
    upright.save(out, fmt, **_SAVE[fmt], **({"icc_profile": icc} if icc else {}))
    stored = out.getvalue()
    return Cleaned(stored, MEDIA_TYPES[fmt], hashlib.sha256(stored).hexdigest())


def _read(data: bytes) -> Image.Image:
    """The decoded image; every way of not being a whole, reasonable image is one 422."""
    not_image = InvalidInput("file", "is not a JPEG, PNG or WebP image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(MEDIA_TYPES))
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput(
                    "file", f"has {image.width}×{image.height} pixels; at most {MAX_PIXELS:,}"
                )
            image.load()  # decodes every byte: a truncated or corrupt file fails here
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise not_image from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise InvalidInput("file", "is a broken image (it cannot be decoded)") from None
    return image


def save(
    conn: Connection, store: Store, incident_code: str, data: bytes, *, by: str, scope: Scope
) -> dict[str, Any]:
    """Store ``data`` as a photo of incident ``incident_code`` (inside ``scope``) uploaded by
    ``by``; the answer ``{"id", "sha256", "type", "bytes"}`` is what an action then names.

    Call inside a transaction: the row is rolled back when the store fails.
    """
    image = clean(data)
    incident = incident_id(conn, incident_code, scope=scope)
    new_id = conn.execute(
        query("attachment_insert"),
        {
            "sha256": image.sha256,
            "media_type": image.media_type,
            "bytes": len(image.data),
            "incident": incident,
            "by": by,
        },
    ).scalar_one()
    store.put(image.sha256, image.data)
    return {
        "id": new_id,
        "sha256": image.sha256,
        "type": image.media_type,
        "bytes": len(image.data),
    }


def open_attachment(
    conn: Connection, store: Store, attachment_id: int, *, scope: Scope
) -> tuple[bytes, str, str]:
    """The stored bytes, media type and SHA-256 of attachment ``attachment_id``, when its
    incident lies inside ``scope``; :class:`~geo.errors.NotFound` otherwise."""
    row = conn.execute(
        query("attachment_find"), {"id": attachment_id, **scope.params()}
    ).one_or_none()
    if row is None:
        raise NotFound(f"attachment {attachment_id} does not exist")
    return store.get(row.sha256), row.media_type, row.sha256
