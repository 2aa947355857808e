"""Custom scalars. Date, DateTime and Decimal are strawberry's (ISO 8601, decimal as string)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import NewType

import strawberry
from graphql import GraphQLError
from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

from models.types import VIETNAM_TZ, parse_year_month, to_year_month

# A contribution month, held as the YYYYMM integer the database stores.
YearMonth = NewType("YearMonth", int)


def _parse_year_month(value: object) -> int:
    # A GraphQLError (not a ValueError) so that a bad literal is the client's error, not ours.
    if not isinstance(value, str):
        raise GraphQLError('YearMonth: expected a string such as "2020-02"')
    try:
        return parse_year_month(value)
    except ValueError as exc:
        raise GraphQLError(f"YearMonth: {exc}") from exc


def vietnam_time(value: datetime) -> str:
    """Every DateTime of a response in Vietnam time (+07:00), whatever zone the value came in;
    a naive value is UTC (how the database stores times)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(VIETNAM_TZ).isoformat()


SCALARS: dict[object, ScalarDefinition] = {
    datetime: dataclasses.replace(
        DateTimeDefinition,
        description="ISO 8601 with offset, shown in Vietnam time: 2020-08-17T09:30:00+07:00.",
        serialize=vietnam_time,
    ),
    YearMonth: strawberry.scalar(
        name="YearMonth",
        description='A contribution month: "2020-02".',
        serialize=to_year_month,
        parse_value=_parse_year_month,
    ),
}
