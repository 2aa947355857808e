"""Photos of the registration form: checked by content, stored on disk by their SHA-256.

The database keeps only the hash; the file lives under the upload directory
(`ANSINH_UPLOAD_DIR`) at `ab/cd/abcd…` (the hash, fanned out by its first bytes), written once and
atomically. The same photo sent twice is stored once. A file written for a submission that then
fails validation or loses a race stays on disk unreferenced: harmless, and it would be reused.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import GraphQLError

from resolvers.context import Context
from resolvers.outcomes import Problems

MAX_PHOTO_BYTES = 5 * 1024 * 1024
# The headers a browser cannot set on a cross-site "simple" request without a CORS preflight.
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")
SIMPLE_CONTENT_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
CHUNK = 64 * 1024


class CsrfRefused(GraphQLError):
    def __init__(self) -> None:
        super().__init__(
            "File uploads need a non-empty `Apollo-Require-Preflight` (or `X-Apollo-Operation-Name`) "
            "header: a multipart request without it could be a cross-site form post.",
            extensions={"code": "FORBIDDEN", "reason": "CSRF_PREFLIGHT_REQUIRED"},
        )


def check_upload_csrf(context: Context) -> None:
    """Refuses an upload that came in a request any web page could make (a "simple" request).

    Either a preflight header (any non-empty value) or a content type that is not one of the
    CORS-safelisted ones forces the browser to ask first, which cross-site pages cannot pass.
    """
    headers = context.request.headers
    if any(headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
        return
    content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type and content_type not in SIMPLE_CONTENT_TYPES:
        return
    raise CsrfRefused()


def image_kind(head: bytes) -> str | None:
    """ "jpeg" or "png" from the magic bytes, whatever the file's name or declared type."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


@dataclass(frozen=True, slots=True)
class Photo:
    data: bytes
    kind: str
    sha256: str


async def _read_limited(upload: Any, limit: int) -> bytes:
    """At most limit + 1 bytes: enough to tell that a file is too large without reading it all."""
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = await upload.read(min(CHUNK, limit + 1 - size))
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


async def read_photo(upload: Any, path: tuple[str, ...], label: str, problems: Problems) -> Photo | None:
    """The photo, or None with a problem added (not a file, too large, empty, not a JPEG or PNG)."""
    if not callable(getattr(upload, "read", None)):
        problems.add(path, "NOT_A_FILE", f"{label} must be a file sent as a multipart upload, not a value.")
        return None
    data = await _read_limited(upload, MAX_PHOTO_BYTES)
    if len(data) > MAX_PHOTO_BYTES:
        problems.add(path, "FILE_TOO_LARGE", f"{label} is larger than 5 MB; send a smaller image.")
        return None
    if not data:
        problems.add(path, "FILE_EMPTY", f"{label} is an empty file.")
        return None
    kind = image_kind(data[:8])
    if kind is None:
        problems.add(path, "FILE_TYPE", f"{label} must be a JPEG or PNG image.")
        return None
    return Photo(data=data, kind=kind, sha256=hashlib.sha256(data).hexdigest())


def photo_path(upload_dir: str, sha256: str) -> Path:
    return Path(upload_dir) / sha256[:2] / sha256[2:4] / sha256


def _write(upload_dir: str, photo: Photo) -> None:
    target = photo_path(upload_dir, photo.sha256)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(photo.data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


async def store_photo(upload_dir: str, photo: Photo) -> str:
    """Writes the photo (once per content) and returns its SHA-256."""
    await asyncio.to_thread(_write, upload_dir, photo)
    return photo.sha256
