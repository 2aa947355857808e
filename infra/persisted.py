"""Automatic persisted queries (Apollo's protocol) and the partners' allow-list.

A client sends `extensions.persistedQuery.sha256Hash`; unknown hashes answer
PERSISTED_QUERY_NOT_FOUND and the client retries with the query, which is stored for every
worker. A hash-only GET is cacheable by a CDN.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from typing import Any

from graphql import GraphQLError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth.viewer import Role, Viewer
from models.tables import persisted_t
from models.types import utcnow

SHA256 = re.compile(r"^[0-9a-f]{64}$")
CACHE_SIZE = 2048


def sha256(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


class PersistedQueries:
    """The store: the table, with an in-process cache in front (queries never change)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._cache: OrderedDict[str, tuple[str, bool]] = OrderedDict()

    async def get(self, digest: str) -> tuple[str, bool] | None:
        found = self._cache.get(digest)
        if found is not None:
            self._cache.move_to_end(digest)
            return found
        async with self.sessions() as session:
            row = (
                await session.execute(
                    select(persisted_t.c.query, persisted_t.c.allowed).where(persisted_t.c.sha256 == digest)
                )
            ).first()
        if row is None:
            return None
        self._remember(digest, (row.query, bool(row.allowed)))
        return row.query, bool(row.allowed)

    async def put(self, digest: str, query: str, *, allowed: bool = False) -> None:
        async with self.sessions() as session:
            try:
                await session.execute(
                    insert(persisted_t).values(
                        sha256=digest, query=query, allowed=allowed, created_at=utcnow()
                    )
                )
                await session.commit()
            except IntegrityError:
                await session.rollback()  # stored already, by this worker or another
        if digest not in self._cache:
            self._remember(digest, (query, allowed))

    def _remember(self, digest: str, value: tuple[str, bool]) -> None:
        self._cache[digest] = value
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)


def _error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


async def resolve(
    store: PersistedQueries, data: Any, viewer: Viewer | None, *, allow_list: bool
) -> GraphQLError | None:
    """Fills `data.query` from the store when only a hash came; returns the error to answer with."""
    extensions = data.extensions if isinstance(data.extensions, dict) else {}
    persisted = extensions.get("persistedQuery")
    partner_restricted = allow_list and viewer is not None and viewer.role is Role.PARTNER
    if persisted is None:
        if partner_restricted:
            return _error("Partner systems send persisted queries of the allow-list only.", "FORBIDDEN")
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        return _error("persistedQuery: only version 1 is supported.", "PERSISTED_QUERY_NOT_SUPPORTED")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not SHA256.match(digest):
        return _error("persistedQuery.sha256Hash: 64 lower-case hexadecimal characters.", "BAD_USER_INPUT")
    if data.query is None:
        found = await store.get(digest)
        if found is None:
            return _error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
        data.query, allowed = found
    else:
        if sha256(data.query) != digest:
            return _error("persistedQuery: provided sha256Hash does not match the query.", "BAD_USER_INPUT")
        known = await store.get(digest)
        if known is None:
            await store.put(digest, data.query)
        allowed = known[1] if known is not None else False
    if partner_restricted and not allowed:
        return _error("This operation is not on the allow-list of partner systems.", "FORBIDDEN")
    return None
