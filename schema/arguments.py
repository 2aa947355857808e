"""Arguments that many fields share, described once."""

from __future__ import annotations

from typing import Annotated

import strawberry

First = Annotated[
    int | None,
    strawberry.argument(description="How many items to return: 0 to 100 (default 20)."),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="Start after this cursor (`pageInfo.endCursor` of the previous page); "
        "leave out for the first page."
    ),
]
ProvinceCode = Annotated[
    str | None,
    strawberry.argument(
        description="Mã tỉnh: only this province (the 2-digit code of either scheme, e.g. "
        '"01" Hà Nội, "79" TP Hồ Chí Minh). Officers of a province see only their own anyway.'
    ),
]
Search = Annotated[
    str | None,
    strawberry.argument(description="Words that the name must contain (accents and case ignored)."),
]
# The input object of a mutation (its fields are described one by one).
INPUT = strawberry.argument(
    description="What to do. Every problem of it is answered at once, as `InvalidInput`; nothing is "
    "stored then."
)
