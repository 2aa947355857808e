from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from enum import Enum
from typing import Annotated, Any, ClassVar

import strawberry
from strawberry.file_uploads import Upload

from auth.guard import Guarded, Readers, allow
from auth.policy import Relation, relation_to_registration
from auth.viewer import Role
from infra import uploads
from resolvers import registration as resolve
from resolvers.context import Context, Info
from resolvers.outcomes import Invalid, Refused
from schema.account import Account
from schema.arguments import INPUT, After, First
from schema.enums import (
    IdDocumentType,
    RegistrationPurpose,
    RegistrationStatus,
    SubmissionMethod,
    TransactionChannel,
    described,
)
from schema.errors import InvalidInput, NotAllowed
from schema.geo import Address, Office, address_of
from schema.node import Node, global_id
from schema.pagination import Connection, connection
from schema.person import IdDocument

ID_TYPES = {t.value: t for t in IdDocumentType}


@described(
    PORTRAIT="Ảnh cá nhân: the applicant's portrait photo.",
    ID_FRONT="Mặt trước giấy tờ: the front of the CMND/CCCD/passport given on the form.",
    ID_BACK="Mặt sau giấy tờ: the back of that document.",
)
@strawberry.enum(description="The photos of form 01.")
class DocumentKind(Enum):
    PORTRAIT = "PORTRAIT"
    ID_FRONT = "ID_FRONT"
    ID_BACK = "ID_BACK"


@strawberry.type(description="An uploaded photo of the form: a short-lived link for this viewer only.")
class RegistrationDocument:
    kind: DocumentKind = strawberry.field(description="Which photo of the form this is.")
    content_type: str = strawberry.field(
        description='Its media type as uploaded: "image/jpeg" or "image/png".'
    )
    url: str = strawberry.field(description="Valid a few minutes, for this session only.")


DOCUMENT_COLUMNS = (
    (DocumentKind.PORTRAIT, "portrait_sha256"),
    (DocumentKind.ID_FRONT, "id_front_sha256"),
    (DocumentKind.ID_BACK, "id_back_sha256"),
)


