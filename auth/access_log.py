"""Writing the access log: one statement per request, whatever the number of rows read."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from auth.guard import AccessRecorder
from auth.viewer import Viewer
from models.tables import access_log_t
from models.types import utcnow


async def flush(
    session: AsyncSession,
    access: AccessRecorder,
    viewer: Viewer | None,
    operation_name: str | None,
    reason: str | None = None,
) -> None:
    reads = {pid: fields for pid, fields in access.reads.items() if pid}
    if not reads or viewer is None:
        return
    now = utcnow()
    await session.execute(
        insert(access_log_t),
        [
            {
                "at": now,
                "actor_account_id": viewer.account_id,
                "actor_username": viewer.username,
                "actor_role": viewer.role.value,
                "person_id": person_id,
                "fields": " ".join(sorted(fields)),
                "operation_name": operation_name,
                "reason": reason,
            }
            for person_id, fields in reads.items()
        ],
    )
    await session.commit()
    access.reads.clear()
