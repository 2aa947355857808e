from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry

from auth.guard import AccessRecorder, Sealer, allow
from auth.policy import Relation, relation_to_registration
from resolvers import registration as resolve
from resolvers.context import Context, Info
from schema.enums import IdDocumentType, RegistrationStatus, SubmissionMethod, TransactionChannel
from schema.geo import Address, Office, address_of
from schema.node import Node, global_id
from schema.pagination import Connection, connection
from schema.person import IdDocument

STATUSES = {s.value: s for s in RegistrationStatus}
CHANNELS = {c.value: c for c in TransactionChannel}
METHODS = {m.value: m for m in SubmissionMethod}
ID_TYPES = {t.value: t for t in IdDocumentType}


@strawberry.type(description="Tờ khai mẫu 01: a request for an electronic-transaction account.")
class Registration(Node):
    _row: strawberry.Private[Any]
    _rel: strawberry.Private[Relation]
    _access: strawberry.Private[AccessRecorder]
    reference_number: str = strawberry.field(description="Given to the applicant to follow up.")
    status: RegistrationStatus
    applicant_name: str
    social_insurance_code: str
    id_document: IdDocument | None
    contact_address: Address | None
    contact_person: str | None
    email: str | None
    phone: str | None
    start_date: date = strawberry.field(description="Đăng ký sử dụng từ ngày.")
    channel: TransactionChannel
    submission_method: SubmissionMethod
    submitted_at: datetime
    decided_at: datetime | None
    rejection_reason: str | None

    @strawberry.field
    async def receiving_office(self, info: Info) -> Office:
        allow(self._access, self._rel, 0, "Registration.receivingOffice")
        return Office.from_row(await info.context.loaders.offices_by_id.load(self._row.receiving_office_id))

    @classmethod
    def wrap(cls, context: Context, row: Any) -> Registration:
        relation = relation_to_registration(context.viewer, row.social_insurance_code, row.province_scope)
        # A form is not yet a person's record: the access log does not key it (person 0 is skipped).
        seal = Sealer(context.access, relation, 0)
        fields: dict[str, Any] = {
            "id": global_id("Registration", row.id),
            "reference_number": seal("Registration.referenceNumber", row.reference_number),
            "status": seal("Registration.status", STATUSES[row.status]),
            "applicant_name": seal("Registration.applicantName", row.applicant_name),
            "social_insurance_code": seal("Registration.socialInsuranceCode", row.social_insurance_code),
            "id_document": seal(
                "Registration.idDocument", IdDocument(type=ID_TYPES[row.id_type], number=row.id_number)
            ),
            "contact_address": seal("Registration.contactAddress", address_of(row)),
            "contact_person": seal("Registration.contactPerson", row.contact_person),
            "email": seal("Registration.email", row.email),
            "phone": seal("Registration.phone", row.phone),
            "start_date": seal("Registration.startDate", row.start_date),
            "channel": seal("Registration.channel", CHANNELS[row.channel]),
            "submission_method": seal("Registration.submissionMethod", METHODS[row.submission_method]),
            "submitted_at": seal("Registration.submittedAt", row.submitted_at),
            "decided_at": seal("Registration.decidedAt", row.decided_at),
            "rejection_reason": seal("Registration.rejectionReason", row.rejection_reason),
        }
        return cls(_row=row, _rel=relation, _access=context.access, **fields)

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
