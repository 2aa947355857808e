from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

import strawberry

from auth.guard import Guarded, Readers, allow
from auth.policy import relation_to_registration
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
class Registration(Guarded, Node):
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

    # A form is not yet a person's record: the access log does not key it (person 0 is skipped).
    _owner: ClassVar[str] = ""
    _readers: ClassVar[Readers] = {
        "id": ("Registration.id", lambda r: global_id("Registration", r.id)),
        "reference_number": ("Registration.referenceNumber", lambda r: r.reference_number),
        "status": ("Registration.status", lambda r: STATUSES[r.status]),
        "applicant_name": ("Registration.applicantName", lambda r: r.applicant_name),
        "social_insurance_code": ("Registration.socialInsuranceCode", lambda r: r.social_insurance_code),
        "id_document": (
            "Registration.idDocument",
            lambda r: IdDocument(type=ID_TYPES[r.id_type], number=r.id_number),
        ),
        "contact_address": ("Registration.contactAddress", address_of),
        "contact_person": ("Registration.contactPerson", lambda r: r.contact_person),
        "email": ("Registration.email", lambda r: r.email),
        "phone": ("Registration.phone", lambda r: r.phone),
        "start_date": ("Registration.startDate", lambda r: r.start_date),
        "channel": ("Registration.channel", lambda r: CHANNELS[r.channel]),
        "submission_method": ("Registration.submissionMethod", lambda r: METHODS[r.submission_method]),
        "submitted_at": ("Registration.submittedAt", lambda r: r.submitted_at),
        "decided_at": ("Registration.decidedAt", lambda r: r.decided_at),
        "rejection_reason": ("Registration.rejectionReason", lambda r: r.rejection_reason),
    }

    @classmethod
    def wrap(cls, context: Context, row: Any) -> Registration:
        relation = relation_to_registration(context.viewer, row.social_insurance_code, row.province_scope)
        return cls.make(row, relation, context.access)

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
