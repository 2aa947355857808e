"""The insured person and the root fields that find people."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import strawberry

from auth.guard import Guarded, Readers, allow
from auth.masking import mask_name
from auth.policy import Decision, relation_to_person
from resolvers import person as resolve
from resolvers.context import Context, Info
from resolvers.pagination import page
from schema.arguments import After, First, ProvinceCode, Search
from schema.enums import BenefitRegime, Gender, IdDocumentType, InsuranceType
from schema.geo import Address, address_of
from schema.node import Node, global_id
from schema.pagination import Connection, connection
from schema.scalars import YearMonth

if TYPE_CHECKING:
    from schema.access_log import AccessLogEntry
    from schema.benefit import Benefit
    from schema.card import HealthInsuranceCard
    from schema.contribution import ContributionPeriod
    from schema.visit import MedicalVisit


@strawberry.type(description="An identity document (giấy tờ tùy thân). Private.")
class IdDocument:
    type: IdDocumentType = strawberry.field(description="CMND, CCCD or passport.")
    number: str = strawberry.field(description="The document's number, as printed.")


@strawberry.type(
    description="Quá trình tham gia, totalled: overlapping periods count once; gaps are not counted."
)
class ParticipationSummary:
    insurance_type: InsuranceType = strawberry.field(description="Which insurance the total is for.")
    total_months: int = strawberry.field(
        description="Months of participation (tổng thời gian tham gia), overlaps counted once."
    )
    years: int = strawberry.field(description='totalMonths // 12 ("12 năm 2 tháng" -> 12)')
    months: int = strawberry.field(description="totalMonths % 12")
    first_month: YearMonth | None = strawberry.field(description="The first month contributed; null if none.")
    last_month: YearMonth | None = strawberry.field(description="The latest month contributed; null if none.")


ID_TYPES = {t.value: t for t in IdDocumentType}


@strawberry.type(description="An insured person. Private fields follow the access policy (privacy.md).")
class Person(Guarded, Node):
    social_insurance_code: str = strawberry.field(
        description="Mã số BHXH: 10 digits, the first two a province code."
    )
    full_name: str = strawberry.field(
        description="Họ và tên, as on the identity document. Analysts see it masked (Nguyễn T*** B***)."
    )
    gender: Gender | None = strawberry.field(description="Giới tính; null if not recorded.")
    birth_year: int | None = strawberry.field(
        description="The year of birth; kept for analysts, who do not see the date."
    )
    date_of_birth: date | None = strawberry.field(
        description="Ngày sinh. Private; analysts get null (see birthYear)."
    )
    id_document: IdDocument | None = strawberry.field(description="CMND/CCCD/passport. Private.")
    phone: str | None = strawberry.field(
        description="Mobile number (SMS of the portal go there). Private; analysts see it masked (0983***986)."
    )
    email: str | None = strawberry.field(description="E-mail address. Private; analysts see it masked.")

    _owner: ClassVar[str] = "id"
    _readers: ClassVar[Readers] = {
        "id": ("Person.id", lambda r: global_id("Person", r.id)),
        "social_insurance_code": ("Person.socialInsuranceCode", lambda r: r.social_insurance_code),
        "full_name": ("Person.fullName", lambda r: r.full_name),
        "gender": ("Person.gender", lambda r: r.gender),
        "birth_year": ("Person.birthYear", lambda r: r.date_of_birth.year if r.date_of_birth else None),
        "date_of_birth": ("Person.dateOfBirth", lambda r: r.date_of_birth),
        "id_document": (
            "Person.idDocument",
            lambda r: IdDocument(type=ID_TYPES[r.id_type], number=r.id_number) if r.id_type else None,
        ),
        "phone": ("Person.phone", lambda r: r.phone),
        "email": ("Person.email", lambda r: r.email),
    }

    @classmethod
    def wrap(cls, context: Context, row: Any) -> Person:
        return cls.make(row, relation_to_person(context.viewer, row.id, row.province_scope), context.access)

    @classmethod
    def wrapper(cls, context: Context) -> Any:
        viewer, access, make = context.viewer, context.access, cls.make
        return lambda row: make(row, relation_to_person(viewer, row.id, row.province_scope), access)

    @strawberry.field(
        description="Địa chỉ liên hệ, in the scheme it was written in (2004 or 2025). Private; analysts see the province, district and ward without the street."
    )
    def address(self) -> Address | None:
        decision = allow(self._access, self._rel, self._row.id, "Person.address")
        address = address_of(self._row)
        # Analysts see where, not who: no street line.
        return address.without_street() if address and decision is Decision.MASK else address

    @strawberry.field(description="The card in force (the latest issued).")
    async def health_insurance_card(
        self, info: Info
    ) -> Annotated[HealthInsuranceCard, strawberry.lazy("schema.card")] | None:
        from schema.card import HealthInsuranceCard

        allow(self._access, self._rel, self._row.id, "Person.healthInsuranceCard")
        row = await info.context.loaders.cards_by_person.load(self._row.id)
        return HealthInsuranceCard.wrap(info.context, row) if row is not None else None

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
        from resolvers.loaders import PERIOD_ORDER
        from schema.contribution import ContributionPeriod

        allow(self._access, self._rel, self._row.id, "Person.contributionPeriods")
        args = (insurance_type.value if insurance_type else None,)
        slice_ = await info.context.loaders.periods_by_person.slice(
            self._row.id, args, page(first, after, PERIOD_ORDER, info.context.cursors)
        )
        return connection(slice_, ContributionPeriod.wrapper(info.context))

    @strawberry.field(description="Thời gian tham gia of one insurance, totalled. Private.")
    async def participation(
        self,
        info: Info,
        insurance_type: Annotated[
            InsuranceType, strawberry.argument(description="BHXH, BHTN, BHTNLĐ-BNN or BHYT.")
        ],
    ) -> ParticipationSummary | None:
        allow(self._access, self._rel, self._row.id, "Person.participation")
        summary = await info.context.loaders.participation_by_person.load(
            (self._row.id, insurance_type.value)
        )
        if summary is None:
            return ParticipationSummary(
                insurance_type=insurance_type,
                total_months=0,
                years=0,
                months=0,
                first_month=None,
                last_month=None,
            )
        total = summary.total_months
        return ParticipationSummary(
            insurance_type=insurance_type,
            total_months=total,
            years=total // 12,
            months=total % 12,
            first_month=YearMonth(summary.first_month),
            last_month=YearMonth(summary.last_month),
        )

    @strawberry.field(description="Newest first.")
    async def benefits(
        self,
        info: Info,
        regime: Annotated[
            BenefitRegime | None,
            strawberry.argument(description="Only payments of this regime (chế độ); all if left out."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Annotated[Benefit, strawberry.lazy("schema.benefit")]] | None:
        from resolvers.loaders import BENEFIT_ORDER
        from schema.benefit import Benefit

        allow(self._access, self._rel, self._row.id, "Person.benefits")
        args = (regime.value if regime else None,)
        slice_ = await info.context.loaders.benefits_by_person.slice(
            self._row.id, args, page(first, after, BENEFIT_ORDER, info.context.cursors)
        )
        return connection(slice_, Benefit.wrapper(info.context))

    @strawberry.field(description="Sổ khám chữa bệnh, newest first.")
    async def medical_visits(
        self,
        info: Info,
        year: Annotated[
            int | None,
            strawberry.argument(description="Only visits admitted in this calendar year (Vietnam time)."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Annotated[MedicalVisit, strawberry.lazy("schema.visit")]] | None:
        from resolvers.loaders import VISIT_ORDER
        from schema.visit import MedicalVisit

        allow(self._access, self._rel, self._row.id, "Person.medicalVisits")
        resolve.check_year(year)
        slice_ = await info.context.loaders.visits_by_person.slice(
            self._row.id, (year,), page(first, after, VISIT_ORDER, info.context.cursors)
        )
        return connection(slice_, MedicalVisit.wrapper(info.context))

    @strawberry.field(description='"Who looked at my data": the person and ADMIN only, newest first.')
    async def data_access_log(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Annotated[AccessLogEntry, strawberry.lazy("schema.access_log")]] | None:
        from resolvers.loaders import ACCESS_LOG_ORDER
        from schema.access_log import AccessLogEntry

        allow(self._access, self._rel, self._row.id, "Person.dataAccessLog")
        slice_ = await info.context.loaders.access_log_by_person.slice(
            self._row.id, (), page(first, after, ACCESS_LOG_ORDER, info.context.cursors)
        )
        return connection(slice_, AccessLogEntry.from_row)


@strawberry.type
class PersonQuery:
    @strawberry.field(description="A person by social-insurance code, if in the viewer's scope (else null).")
    async def person(
        self,
        info: Info,
        social_insurance_code: Annotated[
            str,
            strawberry.argument(
                description="Mã số BHXH: 10 digits. Analysts get null: they cannot confirm who is who."
            ),
        ],
    ) -> Person | None:
        row = await resolve.person_by_code(info.context, social_insurance_code)
        return Person.wrap(info.context, row) if row is not None else None

    @strawberry.field(description="People in the viewer's scope, ordered by social-insurance code.")
    async def persons(
        self,
        info: Info,
        search: Search = None,
        province_code: ProvinceCode = None,
        unit_code: Annotated[
            str | None,
            strawberry.argument(
                description="Mã đơn vị: only people with a contribution period at this unit that the viewer may see."
            ),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Person]:
        slice_ = await resolve.persons(info.context, search, province_code, unit_code, first, after)
        return connection(slice_, Person.wrapper(info.context))


@strawberry.input(description="Tra cứu mã số BHXH: who is looking for their code (all of it must match).")
class FindSocialInsuranceCodeInput:
    full_name: str = strawberry.field(description="Họ và tên, accents included.")
    date_of_birth: date = strawberry.field(description="Ngày sinh (YYYY-MM-DD).")
    province_code: str = strawberry.field(
        description="Mã tỉnh of the province where the person was registered (2 digits)."
    )
    id_number: str | None = strawberry.field(
        default=None, description="Narrows the match; without it several people may match."
    )
    captcha_id: strawberry.ID = strawberry.field(description="The id of a captcha from the `captcha` query.")
    captcha_answer: str = strawberry.field(description="The characters of that captcha image.")


@strawberry.type(description="Only the code and a masked name: never a way to enumerate people.")
class SocialInsuranceCodeMatch:
    social_insurance_code: str = strawberry.field(description="Mã số BHXH: 10 digits.")
    masked_name: str = strawberry.field(description="The name with most letters hidden (Nguyễn T*** B***).")
    birth_year: int = strawberry.field(description="Năm sinh.")


@strawberry.type
class LookupQuery:
    @strawberry.field(description="Tra cứu mã số BHXH: captcha required; at most 5 matches.")
    async def find_social_insurance_code(
        self,
        info: Info,
        input: Annotated[
            FindSocialInsuranceCodeInput,
            strawberry.argument(description="Who to look for; a wrong captcha answer is BAD_USER_INPUT."),
        ],
    ) -> list[SocialInsuranceCodeMatch]:
        rows = await resolve.find_social_insurance_code(
            info.context,
            input.full_name,
            input.date_of_birth,
            input.province_code,
            input.id_number,
            input.captcha_id,
            input.captcha_answer,
        )
        return [
            SocialInsuranceCodeMatch(
                social_insurance_code=r.social_insurance_code,
                masked_name=mask_name(r.full_name),
                birth_year=r.date_of_birth.year,
            )
            for r in rows
        ]
