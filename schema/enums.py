"""Enums of the contract. Values are the strings stored in the database."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TypeVar

import strawberry

from auth.viewer import Role as _Role

E = TypeVar("E", bound=type[Enum])


def described(**descriptions: str) -> Callable[[E], E]:
    """Describes the values of a strawberry enum (put above `@strawberry.enum`). The values stay
    plain strings: with `strawberry.enum_value` type checkers take every `.value` for a definition."""

    def apply(enum: E) -> E:
        values = enum.__strawberry_definition__.values  # type: ignore[attr-defined]
        assert {v.name for v in values} == set(descriptions), f"{enum.__name__}: every value, once"
        for value in values:
            value.description = descriptions[value.name]
        return enum

    return apply


@described(MALE="Nam.", FEMALE="Nữ.")
@strawberry.enum(description="Sex as on the identity document (giới tính).")
class Gender(Enum):
    MALE = "MALE"
    FEMALE = "FEMALE"


@described(
    CMND="Chứng minh nhân dân: 9 digits (older cards: 12).",
    CCCD="Căn cước công dân / căn cước: 12 digits.",
    PASSPORT="Hộ chiếu: a letter and 7 digits.",
)
@strawberry.enum(description="9-digit CMND, 12-digit CCCD, passport (a letter and 7 digits).")
class IdDocumentType(Enum):
    CMND = "CMND"
    CCCD = "CCCD"
    PASSPORT = "PASSPORT"


@described(
    SOCIAL="Bảo hiểm xã hội (BHXH): pension, sickness, maternity, survivorship.",
    UNEMPLOYMENT="Bảo hiểm thất nghiệp (BHTN).",
    OCCUPATIONAL_ACCIDENT="Bảo hiểm tai nạn lao động, bệnh nghề nghiệp (BHTNLĐ-BNN).",
    HEALTH="Bảo hiểm y tế (BHYT): the health insurance card.",
)
@strawberry.enum(description="BHXH, BHTN, BHTNLĐ-BNN, BHYT.")
class InsuranceType(Enum):
    SOCIAL = "SOCIAL"
    UNEMPLOYMENT = "UNEMPLOYMENT"
    OCCUPATIONAL_ACCIDENT = "OCCUPATIONAL_ACCIDENT"
    HEALTH = "HEALTH"


@described(
    SICKNESS="Chế độ ốm đau: sick leave of the insured or to care for a sick child.",
    MATERNITY="Chế độ thai sản: pregnancy, birth, adoption.",
    CONVALESCENCE="Dưỡng sức, phục hồi sức khỏe after sickness, maternity or an accident.",
    OCCUPATIONAL_ACCIDENT="Chế độ tai nạn lao động, bệnh nghề nghiệp.",
    MONTHLY_PENSION="Lương hưu hằng tháng: the monthly pension.",
    ONE_TIME_SOCIAL_INSURANCE="BHXH một lần: the one-time payment on leaving the system.",
    SURVIVORSHIP="Chế độ tử tuất: funeral allowance and survivors benefit.",
    UNEMPLOYMENT="Trợ cấp thất nghiệp: the unemployment allowance.",
)
@strawberry.enum(description="The benefit regime (chế độ) a payment is decided under.")
class BenefitRegime(Enum):
    SICKNESS = "SICKNESS"
    MATERNITY = "MATERNITY"
    CONVALESCENCE = "CONVALESCENCE"
    OCCUPATIONAL_ACCIDENT = "OCCUPATIONAL_ACCIDENT"
    MONTHLY_PENSION = "MONTHLY_PENSION"
    ONE_TIME_SOCIAL_INSURANCE = "ONE_TIME_SOCIAL_INSURANCE"
    SURVIVORSHIP = "SURVIVORSHIP"
    UNEMPLOYMENT = "UNEMPLOYMENT"


@described(
    PENDING="Submitted, waiting for an officer of the receiving office.",
    APPROVED="Approved: the account was created and its password sent by SMS.",
    REJECTED="Rejected by an officer, with the reason sent to the applicant.",
)
@strawberry.enum(description="Where a registration (tờ khai mẫu 01) stands.")
class RegistrationStatus(Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


@described(
    PORTAL="Cổng Thông tin điện tử BHXH Việt Nam (the portal, VssID).",
    IVAN="An I-VAN organisation (tổ chức I-VAN) transmitting on the applicant’s behalf.",
)
@strawberry.enum(description="Cổng TTĐT BHXH Việt Nam, or an I-VAN organisation.")
class TransactionChannel(Enum):
    PORTAL = "PORTAL"
    IVAN = "IVAN"


@described(
    POSTAL="Sent by the public postal service (bưu chính công ích).",
    AT_OFFICE="Handed in at the receiving social-insurance office.",
)
@strawberry.enum(description="Bưu chính công ích, or at the receiving office.")
class SubmissionMethod(Enum):
    POSTAL = "POSTAL"
    AT_OFFICE = "AT_OFFICE"


@described(
    CITIZEN="An insured person: their own records only.",
    OFFICER="A BHXH officer: the records of their province (national officers: every province).",
    ANALYST="An analyst: de-identified aggregates; names, codes and health data never in the clear.",
    PARTNER="A partner system: a hospital (its patients’ cards and its visits) or an employer (its employees’ contribution periods).",
    ADMIN="An administrator: accounts and the access log; health data only with a stated reason.",
)
@strawberry.enum(description="What an account is (vai trò): decides what it may see, per the access policy.")
class Role(Enum):
    CITIZEN = _Role.CITIZEN.value
    OFFICER = _Role.OFFICER.value
    ANALYST = _Role.ANALYST.value
    PARTNER = _Role.PARTNER.value
    ADMIN = _Role.ADMIN.value


@described(
    ACTIVE="Valid today: the holder is covered.",
    EXPIRED="Its validity (giá trị sử dụng) ended.",
    NOT_YET_VALID="Issued, valid from a later date.",
    SUSPENDED="Suspended by an officer (tạm khóa), e.g. a lost card.",
)
@strawberry.enum(description="The state of a BHYT card (thẻ BHYT) today.")
class CardStatus(Enum):
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    SUSPENDED = "SUSPENDED"


@described(
    OUTPATIENT="Khám chữa bệnh ngoại trú: no overnight stay.",
    INPATIENT="Điều trị nội trú: admitted to the hospital.",
)
@strawberry.enum(description="Outpatient or inpatient treatment (khám ngoại trú / điều trị nội trú).")
class VisitType(Enum):
    OUTPATIENT = "OUTPATIENT"
    INPATIENT = "INPATIENT"


@described(
    REGISTRATION_SUBMITTED="A registration (tờ khai mẫu 01) was submitted.",
    REGISTRATION_APPROVED="A registration was approved and its account created.",
    REGISTRATION_REJECTED="A registration was rejected.",
    CARD_ISSUED="A BHYT card was issued.",
    CARD_UPDATED="A BHYT card was renewed or suspended.",
    CONTRIBUTION_RECORDED="A contribution period (quá trình đóng) was recorded.",
    MEDICAL_VISIT_RECORDED="A medical visit (lượt khám chữa bệnh BHYT) was recorded: health data, never seen by administrators or analysts.",
    BENEFIT_DECIDED="A benefit payment was decided.",
    CLAIM_SUBMITTED="A hospital submitted a claim (hồ sơ đề nghị thanh toán): to that hospital and the officers of its province only.",
    CLAIM_REVIEW_STARTED="Officers of the facility's province took a claim under review (giám định).",
    CLAIM_LINE_REVIEWED="A line of a claim under review was accepted or refused.",
    CLAIM_DECIDED="A claim was decided: accepted, partly accepted or refused.",
    HOUSEHOLD_MEMBER_ADDED="A member joined a household: to the member, the head and the collection agents of its ward only.",
    HOUSEHOLD_MEMBER_REMOVED="A member left a household: to the member, the head and the household's agents only.",
    HOUSEHOLD_PAYMENT_RECORDED="An agent recorded a household payment: to the head, the members it paid for and the "
    "household's agents only.",
    HOUSEHOLD_DELEGATION_REVOKED="A member withdrew the head's view of their card: to the member, the head and the "
    "household's agents only.",
    HOUSEHOLD_DELEGATION_RESTORED="A member gave the head the view of their card back: to the member, the head and "
    "the household's agents only.",
)
@strawberry.enum(description="What an event announces: the kind of change committed.")
class EventType(Enum):
    REGISTRATION_SUBMITTED = "REGISTRATION_SUBMITTED"
    REGISTRATION_APPROVED = "REGISTRATION_APPROVED"
    REGISTRATION_REJECTED = "REGISTRATION_REJECTED"
    CARD_ISSUED = "CARD_ISSUED"
    CARD_UPDATED = "CARD_UPDATED"
    CONTRIBUTION_RECORDED = "CONTRIBUTION_RECORDED"
    MEDICAL_VISIT_RECORDED = "MEDICAL_VISIT_RECORDED"
    BENEFIT_DECIDED = "BENEFIT_DECIDED"
    CLAIM_SUBMITTED = "CLAIM_SUBMITTED"
    CLAIM_REVIEW_STARTED = "CLAIM_REVIEW_STARTED"
    CLAIM_LINE_REVIEWED = "CLAIM_LINE_REVIEWED"
    CLAIM_DECIDED = "CLAIM_DECIDED"
    HOUSEHOLD_MEMBER_ADDED = "HOUSEHOLD_MEMBER_ADDED"
    HOUSEHOLD_MEMBER_REMOVED = "HOUSEHOLD_MEMBER_REMOVED"
    HOUSEHOLD_PAYMENT_RECORDED = "HOUSEHOLD_PAYMENT_RECORDED"
    HOUSEHOLD_DELEGATION_REVOKED = "HOUSEHOLD_DELEGATION_REVOKED"
    HOUSEHOLD_DELEGATION_RESTORED = "HOUSEHOLD_DELEGATION_RESTORED"


@described(
    PRIMARY="Đúng tuyến: at the card's nơi đăng ký KCB ban đầu (or a facility in route with it).",
    REFERRED="Chuyển tuyến: sent by another facility with a transfer paper (giấy chuyển tuyến).",
    OUT_OF_ROUTE="Trái tuyến: neither the registered facility nor referred; the fund pays less or nothing.",
    EMERGENCY="Cấp cứu: an emergency, paid as in route at any facility.",
)
@strawberry.enum(description="Tuyến of a visit: decides, with the facility's level, what the fund pays.")
class CareRoute(Enum):
    PRIMARY = "PRIMARY"
    REFERRED = "REFERRED"
    OUT_OF_ROUTE = "OUT_OF_ROUTE"
    EMERGENCY = "EMERGENCY"


@described(
    REGISTER="Đăng ký sử dụng: asks for a new electronic-transaction account.",
    ADJUST="Điều chỉnh thông tin: new phone, e-mail or contact address of an existing account.",
    STOP="Ngừng sử dụng: closes the existing account.",
)
@strawberry.enum(description="Tờ khai mẫu 01: đăng ký sử dụng, điều chỉnh thông tin, ngừng sử dụng.")
class RegistrationPurpose(Enum):
    REGISTER = "REGISTER"
    ADJUST = "ADJUST"
    STOP = "STOP"
