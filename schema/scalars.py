"""Custom scalars. Date, DateTime and Decimal are strawberry's (ISO 8601, decimal as string)."""

from __future__ import annotations

from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from models.types import parse_year_month, to_year_month

# A contribution month, held as the YYYYMM integer the database stores.
YearMonth = NewType("YearMonth", int)


def _parse_year_month(value: object) -> int:
    if not isinstance(value, str):
        raise ValueError('YearMonth: expected a string such as "2020-02"')
    return parse_year_month(value)


SCALARS: dict[object, ScalarDefinition] = {
    YearMonth: strawberry.scalar(
        name="YearMonth",
        description='A contribution month: "2020-02".',
        serialize=to_year_month,
        parse_value=_parse_year_month,
    )
}
