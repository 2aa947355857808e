from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from auth import policy, scopes, throttle
from auth.viewer import Role
from models.tables import period_t, person_t, unit_t
from models.text import contains, fold, normalize_name
from models.types import VIETNAM_TZ, utcnow
from resolvers import validate
from resolvers.account import check_captcha, client_address
from resolvers.context import Context, require_viewer
from resolvers.errors import BadUserInput, ForbiddenArgument, InvalidArguments, RateLimited
from resolvers.loaders import PERSON_ORDER, PERSON_ORDER_DEIDENTIFIED
from resolvers.outcomes import Problems
from resolvers.pagination import page
from resolvers.reference import known_province
from resolvers.slices import Slice, fetch_page_of


async def person_by_code(context: Context, code: str) -> Any | None:
    validate.social_insurance_code(code)
    viewer = require_viewer(context)
    if viewer.role is Role.ANALYST:
        # Analysts work on de-identified data: no lookup by identifier.
        return None
    statement = select(person_t).where(person_t.c.social_insurance_code == code, scopes.persons(viewer))
    return (await context.session.execute(statement)).first()


FILTER_REFUSALS = {
    "search": "search: names are searched only by those who read them in the clear.",
    "provinceCode": "provinceCode: filtering by where people live needs their address, which this role may not read.",
    "unitCode": "unitCode: filtering by employer needs the contribution periods, which this role may not read.",
}


async def persons(
    context: Context,
    search: str | None,
    province_code: str | None,
    unit_code: str | None,
    first: int | None,
    after: str | None,
) -> Slice:
    viewer = require_viewer(context)
    # Every argument is held to the field policy of what it matches (auth/policy.py FILTERS)...
    for argument, value in (("search", search), ("provinceCode", province_code), ("unitCode", unit_code)):
        if value is not None and not policy.may_filter(viewer, f"persons.{argument}"):
            raise ForbiddenArgument(FILTER_REFUSALS[argument], argument)
    # ...and the order too: by code only for those who read codes in the clear.
    ordering = PERSON_ORDER if policy.sorts_by_code(viewer) else PERSON_ORDER_DEIDENTIFIED
    page_ = page(first, after, ordering, context.cursors)
    folded = validate.search(search)
    province = await known_province(context, province_code)
    if unit_code is not None and not (1 <= len(unit_code) <= 16):
        raise BadUserInput("unitCode: a unit code has 1 to 16 characters.", "unitCode")
    conditions = (
        scopes.persons(viewer),
        contains(person_t.c.search_name, folded) if folded else None,
        person_t.c.province_scope == province if province else None,
        # ...and to the row scope of what it matches: the periods the viewer may see (an employer
        # its own unit's), not every period of the person.
        person_t.c.id.in_(
            select(period_t.c.person_id)
            .join(unit_t, unit_t.c.id == period_t.c.unit_id)
            .where(unit_t.c.code == unit_code, scopes.periods(viewer))
        )
        if unit_code
        else None,
    )
    return await fetch_page_of(
        context.session, "persons", lambda: select(person_t), conditions, ordering, page_
    )


def check_year(year: int | None) -> None:
    if year is not None and not 1900 <= year <= 2100:
        raise BadUserInput(f"year: expected a calendar year such as 2024 (got {year}).", "year")


FIND_CODE_LIMIT = 10  # lookups per client address per hour
FIND_CODE_WINDOW = timedelta(hours=1)
MAX_MATCHES = 5


async def find_social_insurance_code(
    context: Context,
    full_name: str,
    date_of_birth: date,
    province_code: str,
    id_number: str | None,
    captcha_id: str,
    captcha_answer: str,
) -> list[Any]:
    """Tra cứu mã số BHXH: exact name, date of birth and province (the ID narrows): no wildcard,
    no partial match, a captcha per lookup and a budget per client, so nobody can enumerate."""
    problems = Problems()
    name = normalize_name(full_name)
    if not 2 <= len(name) <= 120:
        problems.add(
            ("input", "fullName"), "LENGTH", "Give the full name as on the ID (2 to 120 characters)."
        )
    elif len(name.split()) < 2:
        problems.add(("input", "fullName"), "FULL_NAME", "Give the full name: family name and given name.")
    today = datetime.now(VIETNAM_TZ).date()
    if not date(1900, 1, 1) <= date_of_birth <= today:
        problems.add(
            ("input", "dateOfBirth"),
            "OUT_OF_RANGE",
            "The date of birth must be between 1900-01-01 and today.",
        )
    if not validate.PROVINCE_CODE.match(province_code):
        problems.add(("input", "provinceCode"), "FORMAT", 'A province code is 2 digits, such as "01".')
    elif await context.loaders.admin_units_by_code.load(("2004", province_code)) is None:
        problems.add(("input", "provinceCode"), "UNKNOWN", f"No province has the code {province_code!r}.")
    if id_number is not None and not validate.ANY_ID.match(id_number.strip().upper()):
        problems.add(
            ("input", "idNumber"),
            "FORMAT",
            "An ID number is 9 digits (CMND), 12 (CCCD) or a passport number.",
        )
    await check_captcha(context, problems, captcha_id, captcha_answer)
    if problems:
        await context.session.commit()  # the captcha is spent either way
        raise InvalidArguments(problems.items)
    wait = await throttle.spend(
        context.session, "find-code", client_address(context), FIND_CODE_LIMIT, FIND_CODE_WINDOW, utcnow()
    )
    await context.session.commit()
    if wait:
        raise RateLimited(wait)
    statement = select(
        person_t.c.social_insurance_code, person_t.c.full_name, person_t.c.date_of_birth
    ).where(
        person_t.c.search_name == fold(name),
        person_t.c.date_of_birth == date_of_birth,
        person_t.c.province_scope == province_code,
    )
    if id_number is not None:
        statement = statement.where(person_t.c.id_number == id_number.strip().upper())
    rows = (
        await context.session.execute(statement.order_by(person_t.c.social_insurance_code).limit(MAX_MATCHES))
    ).all()
    return list(rows)
