from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from auth.guard import AccessRecorder, allow
from auth.policy import Relation, relation_to_unit
from resolvers import unit as resolve
from resolvers.context import Context, Info
from resolvers.loaders import PERIOD_ORDER, roster_order
from resolvers.pagination import page
from schema.arguments import INPUT, After, First, ProvinceCode, Search
from schema.enums import InsuranceType
from schema.errors import InvalidInput, NotAllowed, outcome_result
from schema.geo import Address, AdministrativeUnit, address_of
from schema.node import Node, global_id
from schema.pagination import Connection, connection
from schema.registration import AddressInput

if TYPE_CHECKING:
    from schema.contribution import ContributionPeriod
    from schema.person import Person


@strawberry.type(
    description="Đơn vị tham gia BHXH: an employer. Code, name, province and tax code are public."
)
class Unit(Node):
    _row: strawberry.Private[Any]
    _rel: strawberry.Private[Relation]
    _access: strawberry.Private[AccessRecorder]

    code: str = strawberry.field(description="Mã đơn vị.")
    name: str = strawberry.field(description="Tên đơn vị.")
    tax_code: str | None = strawberry.field(description="Mã số thuế.")

    @strawberry.field(description="Tỉnh of the unit's address.")
    async def province(self, info: Info) -> AdministrativeUnit:
        row = await info.context.loaders.admin_units_by_code.load(
            (self._row.address_scheme, self._row.province_code)
        )
        assert row is not None, "foreign key: a unit's province exists"
        return AdministrativeUnit(code=row.code, name=row.name)

    @strawberry.field(description="Địa chỉ of the unit (officers in scope, the employer itself, analysts).")
    def address(self) -> Address | None:
        allow(self._access, self._rel, 0, "Unit.address")
        return address_of(self._row)

    @strawberry.field(description="People with a contribution period at this unit, in the viewer's scope.")
    async def employees(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Annotated[Person, strawberry.lazy("schema.person")]] | None:
        from schema.person import Person

        allow(self._access, self._rel, 0, "Unit.employees")
        slice_ = await info.context.loaders.employees_by_unit.slice(
            self._row.id, (), page(first, after, roster_order(info.context.viewer), info.context.cursors)
        )
        return connection(slice_, Person.wrapper(info.context))

    @strawberry.field(description="Newest first.")
    async def contribution_periods(
        self,
        info: Info,
        insurance_type: Annotated[
            InsuranceType | None,
            strawberry.argument(description="Only periods of this insurance (all if left out)."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Annotated[ContributionPeriod, strawberry.lazy("schema.contribution")]] | None:
        from schema.contribution import ContributionPeriod

        allow(self._access, self._rel, 0, "Unit.contributionPeriods")
        args = (insurance_type.value if insurance_type else None,)
        slice_ = await info.context.loaders.periods_by_unit.slice(
            self._row.id, args, page(first, after, PERIOD_ORDER, info.context.cursors)
        )
        return connection(slice_, ContributionPeriod.wrapper(info.context))

    @classmethod
    def _build(cls, row: Any, relation: Relation, access: AccessRecorder) -> Unit:
        return cls(
            id=global_id("Unit", row.id),
            code=row.code,
            name=row.name,
            tax_code=row.tax_code,
            _row=row,
            _rel=relation,
            _access=access,
        )

    @classmethod
    def wrap(cls, context: Context, row: Any) -> Unit:
        return cls._build(row, relation_to_unit(context.viewer, row.id, row.province_scope), context.access)

    @classmethod
    def wrapper(cls, context: Context) -> Any:
        viewer, access = context.viewer, context.access
        return lambda row: cls._build(row, relation_to_unit(viewer, row.id, row.province_scope), access)

    @classmethod
    def public(cls, context: Context) -> Any:
        """The public view (participatingUnits): whoever asks, never the employees or periods."""
        access = context.access
        return lambda row: cls._build(row, Relation.ANONYMOUS, access)


@strawberry.type
class UnitQuery:
    @strawberry.field(description="A unit by code, if in the viewer's scope (else null).")
    async def unit(
        self, info: Info, code: Annotated[str, strawberry.argument(description="Mã đơn vị.")]
    ) -> Unit | None:
        row = await resolve.unit_by_code(info.context, code)
        return Unit.wrap(info.context, row) if row is not None else None

    @strawberry.field(description="Units in the viewer's scope, ordered by code.")
    async def units(
        self,
        info: Info,
        search: Search = None,
        province_code: ProvinceCode = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Unit]:
        slice_ = await resolve.units(info.context, search, None, province_code, first, after, public=False)
        return connection(slice_, Unit.wrapper(info.context))

    @strawberry.field(
        description="Tra cứu đơn vị tham gia BHXH: the public view (code, name, province, tax code)."
    )
    async def participating_units(
        self,
        info: Info,
        search: Search = None,
        tax_code: Annotated[
            str | None, strawberry.argument(description="Mã số thuế: only the unit with this tax code.")
        ] = None,
        province_code: ProvinceCode = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Unit]:
        slice_ = await resolve.units(info.context, search, tax_code, province_code, first, after, public=True)
        return connection(slice_, Unit.public(info.context))


# ---------- data entry ----------


# ---------- units ----------


@strawberry.input(description="A new unit (đơn vị): officers in their province, administrators anywhere.")
class CreateUnitInput:
    code: str = strawberry.field(
        description='Mã đơn vị: the 2-digit province code and 1-14 letters or digits ("01A0001").'
    )
    name: str = strawberry.field(description="Tên đơn vị (at most 200 characters).")
    tax_code: str | None = strawberry.field(default=None, description="Mã số thuế: 10 digits, or 10-3.")
    address: AddressInput = strawberry.field(description="Địa chỉ trụ sở.")


@strawberry.input(description="Changes to a unit: absent fields stay as they are.")
class UpdateUnitInput:
    code: str = strawberry.field(description="The unit to change (its code does not change).")
    name: str | None = strawberry.field(default=None, description="The new name; absent: unchanged.")
    tax_code: str | None = strawberry.field(default=None, description='"" removes the tax code.')
    address: AddressInput | None = strawberry.field(
        default=None, description="The new address; absent: unchanged."
    )


@strawberry.type(description="The unit was created.")
class CreateUnitSuccess:
    unit: Unit = strawberry.field(description="The new unit.")


@strawberry.type(description="The unit was changed.")
class UpdateUnitSuccess:
    unit: Unit = strawberry.field(description="The unit as changed.")


CreateUnitResult = Annotated[
    CreateUnitSuccess | InvalidInput | NotAllowed,
    strawberry.union(
        "CreateUnitResult",
        description="What createUnit answers: its success, or every problem of the input (InvalidInput), or NotAllowed when the viewer may not.",
    ),
]
UpdateUnitResult = Annotated[
    UpdateUnitSuccess | InvalidInput | NotAllowed,
    strawberry.union(
        "UpdateUnitResult",
        description="What updateUnit answers: its success, or every problem of the input (InvalidInput), or NotAllowed when the viewer may not.",
    ),
]


def _unit(context: Context) -> Callable[[Any], Unit]:
    return lambda row: Unit.wrap(context, row)


@strawberry.type
class UnitMutation:
    @strawberry.mutation(description="Create a unit (officers in their province, administrators).")
    async def create_unit(self, info: Info, input: Annotated[CreateUnitInput, INPUT]) -> CreateUnitResult:
        ctx = info.context
        outcome = await resolve.create_unit(
            ctx,
            resolve.UnitData(
                code=input.code, name=input.name, tax_code=input.tax_code, address=input.address.value()
            ),
        )
        return outcome_result(outcome, lambda row: CreateUnitSuccess(unit=_unit(ctx)(row)))

    @strawberry.mutation(description="Change a unit's name, tax code or address.")
    async def update_unit(self, info: Info, input: Annotated[UpdateUnitInput, INPUT]) -> UpdateUnitResult:
        ctx = info.context
        outcome = await resolve.update_unit(
            ctx,
            input.code,
            resolve.UnitData(
                name=input.name,
                tax_code=input.tax_code,
                address=input.address.value() if input.address is not None else None,
            ),
        )
        return outcome_result(outcome, lambda row: UpdateUnitSuccess(unit=_unit(ctx)(row)))