@strawberry.type(description="Tờ khai mẫu 01: a request for an electronic-transaction account.")
class Registration(Guarded, Node):
    reference_number: str = strawberry.field(description="Given to the applicant to follow up.")
    status: RegistrationStatus = strawberry.field(description="Pending, approved or rejected.")
    applicant_name: str = strawberry.field(description="Họ và tên of the applicant, as written on the form.")
    social_insurance_code: str = strawberry.field(description="Mã số BHXH of the applicant (10 digits).")
    id_document: IdDocument | None = strawberry.field(
        description="CMND/CCCD/passport given on the form. Private: the applicant and officers of the receiving province."
    )
    contact_address: Address | None = strawberry.field(description="Địa chỉ liên hệ. Private.")
    contact_person: str | None = strawberry.field(description="Người liên hệ, if not the applicant.")
    email: str | None = strawberry.field(description="E-mail for the account's messages. Private.")
    phone: str | None = strawberry.field(description="Mobile number the password is sent to. Private.")
    start_date: date = strawberry.field(description="Đăng ký sử dụng từ ngày.")
    channel: TransactionChannel = strawberry.field(description="Portal or I-VAN.")
    submission_method: SubmissionMethod = strawberry.field(description="By post or at the office.")
    submitted_at: datetime = strawberry.field(description="When it was submitted (Vietnam time).")
    decided_at: datetime | None = strawberry.field(
        description="When an officer approved or rejected it; null while pending."
    )
    rejection_reason: str | None = strawberry.field(
        description="Why it was rejected, as sent to the applicant; null unless rejected."
    )
    purpose: RegistrationPurpose = strawberry.field(
        description="REGISTER (đăng ký sử dụng), ADJUST (điều chỉnh thông tin), STOP (ngừng sử dụng)."
    )

    @strawberry.field(
        description="The uploaded portrait and ID images, for the officers who decide the form (each view "
        "goes to the access log of the person)."
    )
    async def documents(self, info: Info) -> list[RegistrationDocument]:
        context = info.context
        viewer = context.viewer
        allow(self._access, self._rel, 0, "Registration.documents")
        if viewer is None or viewer.session_id is None or viewer.role not in (Role.OFFICER, Role.ADMIN):
            return []
        person = await context.loaders.persons_by_code.load(self._row.social_insurance_code)
        settings, now = context.runtime.settings, datetime.now(UTC)
        out = []
        for kind, column in DOCUMENT_COLUMNS:
            sha256 = getattr(self._row, column)
            if sha256 is None:
                continue
            out.append(
                RegistrationDocument(
                    kind=kind,
                    content_type=await asyncio.to_thread(uploads.content_type, settings.upload_dir, sha256),
                    url=uploads.document_url(settings.secret_key, sha256, viewer.session_id, now),
                )
            )
        if out and person is not None:
            self._access.record(person.id, "Registration.documents")
        return out

    @strawberry.field(description="Cơ quan BHXH tiếp nhận: the office that decides.")
    async def receiving_office(self, info: Info) -> Office:
        allow(self._access, self._rel, 0, "Registration.receivingOffice")
        return Office.from_row(await info.context.loaders.offices_by_id.load(self._row.receiving_office_id))

    # A form is not yet a person's record: the access log does not key it (person 0 is skipped).
    _owner: ClassVar[str] = ""
    _readers: ClassVar[Readers] = {
        "id": ("Registration.id", lambda r: global_id("Registration", r.id)),
        "reference_number": ("Registration.referenceNumber", lambda r: r.reference_number),
        "status": ("Registration.status", lambda r: r.status),
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
        "channel": ("Registration.channel", lambda r: r.channel),
        "submission_method": ("Registration.submissionMethod", lambda r: r.submission_method),
        "submitted_at": ("Registration.submittedAt", lambda r: r.submitted_at),
        "decided_at": ("Registration.decidedAt", lambda r: r.decided_at),
        "rejection_reason": ("Registration.rejectionReason", lambda r: r.rejection_reason),
        "purpose": ("Registration.purpose", lambda r: r.purpose),
    }

    @classmethod
    def wrap(cls, context: Context, row: Any) -> Registration:
        relation = relation_to_registration(context.viewer, row.social_insurance_code, row.province_scope)
        return cls.make(row, relation, context.access)

    @classmethod
    def wrapper(cls, context: Context) -> Any:
        return lambda row: cls.wrap(context, row)

    @classmethod
    def for_applicant(cls, context: Context, row: Any) -> Registration:
        """The form as its sender sees it right after sending: what they wrote, shown back to them
        (an anonymous sender has no other relation to it)."""
        return cls.make(row, Relation.SELF, context.access)


@strawberry.type(description="Follow-up of a form without an account: nothing personal beyond the status.")
class RegistrationStatusResult:
    reference_number: str = strawberry.field(description="Mã hồ sơ: the reference number asked about.")
    status: RegistrationStatus = strawberry.field(description="Pending, approved or rejected.")
    purpose: RegistrationPurpose = strawberry.field(
        description="REGISTER (đăng ký sử dụng), ADJUST (điều chỉnh thông tin), STOP (ngừng sử dụng)."
    )
    submitted_at: datetime = strawberry.field(description="When it was submitted (Vietnam time).")
    decided_at: datetime | None = strawberry.field(
        description="When an officer approved or rejected it (Vietnam time); null while pending."
    )
    rejection_reason: str | None = strawberry.field(
        description="Why it was rejected, as sent to the applicant; null unless rejected."
    )


