"""Places: administrative units, addresses, offices, health facilities, collection agents."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from resolvers import geo as resolve
from resolvers.context import Info
from schema.arguments import After, First, ProvinceCode, Search
from schema.node import Node, global_id
from schema.pagination import Connection, connection


@strawberry.type(description="A province, district or ward/commune with its official code.")
class AdministrativeUnit:
    code: str = strawberry.field(
        description="Mã đơn vị hành chính (2 digits a province, 3 a district, 5 a ward)."
    )
    name: str = strawberry.field(description="Tên, e.g. Thành phố Hà Nội.")


def _unit(row: Any) -> AdministrativeUnit:
    return AdministrativeUnit(code=row.code, name=row.name)


@strawberry.type(
    description="An address as it was written: three levels before 2025-07-01, two levels (no district) after."
)
class Address:
    _scheme: strawberry.Private[str]
    _province: strawberry.Private[str]
    _district: strawberry.Private[str | None]
    _ward: strawberry.Private[str | None]
    _street: strawberry.Private[str | None]

    @strawberry.field(description="Tỉnh/thành phố.")
    async def province(self, info: Info) -> AdministrativeUnit:
        return _unit(await info.context.loaders.admin_units_by_code.load((self._scheme, self._province)))

    @strawberry.field(description="Quận/huyện; null in the 2025 scheme (no districts).")
    async def district(self, info: Info) -> AdministrativeUnit | None:
        if self._district is None:
            return None
        row = await info.context.loaders.admin_units_by_code.load((self._scheme, self._district))
        return _unit(row) if row is not None else None

    @strawberry.field(description="Xã/phường/thị trấn (for a unit known by province only: the province).")
    async def ward(self, info: Info) -> AdministrativeUnit:
        # Every stored address has a ward except a unit's, which may be known by province only;
        # the province then stands in so the contract's non-null ward holds.
        return _unit(
            await info.context.loaders.admin_units_by_code.load((self._scheme, self._ward or self._province))
        )

    @strawberry.field(description="Thôn, số nhà, đường.")
    def street(self) -> str | None:
        return self._street

    def without_street(self) -> Address:
        return Address(
            _scheme=self._scheme,
            _province=self._province,
            _district=self._district,
            _ward=self._ward,
            _street=None,
        )

    @strawberry.field(
        description='One printable line: "Thôn 4 Thụ Trai, Xã Phúc Hòa, Huyện Phúc Thọ, Thành phố Hà Nội".'
    )
    async def text(self, info: Info) -> str:
        codes = [(self._scheme, c) for c in (self._ward, self._district, self._province) if c is not None]
        names = [row.name for row in await info.context.loaders.admin_units_by_code.load_many(codes) if row]
        return ", ".join([self._street, *names] if self._street else names)


def address_of(row: Any, *, with_street: bool = True) -> Address | None:
    """The address columns of a row (address_scheme, province_code, district_code, ward_code, street)."""
    if row.province_code is None:
        return None
    return Address(
        _scheme=row.address_scheme,
        _province=row.province_code,
        _district=row.district_code,
        _ward=row.ward_code,
        _street=row.street if with_street else None,
    )


@strawberry.type(description="A point on the map (WGS 84).")
class GeoPoint:
    latitude: float = strawberry.field(description="Vĩ độ, in degrees.")
    longitude: float = strawberry.field(description="Kinh độ, in degrees.")


def _location(row: Any) -> GeoPoint | None:
    if row.latitude is None or row.longitude is None:
        return None
    return GeoPoint(latitude=row.latitude, longitude=row.longitude)


def _distance(row: Any) -> float | None:
    value = getattr(row, "distance_km", None)
    return round(value, 3) if value is not None else None


DISTANCE = "Kilometres from the `near` point of the query; null without `near`."


def _place(row: Any) -> dict[str, Any]:
    address = address_of(row)
    assert address is not None, "places always have an address"
    return {"address": address, "location": _location(row), "distance_km": _distance(row)}


@strawberry.type(description="Cơ quan BHXH.")
class Office(Node):
    _row: strawberry.Private[Any]
    code: str = strawberry.field(description='Mã cơ quan BHXH, e.g. "01" for BHXH Hà Nội.')
    name: str = strawberry.field(description="Tên cơ quan.")
    phone: str | None = strawberry.field(description="Điện thoại.")

    address: Address = strawberry.field(description="Địa chỉ.")
    location: GeoPoint | None = strawberry.field(description="Where it is; null if unknown.")
    distance_km: float | None = strawberry.field(description=DISTANCE)

    @classmethod
    def from_row(cls, row: Any) -> Office:
        return cls(
            id=global_id("Office", row.id),
            _row=row,
            code=row.code,
            name=row.name,
            phone=row.phone,
            **_place(row),
        )


@strawberry.type(description="Cơ sở khám chữa bệnh (CSKCB).")
class HealthFacility(Node):
    _row: strawberry.Private[Any]
    code: str = strawberry.field(description="Mã CSKCB (5 digits), as on the card's nơi đăng ký KCB ban đầu.")
    name: str = strawberry.field(description="Tên cơ sở.")
    accepts_health_insurance: bool = strawberry.field(description="Ký hợp đồng KCB BHYT.")
    issues_sick_leave: bool = strawberry.field(description="Cấp giấy nghỉ việc hưởng BHXH.")

    address: Address = strawberry.field(description="Địa chỉ.")
    location: GeoPoint | None = strawberry.field(description="Where it is; null if unknown.")
    distance_km: float | None = strawberry.field(description=DISTANCE)

    @classmethod
    def from_row(cls, row: Any) -> HealthFacility:
        return cls(
            id=global_id("HealthFacility", row.id),
            **_place(row),
            _row=row,
            code=row.code,
            name=row.name,
            accepts_health_insurance=row.accepts_health_insurance,
            issues_sick_leave=row.issues_sick_leave,
        )


@strawberry.type(description="Điểm thu, đại lý thu BHXH tự nguyện, BHYT hộ gia đình.")
class CollectionAgent(Node):
    _row: strawberry.Private[Any]
    code: str = strawberry.field(description="Mã đại lý thu.")
    name: str = strawberry.field(description="Tên đại lý.")
    phone: str | None = strawberry.field(description="Điện thoại.")

    address: Address = strawberry.field(description="Địa chỉ.")
    location: GeoPoint | None = strawberry.field(description="Where it is; null if unknown.")
    distance_km: float | None = strawberry.field(description=DISTANCE)

    @classmethod
    def from_row(cls, row: Any) -> CollectionAgent:
        return cls(
            id=global_id("CollectionAgent", row.id),
            _row=row,
            code=row.code,
            name=row.name,
            phone=row.phone,
            **_place(row),
        )


@strawberry.input(description="A point on the map (WGS 84), to sort places by distance.")
class GeoPointInput:
    latitude: float = strawberry.field(description="Vĩ độ, -90 to 90 degrees.")
    longitude: float = strawberry.field(description="Kinh độ, -180 to 180 degrees.")


def _point(near: GeoPointInput | None) -> tuple[float, float] | None:
    return (near.latitude, near.longitude) if near is not None else None


# The `near` argument of the place lists, described once.
Near = Annotated[
    GeoPointInput | None,
    strawberry.argument(
        description="Nearest first from this point (distanceKm filled in), instead of by code."
    ),
]


@strawberry.type
class PlaceQuery:
    @strawberry.field(description="Tra cứu cơ quan BHXH. With `near`, nearest first and distanceKm set.")
    async def offices(
        self,
        info: Info,
        province_code: ProvinceCode = None,
        near: Near = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Office]:
        slice_ = await resolve.offices(info.context, province_code, _point(near), first, after)
        return connection(slice_, Office.from_row)

    @strawberry.field(
        description="Tra cứu CSKCB: BHYT contracts, sick-leave certificates; search ignores diacritics."
    )
    async def health_facilities(
        self,
        info: Info,
        province_code: ProvinceCode = None,
        accepts_health_insurance: Annotated[
            bool | None,
            strawberry.argument(description="Only those with (true) or without (false) a BHYT contract."),
        ] = None,
        issues_sick_leave: Annotated[
            bool | None,
            strawberry.argument(
                description="Only those that issue sick-leave certificates (true) or not (false)."
            ),
        ] = None,
        search: Search = None,
        near: Near = None,
        first: First = None,
        after: After = None,
    ) -> Connection[HealthFacility]:
        slice_ = await resolve.health_facilities(
            info.context,
            province_code,
            accepts_health_insurance,
            issues_sick_leave,
            search,
            _point(near),
            first,
            after,
        )
        return connection(slice_, HealthFacility.from_row)

    @strawberry.field(description="Tra cứu điểm thu, đại lý thu.")
    async def collection_agents(
        self,
        info: Info,
        province_code: ProvinceCode = None,
        near: Near = None,
        first: First = None,
        after: After = None,
    ) -> Connection[CollectionAgent]:
        slice_ = await resolve.collection_agents(info.context, province_code, _point(near), first, after)
        return connection(slice_, CollectionAgent.from_row)
