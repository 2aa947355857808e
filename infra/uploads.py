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
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from graphql import GraphQLError
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from auth.secrets import keyed_hash, same
from models.tables import auth_session_t
from models.types import utcnow
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


# ---------- showing them: short-lived links for one session ----------

DOCUMENT_LIFETIME = timedelta(minutes=5)
SHA256 = re.compile(r"[0-9a-f]{64}")  # a stored photo's name: nothing else reaches the disk
CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png"}


def _document_signature(key: str, sha256: str, session_id: int, expires: int) -> str:
    return keyed_hash(key, "document", f"{sha256}:{session_id}:{expires}")


def document_url(key: str, sha256: str, session_id: int, now: datetime) -> str:
    """A link to a stored photo for this session only, for a few minutes (an <img> cannot send
    the bearer token: the link carries the session it was made for, and a signature)."""
    expires = int((now + DOCUMENT_LIFETIME).timestamp())
    signature = _document_signature(key, sha256, session_id, expires)
    return f"/documents/{sha256}?s={session_id}&e={expires}&t={signature}"


def content_type(upload_dir: str, sha256: str) -> str:
    try:
        with photo_path(upload_dir, sha256).open("rb") as handle:
            kind = image_kind(handle.read(8))
    except OSError:
        kind = None
    return CONTENT_TYPES.get(kind or "", "application/octet-stream")


def document_endpoint(settings: Any, sessionmaker: Any) -> Any:
    """GET /documents/{sha256}: the photo, if the link is signed, in date, and its session alive."""

    async def endpoint(request: Request) -> Response:
        sha256 = request.path_params["sha256"]
        try:
            session_id, expires = int(request.query_params["s"]), int(request.query_params["e"])
            signature = request.query_params["t"]
        except (KeyError, ValueError):
            return Response(status_code=404)
        now = datetime.now(UTC)
        good = same(signature, _document_signature(settings.secret_key, sha256, session_id, expires))
        if not good or expires < now.timestamp() or not SHA256.fullmatch(sha256):
            return Response(status_code=404)
        async with sessionmaker() as session:
            alive = (
                await session.execute(
                    select(auth_session_t.c.id).where(
                        auth_session_t.c.id == session_id,
                        auth_session_t.c.revoked_at.is_(None),
                        auth_session_t.c.expires_at > utcnow(),
                    )
                )
            ).first()
        path = photo_path(settings.upload_dir, sha256)
        if alive is None or not path.exists():
            return Response(status_code=404)
        return FileResponse(
            path,
            media_type=content_type(settings.upload_dir, sha256),
            headers={"Cache-Control": "private, no-store"},
        )

    return endpoint
