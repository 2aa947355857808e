from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry

from auth.guard import AccessRecorder, read
from auth.policy import Relation, relation_to_registration
from resolvers import registration as resolve
from resolvers.context import Context, Info
from schema.enums import IdDocumentType, RegistrationStatus, SubmissionMethod, TransactionChannel
from schema.geo import Address, Office, address_of
from schema.node import Node, global_id
from schema.pagination import Connection, connection
from schema.person import IdDocument


@strawberry.type(description="Tờ khai mẫu 01: a request for an electronic-transaction account.")
class Registration(Node):
    _row: strawberry.Private[Any]
    _rel: strawberry.Private[Relation]
    _access: strawberry.Private[AccessRecorder]

    def _read(self, field: str, value: Any) -> Any:
        # Registrations are not yet a person's record: the access log keys them by person 0.
        return read(self._access, self._rel, 0, field, value)

    @strawberry.field
    def id(self) -> strawberry.ID:
        return global_id("Registration", self._row.id)

    @strawberry.field(description="Given to the applicant to follow up.")
    def reference_number(self) -> str:
        return self._read("Registration.referenceNumber", self._row.reference_number)  # type: ignore[no-any-return]

    @strawberry.field
    def status(self) -> RegistrationStatus:
        return self._read("Registration.status", RegistrationStatus(self._row.status))  # type: ignore[no-any-return]

    @strawberry.field
    def applicant_name(self) -> str:
        return self._read("Registration.applicantName", self._row.applicant_name)  # type: ignore[no-any-return]

    @strawberry.field
    def social_insurance_code(self) -> str:
        return self._read("Registration.socialInsuranceCode", self._row.social_insurance_code)  # type: ignore[no-any-return]

    @strawberry.field
    def id_document(self) -> IdDocument | None:
        row = self._row
        return self._read(  # type: ignore[no-any-return]
            "Registration.idDocument", IdDocument(type=IdDocumentType(row.id_type), number=row.id_number)
        )

    @strawberry.field
    def contact_address(self) -> Address | None:
        return self._read("Registration.contactAddress", address_of(self._row))  # type: ignore[no-any-return]

    @strawberry.field
    def contact_person(self) -> str | None:
        return self._read("Registration.contactPerson", self._row.contact_person)  # type: ignore[no-any-return]

    @strawberry.field
    def email(self) -> str | None:
        return self._read("Registration.email", self._row.email)  # type: ignore[no-any-return]

    @strawberry.field
    def phone(self) -> str | None:
        return self._read("Registration.phone", self._row.phone)  # type: ignore[no-any-return]

    @strawberry.field(description="Đăng ký sử dụng từ ngày.")
    def start_date(self) -> date:
        return self._read("Registration.startDate", self._row.start_date)  # type: ignore[no-any-return]

    @strawberry.field
    def channel(self) -> TransactionChannel:
        return self._read("Registration.channel", TransactionChannel(self._row.channel))  # type: ignore[no-any-return]

    @strawberry.field
    async def receiving_office(self, info: Info) -> Office:
        self._read("Registration.receivingOffice", None)
        return Office.from_row(await info.context.loaders.offices_by_id.load(self._row.receiving_office_id))

    @strawberry.field
    def submission_method(self) -> SubmissionMethod:
        return self._read("Registration.submissionMethod", SubmissionMethod(self._row.submission_method))  # type: ignore[no-any-return]

    @strawberry.field
    def submitted_at(self) -> datetime:
        return self._read("Registration.submittedAt", self._row.submitted_at)  # type: ignore[no-any-return]

    @strawberry.field
    def decided_at(self) -> datetime | None:
        return self._read("Registration.decidedAt", self._row.decided_at)  # type: ignore[no-any-return]

    @strawberry.field
    def rejection_reason(self) -> str | None:
        return self._read("Registration.rejectionReason", self._row.rejection_reason)  # type: ignore[no-any-return]

    @classmethod
    def wrap(cls, context: Context, row: Any) -> Registration:
        relation = relation_to_registration(context.viewer, row.social_insurance_code, row.province_scope)
        return cls(_row=row, _rel=relation, _access=context.access)

    @classmethod
    def wrapper(cls, context: Context) -> Any:
        return lambda row: cls.wrap(context, row)


@strawberry.type
class RegistrationQuery:
    @strawberry.field(description="Forms in the viewer's scope (officers: their province), newest first.")
    async def registrations(
        self,
        info: Info,
        status: RegistrationStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Registration]:
        slice_ = await resolve.registrations(info.context, status.value if status else None, first, after)
        return connection(slice_, Registration.wrapper(info.context))
