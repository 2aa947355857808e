from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, true, update
from sqlalchemy.exc import IntegrityError

from auth import scopes
from auth.viewer import Role, Viewer
from models.tables import (
    unit_t,
)
from models.text import contains, fold, normalize_name
from resolvers import validate
from resolvers.context import Context, require_viewer
from resolvers.errors import BadUserInput
from resolvers.events import audit, inserted_id
from resolvers.outcomes import Invalid, Problem, Problems, Refused
from resolvers.pagination import Ordering, page
from resolvers.recording import (
    INPUT,
    UNIT_CODE,
    Outcome,
    Saved,
    covers,
    one_row,
)
from resolvers.reference import known_province
from resolvers.registration import AddressValue, CheckedAddress, check_address, check_text
from resolvers.slices import Slice, fetch_page_of

UNIT_ORDER = Ordering("unit", (unit_t.c.code,), kinds=("str",))
# participatingUnits: the open view, the same for everyone.
PUBLIC_UNIT_ORDER = Ordering("participating-unit", (unit_t.c.code,), kinds=("str",), scoped=False)
TAX_CODE = re.compile(r"^\d{10}(-\d{3})?$")


async def unit_by_code(context: Context, code: str) -> Any | None:
    require_viewer(context)
    if not 1 <= len(code) <= 16:
        raise BadUserInput("code: a unit code has 1 to 16 characters.", "code")
    statement = select(unit_t).where(unit_t.c.code == code, scopes.units(context.viewer))
    return (await context.session.execute(statement)).first()


async def units(
    context: Context,
    search: str | None,
    tax_code: str | None,
    province_code: str | None,
    first: int | None,
    after: str | None,
    *,
    public: bool,
) -> Slice:
    if not public:
        require_viewer(context)
    ordering = PUBLIC_UNIT_ORDER if public else UNIT_ORDER
    page_ = page(first, after, ordering, context.cursors)
    folded = validate.search(search)
    province = await known_province(context, province_code)
    if tax_code is not None and not TAX_CODE.match(tax_code):
        raise BadUserInput("taxCode: a tax code is 10 digits, or 10 digits, a dash and 3 digits.", "taxCode")
    conditions = (
        true() if public else scopes.units(context.viewer),
        contains(unit_t.c.search_name, folded) if folded else None,
        unit_t.c.province_scope == province if province else None,
        unit_t.c.tax_code == tax_code if tax_code else None,
    )
    return await fetch_page_of(context.session, "units", lambda: select(unit_t), conditions, ordering, page_)


# ---------- units ----------


@dataclass(frozen=True, slots=True)
class UnitData:
    code: str | None = None
    name: str | None = None
    tax_code: str | None = None
    address: AddressValue | None = None


def _unit_roles(viewer: Viewer) -> Refused | None:
    if viewer.role not in (Role.OFFICER, Role.ADMIN):
        return Refused("Only BHXH officers (in their province) and administrators manage units.")
    return None


def _tax_code(problems: Problems, value: str | None) -> str | None:
    tax = value.strip() if value is not None else None
    if tax and not TAX_CODE.match(tax):
        problems.add(
            (*INPUT, "taxCode"), "FORMAT", "A tax code is 10 digits, or 10 digits, a dash and 3 digits."
        )
    return tax or None


def _unit_address_in_scope(viewer: Viewer, address: CheckedAddress) -> Refused | None:
    if viewer.role is Role.OFFICER and not covers(viewer, address.province_scope):
        return Refused(f"Your office manages units of province {viewer.province_code} only.")
    return None


async def create_unit(context: Context, data: UnitData) -> Outcome:
    viewer = require_viewer(context)
    refused = _unit_roles(viewer)
    if refused is not None:
        return refused
    session = context.session
    problems = Problems()
    code = (data.code or "").strip().upper()
    if not UNIT_CODE.match(code):
        problems.add(
            (*INPUT, "code"),
            "FORMAT",
            'A unit code is the 2-digit province code and 1 to 14 letters or digits, such as "01A0001".',
        )
    name = check_text(problems, (*INPUT, "name"), data.name, "The name", 200, required=True)
    tax_code = _tax_code(problems, data.tax_code)
    assert data.address is not None
    address = await check_address(context, problems, (*INPUT, "address"), data.address)
    if address is not None:
        refused = _unit_address_in_scope(viewer, address)
        if refused is not None:
            return refused
        if UNIT_CODE.match(code) and code[:2] != address.province_scope:
            problems.add(
                (*INPUT, "code"),
                "PROVINCE_MISMATCH",
                f"The code of a unit in province {address.province_scope} starts with {address.province_scope}.",
            )
    if (
        UNIT_CODE.match(code)
        and (await session.execute(select(unit_t.c.id).where(unit_t.c.code == code))).first()
    ):
        problems.add((*INPUT, "code"), "DUPLICATE", f"A unit with the code {code} exists already.")
    if problems or name is None or address is None:
        return Invalid(problems.items)
    name = normalize_name(name)
    try:
        inserted = await session.execute(
            insert(unit_t).values(
                code=code,
                name=name,
                search_name=fold(name),
                tax_code=tax_code,
                province_scope=address.province_scope,
                **address.columns(),
            )
        )
    except IntegrityError:
        await session.rollback()
        return Invalid(
            [Problem((*INPUT, "code"), "DUPLICATE", f"A unit with the code {code} exists already.")]
        )
    unit_id = inserted_id(inserted)
    # Units have no event type in the contract's feed: the audit trail records them.
    await audit(session, viewer, "createUnit", "Unit", unit_id, {"code": code, "name": name})
    await session.commit()
    return Saved(await one_row(session, select(unit_t).where(unit_t.c.id == unit_id)))


async def update_unit(context: Context, code: str, data: UnitData) -> Outcome:
    viewer = require_viewer(context)
    refused = _unit_roles(viewer)
    if refused is not None:
        return refused
    session = context.session
    problems = Problems()
    unit = (
        await session.execute(
            select(unit_t).where(unit_t.c.code == code.strip().upper(), scopes.units(viewer))
        )
    ).first()
    if unit is None:
        return Invalid(
            [Problem((*INPUT, "code"), "NOT_FOUND", f"No unit with the code {code!r} in your scope.")]
        )
    changes: dict[str, Any] = {}
    if data.name is not None:
        name = check_text(problems, (*INPUT, "name"), data.name, "The name", 200, required=True)
        if name is not None:
            changes.update(name=normalize_name(name), search_name=fold(name))
    if data.tax_code is not None:
        changes["tax_code"] = _tax_code(problems, data.tax_code)
    if data.address is not None:
        address = await check_address(context, problems, (*INPUT, "address"), data.address)
        if address is not None:
            refused = _unit_address_in_scope(viewer, address)
            if refused is not None:
                return refused
            changes.update(province_scope=address.province_scope, **address.columns())
    if not problems and not changes:
        problems.add(INPUT, "NOTHING_TO_CHANGE", "Give at least one of name, taxCode, address.")
    if problems:
        return Invalid(problems.items)
    await session.execute(update(unit_t).where(unit_t.c.id == unit.id).values(**changes))
    await audit(
        session, viewer, "updateUnit", "Unit", unit.id, {"code": unit.code, "changed": sorted(changes)}
    )
    await session.commit()
    return Saved(await one_row(session, select(unit_t).where(unit_t.c.id == unit.id)))
