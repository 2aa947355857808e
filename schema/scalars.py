"""Custom scalars. Date, DateTime and Decimal are strawberry's (ISO 8601, decimal as string)."""

from __future__ import annotations

from typing import NewType

import strawberry
from graphql import GraphQLError
from strawberry.types.scalar import ScalarDefinition

from models.types import parse_year_month, to_year_month

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


SCALARS: dict[object, ScalarDefinition] = {
    YearMonth: strawberry.scalar(
        name="YearMonth",
        description='A contribution month: "2020-02".',
        serialize=to_year_month,
        parse_value=_parse_year_month,
    )
}
