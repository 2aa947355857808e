from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from resolvers import account as resolve
from resolvers.context import Info
from schema.enums import Role
from schema.person import Person


async def _person(info: Info, person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    row = await info.context.loaders.persons_by_id.load(person_id)
    return Person.wrap(info.context, row) if row is not None else None


@strawberry.type(description="A sign-in identity. Secrets (hashes, tokens) are never fields.")
class Account:
    _row: strawberry.Private[Any]
    username: str
    role: Role
    must_change_password: bool
    password_changed_at: datetime

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await _person(info, self._row.person_id)

    @classmethod
    def from_row(cls, row: Any) -> Account:
        return cls(
            _row=row,
            username=row.username,
            role=Role(row.role),
            must_change_password=row.must_change_password,
            password_changed_at=row.password_changed_at,
        )


@strawberry.type(description="The signed-in user.")
class Viewer:
    account: Account

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await _person(info, self.account._row.person_id)


@strawberry.type
class AccountQuery:
    @strawberry.field(description="Null when not signed in.")
    async def viewer(self, info: Info) -> Viewer | None:
        row = resolve.viewer_account(info.context)
        return Viewer(account=Account.from_row(row)) if row is not None else None
