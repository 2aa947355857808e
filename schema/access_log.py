from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from schema.enums import Role


@strawberry.type(description="One read of a person's private or sensitive data by someone else.")
class AccessLogEntry:
    at: datetime = strawberry.field(description="When the data was read (Vietnam time).")
    actor_username: str = strawberry.field(description="The account that read it.")
    actor_role: Role = strawberry.field(description="That account's role.")
    fields: list[str] = strawberry.field(description='e.g. ["Person.phone", "MedicalVisit.diagnosis"]')
    operation_name: str | None = strawberry.field(
        description="The GraphQL operation that read it; null if anonymous."
    )
    reason: str | None = strawberry.field(description="The reason an operator gave to read health data.")

    @classmethod
    def from_row(cls, row: Any) -> AccessLogEntry:
        return cls(
            at=row.at,
            actor_username=row.actor_username,
            actor_role=Role(row.actor_role),
            fields=row.fields.split(),
            operation_name=row.operation_name,
            reason=row.reason,
        )