@strawberry.type
class RegistrationQuery:
    @strawberry.field(
        description="Theo dõi hồ sơ: a form's status by its reference number and social-insurance code "
        "(a wrong pair looks like no form); a captcha each time, a budget per address."
    )
    async def registration_status(
        self,
        info: Info,
        reference_number: Annotated[
            str, strawberry.argument(description="Mã hồ sơ: the reference number given on submission.")
        ],
        social_insurance_code: Annotated[
            str, strawberry.argument(description="Mã số BHXH (10 digits) written on that form.")
        ],
        captcha_id: Annotated[
            strawberry.ID, strawberry.argument(description="A captcha's id (the `requestCaptcha` mutation).")
        ],
        captcha_answer: Annotated[
            str, strawberry.argument(description="The characters of that captcha image.")
        ],
    ) -> RegistrationStatusResult | None:
        row = await resolve.registration_status(
            info.context, reference_number, social_insurance_code, str(captcha_id), captcha_answer
        )
        if row is None:
            return None
        return RegistrationStatusResult(
            reference_number=row.reference_number,
            status=RegistrationStatus(row.status),
            purpose=RegistrationPurpose(row.purpose),
            submitted_at=row.submitted_at,
            decided_at=row.decided_at,
            rejection_reason=row.rejection_reason,
        )

    @strawberry.field(description="Forms in the viewer's scope (officers: their province), newest first.")
    async def registrations(
        self,
        info: Info,
        status: Annotated[
            RegistrationStatus | None,
            strawberry.argument(description="Only registrations in this state; all if left out."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Registration]:
        slice_ = await resolve.registrations(info.context, status.value if status else None, first, after)
        return connection(slice_, Registration.wrapper(info.context))


@strawberry.input(
    description="An address in the shape it is written in: with districtCode, the three levels in force "
    "until 2025-06-30; without, the two levels (province, commune) since 2025-07-01."
)
class AddressInput:
    province_code: str = strawberry.field(description="Mã tỉnh (2 digits), of the 2004 or the 2025 scheme.")
    district_code: str | None = strawberry.field(
        default=None,
        description="Mã huyện (3 digits) in the 2004 scheme; leave out in the 2025 scheme (no districts).",
    )
    ward_code: str = strawberry.field(description="Mã xã/phường (5 digits) of the same scheme.")
    street: str | None = strawberry.field(default=None, description="Thôn, số nhà, đường.")

    def value(self) -> resolve.AddressValue:
        return resolve.AddressValue(
            province_code=self.province_code,
            district_code=self.district_code,
            ward_code=self.ward_code,
            street=self.street,
        )


@strawberry.input(description="Tờ khai mẫu 01. Every field is checked, and every problem reported at once.")
class SubmitRegistrationInput:
    applicant_name: str = strawberry.field(description="As on the insured person's record.")
    social_insurance_code: str = strawberry.field(
        description="Mã số BHXH (10 digits); find it with findSocialInsuranceCode."
    )
    id_document_type: IdDocumentType = strawberry.field(description="CMND, CCCD or passport.")
    id_document_number: str = strawberry.field(
        description="Its number: 9 or 12 digits, or a letter and 7 digits for a passport."
    )
    contact_address: AddressInput = strawberry.field(description="Địa chỉ liên hệ.")
    contact_person: str | None = strawberry.field(
        default=None, description="Người liên hệ, if not the applicant."
    )
    email: str | None = strawberry.field(default=None, description="For the account's e-mails; optional.")
    phone: str = strawberry.field(description="A Vietnamese mobile number; the password is sent there.")
    start_date: date = strawberry.field(description="Đăng ký sử dụng từ ngày: today or later.")
    channel: TransactionChannel = strawberry.field(description="Portal or I-VAN.")
    receiving_office_code: str = strawberry.field(description='Office.code, e.g. "01".')
    submission_method: SubmissionMethod = strawberry.field(
        description="How the paper form and copies reach the office."
    )
    portrait: Upload | None = strawberry.field(default=None, description="Ảnh cá nhân: JPEG or PNG, ≤ 5 MB.")
    id_front: Upload | None = strawberry.field(
        default=None, description="Mặt trước giấy tờ: JPEG or PNG, ≤ 5 MB."
    )
    id_back: Upload | None = strawberry.field(
        default=None, description="Mặt sau giấy tờ: JPEG or PNG, ≤ 5 MB."
    )
    client_mutation_id: str | None = strawberry.field(
        default=None, description="Idempotency: the same id twice creates one registration."
    )
    purpose: RegistrationPurpose | None = strawberry.field(
        default=None,
        description="REGISTER (the default) asks for an account; ADJUST (new phone, e-mail, contact address) "
        "and STOP (close the account) need one.",
    )


@strawberry.type(description="The registration was stored; keep its reference number.")
class SubmitRegistrationSuccess:
    registration: Registration = strawberry.field(
        description="What was submitted, as the applicant may see it."
    )


SubmitRegistrationResult = Annotated[
    SubmitRegistrationSuccess | InvalidInput,
    strawberry.union(
        "SubmitRegistrationResult",
        description="What submitRegistration answers: its success, or every problem of the input (InvalidInput).",
    ),
]


@strawberry.input(
    description="Approve a pending registration: creates the account and sends its password by SMS."
)
class ApproveRegistrationInput:
    registration_id: strawberry.ID = strawberry.field(description="Registration.id (a global id).")
    document_verified: bool = strawberry.field(description="Giấy tờ đã đối chiếu: required to approve.")


@strawberry.input(description="Reject a pending registration, saying why.")
class RejectRegistrationInput:
    registration_id: strawberry.ID = strawberry.field(description="Registration.id (a global id).")
    reason: str = strawberry.field(description="Sent to the applicant; at most 1000 characters.")


@strawberry.type(
    description="On approval an account is created (username = socialInsuranceCode, a one-time "
    "password sent by SMS/e-mail)."
)
class DecideRegistrationSuccess:
    registration: Registration = strawberry.field(description="The registration as decided.")
    account: Account | None = strawberry.field(
        description="The account created by an approval; null after a rejection."
    )


DecideRegistrationResult = Annotated[
    DecideRegistrationSuccess | InvalidInput | NotAllowed,
    strawberry.union(
        "DecideRegistrationResult",
        description="What decideRegistration answers: its success, or every problem of the input (InvalidInput), or NotAllowed when the viewer may not.",
    ),
]


def _decision(
    context: Context, outcome: resolve.Decided | Invalid | Refused
) -> DecideRegistrationSuccess | InvalidInput | NotAllowed:
    if isinstance(outcome, Invalid):
        return InvalidInput.of(outcome)
    if isinstance(outcome, Refused):
        return NotAllowed(message=outcome.message)
    return DecideRegistrationSuccess(
        registration=Registration.wrap(context, outcome.registration),
        account=Account.from_row(outcome.account) if outcome.account is not None else None,
    )


@strawberry.type
class RegistrationMutation:
    @strawberry.mutation(
        description="Send tờ khai mẫu 01 (open to anyone). Photos by the multipart request spec, with an "
        "`Apollo-Require-Preflight` header."
    )
    async def submit_registration(
        self, info: Info, input: Annotated[SubmitRegistrationInput, INPUT]
    ) -> SubmitRegistrationResult:
        outcome = await resolve.submit_registration(
            info.context,
            resolve.Submission(
                applicant_name=input.applicant_name,
                social_insurance_code=input.social_insurance_code,
                id_document_type=input.id_document_type.value,
                id_document_number=input.id_document_number,
                contact_address=input.contact_address.value(),
                contact_person=input.contact_person,
                email=input.email,
                phone=input.phone,
                start_date=input.start_date,
                channel=input.channel.value,
                receiving_office_code=input.receiving_office_code,
                submission_method=input.submission_method.value,
                portrait=input.portrait,
                id_front=input.id_front,
                id_back=input.id_back,
                client_mutation_id=input.client_mutation_id,
                purpose=input.purpose.value if input.purpose is not None else "REGISTER",
            ),
        )
        if isinstance(outcome, Invalid):
            return InvalidInput.of(outcome)
        return SubmitRegistrationSuccess(
            registration=Registration.for_applicant(info.context, outcome.registration)
        )

    @strawberry.mutation(
        description="Approve a pending form (officers of its province): creates the account and sends "
        "the temporary password."
    )
    async def approve_registration(
        self, info: Info, input: Annotated[ApproveRegistrationInput, INPUT]
    ) -> DecideRegistrationResult:
        outcome = await resolve.approve_registration(
            info.context, str(input.registration_id), input.document_verified
        )
        return _decision(info.context, outcome)

    @strawberry.mutation(description="Reject a pending form with a reason, which is sent to the applicant.")
    async def reject_registration(
        self, info: Info, input: Annotated[RejectRegistrationInput, INPUT]
    ) -> DecideRegistrationResult:
        outcome = await resolve.reject_registration(info.context, str(input.registration_id), input.reason)
        return _decision(info.context, outcome)
