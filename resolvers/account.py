from __future__ import annotations

from typing import Any

from resolvers.context import Context


def viewer_account(context: Context) -> Any | None:
    """The signed-in account, read together with the session: no statement of its own."""
    return context.account if context.viewer is not None else None
